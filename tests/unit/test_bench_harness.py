from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bench import harness
from tests.bench.cpu import CpuMeter, Watched, cpu_seconds
from tests.bench.harness import BenchReport, Figure, Round, Rounds, RssSampler, add_comparison, interleave


def test_report_writes_the_agreed_json_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness, "BENCH_DIR", tmp_path)
    report = BenchReport("demo")
    report.add(Figure("ingest", 600.0, "events/s", ceiling=1000.0, min_ratio=0.6))
    report.add(Figure("rescore", 12.0, "s", max_value=10.0))
    report.set_peak_rss(100.0)
    assert report.finish() is False  # rescore missed its target
    written = json.loads((tmp_path / "demo.json").read_text())
    assert written == {
        "figures": {
            "ingest": {"value": 600.0, "unit": "events/s", "ceiling": 1000.0, "ratio": 0.6},
            "rescore": {"value": 12.0, "unit": "s", "ceiling": None, "ratio": None},
        },
        "peak_rss_mb": 100.0,
        "cpu_us_per_event": {},
    }


def test_rss_sampler_sees_this_process() -> None:
    with RssSampler(os.getpid(), interval_sec=0.01) as sampler:
        ballast = bytearray(32 * 1024 * 1024)
        ballast[-1] = 1
        time.sleep(0.1)
    assert sampler.peak_mb > 32


def test_rounds_are_interleaved_with_the_order_flipped_every_round() -> None:
    calls: list[str] = []

    def side(name: str, events: int) -> object:
        async def run(n: int) -> Round:
            calls.append(f"{name}{n}")
            return Round(events=events, wall_sec=1.0, cpu_sec={"service": events / 1e6 * 10})

        return run

    ours, theirs = asyncio.run(interleave(3, side("a", 100), side("b", 400)))  # type: ignore[arg-type]
    assert calls == ["a0", "b0", "b1", "a1", "a2", "b2"]
    assert ours.rate == 100.0 and theirs.rate == 400.0
    assert ours.cpu_us() == {"service": pytest.approx(10.0)}


def test_medians_ignore_one_noisy_round() -> None:
    rounds = Rounds([Round(1000, 1.0, {"service": 0.05}), Round(1000, 10.0, {"service": 0.5}),
                     Round(1000, 1.1, {"service": 0.06})])  # fmt: skip
    assert rounds.rate == pytest.approx(1000 / 1.1)
    assert rounds.cpu_us() == {"service": pytest.approx(60.0)}


def test_comparison_reports_the_ratio_to_the_fair_client_and_cpu_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness, "BENCH_DIR", tmp_path)
    report = BenchReport("ab")
    ours = Rounds([Round(500, 1.0, {"service": 0.05, "postgres": 0.01})])
    theirs = Rounds([Round(1000, 1.0, {"service": 0.02, "postgres": 0.01})])
    add_comparison(report, "ingest", "events/s", ours, theirs, min_ratio=0.6, max_cpu_us={"service": 50.0})
    assert report.finish() is False  # 0.5 of the client, and 100 us > 50 us of service CPU
    written = json.loads((tmp_path / "ab.json").read_text())
    assert written["figures"]["ingest"] == {
        "value": 500.0,
        "unit": "events/s",
        "ceiling": 1000.0,
        "ratio": 0.5,
    }
    service = written["figures"]["ingest: CPU service"]
    assert service["value"] == pytest.approx(100.0) and service["ceiling"] == pytest.approx(20.0)
    assert written["cpu_us_per_event"]["ingest"]["fair client"] == {
        "postgres": pytest.approx(10.0),
        "service": pytest.approx(20.0),
    }


def test_cpu_meter_counts_a_child_that_already_exited() -> None:
    meter = CpuMeter({"me": Watched(os.getpid())}).start()
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    subprocess.run([sys.executable, "-c", burn], check=True)  # reaped by us: counted in cutime
    assert meter.seconds()["me"] >= 0.25
    assert cpu_seconds(2**22 + 12345) == 0.0  # no such process: nothing, not an error

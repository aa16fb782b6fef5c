from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.bench import harness
from tests.bench.harness import BenchReport, Figure, RssSampler


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
    }


def test_rss_sampler_sees_this_process() -> None:
    with RssSampler(os.getpid(), interval_sec=0.01) as sampler:
        ballast = bytearray(32 * 1024 * 1024)
        ballast[-1] = 1
        time.sleep(0.1)
    assert sampler.peak_mb > 32

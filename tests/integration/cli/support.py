"""The platform the CLI tests drive: scoring, capture pointed at the Microsoft 365 emulator, and the
gateway, all in-process on the real broker and PostgreSQL; and `Cli`, which runs `groundtruth`
in-process (in a thread, so the services keep running on the test's event loop) and captures output."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr
from rich.console import Console

from plumbing.embedded.process import free_port
from services.capture.app import RunningCapture, running_capture
from services.cli import main
from services.cli.terminal import Terminal
from services.gateway.app import RunningGateway, running_gateway
from services.gateway.config import Settings as GatewaySettings
from services.sandbox.emulators.microsoft.emulator import MicrosoftEmulator
from services.scoring.app import running_scoring
from services.scoring.config import Settings as ScoringSettings
from tests.integration.capture.harness import capture_settings, org_spec, running_emulator
from tests.integration.conftest import Isolated
from tests.integration.platform import TEST_API_KEY_PEPPER, TEST_WEBHOOK_SECRET_KEYS


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def __str__(self) -> str:  # shown by a failing assertion
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


@dataclass
class Cli:
    """`groundtruth ...` against one gateway; `key` is sent unless the call passes its own."""

    url: str
    key: str = ""

    async def __call__(
        self,
        *argv: str,
        key: str | None = None,
        stdin: str = "",
        url: str | None = None,
    ) -> Result:
        """Run `groundtruth *argv` against this gateway (--url, and --key unless `key` is empty)."""
        out, err = io.StringIO(), io.StringIO()
        terminal = Terminal(
            out=Console(file=out, width=220, color_system=None, force_terminal=False),
            err=Console(file=err, width=220, color_system=None, force_terminal=False),
            stdin=io.StringIO(stdin),
        )
        args = [*argv, "--url", url or self.url]
        if key is not None or self.key:
            args += ["--key", key if key is not None else self.key]
        code = await asyncio.wait_for(asyncio.to_thread(main, args, terminal=terminal), timeout=90)
        return Result(code, out.getvalue(), err.getvalue())

    async def api(self, path: str, *, key: str | None = None) -> Any:
        """The same answer straight from the REST API (what the CLI's numbers must equal)."""
        async with httpx.AsyncClient(base_url=f"{self.url}/v1", timeout=10) as client:
            response = await client.get(path, headers={"Authorization": f"Bearer {key or self.key}"})
        response.raise_for_status()
        return response.json()


@dataclass(frozen=True)
class CliPlatform:
    isolated: Isolated
    emulator: MicrosoftEmulator
    capture: RunningCapture
    gateway: RunningGateway

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway.http_port}"

    @property
    def directory(self) -> str:
        return next(iter(self.emulator.state.orgs.values())).tenant_id


@contextlib.asynccontextmanager
async def running_cli_platform(isolated: Isolated, tls_dir: Path) -> AsyncIterator[CliPlatform]:
    scoring_config = ScoringSettings(
        **isolated.env(),  # type: ignore[arg-type]
        host="127.0.0.1",
        grpc_port=free_port(),
        http_port=free_port(),
        consumer_group=f"scoring-{isolated.namespace}",
        max_batch_time_ms=50,
        rescore_interval_sec=0.5,
        relay_interval_sec=0.2,
    )
    async with (
        running_emulator(tls_dir, org_spec(3, messages=6, events=3)) as emulator,
        running_scoring(scoring_config) as scoring,
        running_capture(capture_settings(isolated, emulator, emulator.tls, public_base_url="")) as capture,
    ):
        gateway_config = GatewaySettings(
            **isolated.env(),  # type: ignore[arg-type]
            host="127.0.0.1",
            http_port=free_port(),
            grpc_port=free_port(),
            scoring_target=f"127.0.0.1:{scoring.grpc_port}",
            capture_target=f"127.0.0.1:{capture.grpc_port}",
            api_key_pepper=SecretStr(TEST_API_KEY_PEPPER),
            webhook_secret_keys=SecretStr(TEST_WEBHOOK_SECRET_KEYS),
            score_cache_ttl_sec=0.0,
            key_cache_ttl_sec=0.5,
        )
        async with running_gateway(gateway_config) as gateway:
            yield CliPlatform(isolated, emulator, capture, gateway)


def google_key() -> str:
    """A well-formed service-account key file (capture checks the private key when registering)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "acme-capture",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": "capture@acme-capture.iam.gserviceaccount.com",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )

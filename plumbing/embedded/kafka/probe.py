"""Is the broker serving requests yet? One ApiVersions round trip, without a Kafka client library.

An open port is not enough: a KRaft broker accepts connections before it has registered with its
controller and been unfenced, and only then answers requests.
"""

from __future__ import annotations

import socket
import struct
import subprocess
import time

_API_VERSIONS = 18
_CLIENT_ID = b"gt-probe"


def answers_api_versions(host: str, port: int, *, timeout_sec: float = 1.0) -> bool:
    """True when the broker at host:port answers ApiVersions v0 without an error."""
    header = struct.pack(">hhih", _API_VERSIONS, 0, 1, len(_CLIENT_ID)) + _CLIENT_ID
    try:
        with socket.create_connection((host, port), timeout=timeout_sec) as sock:
            sock.sendall(struct.pack(">i", len(header)) + header)
            head = _read_exactly(sock, 4)
            body = _read_exactly(sock, struct.unpack(">i", head)[0])
    except OSError:
        return False
    correlation_id, error_code = struct.unpack(">ih", body[:6])
    return int(correlation_id) == 1 and int(error_code) == 0


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("closed before a whole response")
        chunks += chunk
    return bytes(chunks)


def wait_until_serving(host: str, port: int, *, timeout_sec: float, process: subprocess.Popen[bytes]) -> None:
    """Return once the broker answers requests; raise if its process exits or the time runs out."""
    deadline = time.monotonic() + timeout_sec
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kafka exited with {process.returncode} before serving (see its server.log)")
        if answers_api_versions(host, port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"kafka on {host}:{port} does not answer after {timeout_sec}s (see its server.log)")

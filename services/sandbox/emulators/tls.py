"""A throwaway certificate authority for the emulators' HTTPS endpoints (trustme).

Clients trust the emulator by pointing their CA bundle setting at `ca_path`; nothing is installed
system-wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TlsFiles:
    ca_path: Path
    cert_path: Path
    key_path: Path


def issue_tls(directory: Path, *, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> TlsFiles:
    """Create a CA and a server certificate for `hosts`, written as PEM files under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="Groundtruth emulator CA")
    server = ca.issue_cert(*hosts)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    ca.cert_pem.write_to_path(str(files.ca_path))
    server.cert_chain_pems[0].write_to_path(str(files.cert_path))
    for extra in server.cert_chain_pems[1:]:
        extra.write_to_path(str(files.cert_path), append=True)
    server.private_key_pem.write_to_path(str(files.key_path))
    return files

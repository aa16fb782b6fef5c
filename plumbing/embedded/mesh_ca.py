"""A certificate authority per run, for `make run` and the tests: the mesh's mutual TLS
(`plumbing/tls.py`) without any setup.

`issue_mesh(directory)` creates a fresh CA and one certificate per service under `directory`
(keys mode 0600), valid for the loopback names the services are reached by, and
`MeshFiles.env(service)` is the environment naming them for that service. Nothing is installed
system-wide, and a new run makes a new CA, so a certificate from an earlier run is worth nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trustme

from plumbing.tls import MeshTls

SERVICES = ("scoring", "capture", "gateway", "demo", "client")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class MeshFiles:
    directory: Path

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    def cert_file(self, service: str) -> Path:
        return self.directory / f"{service}.pem"

    def key_file(self, service: str) -> Path:
        return self.directory / f"{service}-key.pem"

    def env(self, service: str) -> dict[str, str]:
        """The settings (by environment name) that give `service` its identity in the mesh."""
        return {
            "GT_TLS_CA_FILE": str(self.ca_file),
            "GT_TLS_CERT_FILE": str(self.cert_file(service)),
            "GT_TLS_KEY_FILE": str(self.key_file(service)),
        }

    def tls(self, service: str) -> MeshTls:
        return MeshTls.from_files(self.ca_file, self.cert_file(service), self.key_file(service))


def issue_mesh(directory: Path, *, services: tuple[str, ...] = SERVICES) -> MeshFiles:
    """A new CA and a certificate (server and client use, loopback names) for each of `services`."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    ca = trustme.CA(organization_name="Groundtruth mesh CA (per run)")
    files = MeshFiles(directory)
    ca.cert_pem.write_to_path(str(files.ca_file))
    for service in services:
        leaf = ca.issue_cert(*LOOPBACK_NAMES, service, common_name=service, organization_name="Groundtruth")
        cert_path, key_path = files.cert_file(service), files.key_file(service)
        cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        key_path.touch(mode=0o600)
        os.chmod(key_path, 0o600)
        key_path.write_bytes(leaf.private_key_pem.bytes())
    return files

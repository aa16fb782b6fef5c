"""Mutual TLS between the services: every internal gRPC call is authenticated by certificates.

Each service holds its own certificate and key and the certificate authority (CA) of the mesh. An
internal server (scoring's and capture's gRPC) requires a client certificate issued by that CA
(otherwise the TLS handshake fails: no request reaches a handler); an internal client (the
gateway, the sandbox's demo runner) verifies the server's certificate against the same CA and
presents its own. The CA is per run for `make run` and the tests (`plumbing/embedded/mesh_ca.py`)
and cert-manager's in Kubernetes (deploy/k8s/base/mesh-tls.yaml).

Files (PEM), named by the shared settings: `GT_TLS_CA_FILE`, `GT_TLS_CERT_FILE`, `GT_TLS_KEY_FILE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc

MISSING = (
    "internal gRPC needs mutual TLS: set GT_TLS_CA_FILE, GT_TLS_CERT_FILE and GT_TLS_KEY_FILE "
    "(make run creates them per run; in Kubernetes cert-manager does)"
)


class TlsNotConfigured(RuntimeError):
    """A service that serves or calls internal gRPC was started without its certificates."""


@dataclass(frozen=True)
class MeshTls:
    """This service's identity in the mesh and the CA it trusts (PEM bytes, read once)."""

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    @classmethod
    def from_files(cls, ca_file: str | Path, cert_file: str | Path, key_file: str | Path) -> MeshTls:
        return cls(Path(ca_file).read_bytes(), Path(cert_file).read_bytes(), Path(key_file).read_bytes())

    @classmethod
    def from_settings(cls, ca_file: str, cert_file: str, key_file: str) -> MeshTls:
        """`TlsNotConfigured` (with what to set) unless all three files are named."""
        if not (ca_file and cert_file and key_file):
            raise TlsNotConfigured(MISSING)
        return cls.from_files(ca_file, cert_file, key_file)

    def server_credentials(self) -> grpc.ServerCredentials:
        """A server that accepts only clients whose certificate chains to the mesh CA."""
        return grpc.ssl_server_credentials(
            [(self.key_pem, self.cert_pem)], root_certificates=self.ca_pem, require_client_auth=True
        )

    def channel_credentials(self) -> grpc.ChannelCredentials:
        """A client that trusts only servers of the mesh CA and presents its own certificate."""
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca_pem, private_key=self.key_pem, certificate_chain=self.cert_pem
        )

    def channel(self, target: str, *, options: list[tuple[str, int]] | None = None) -> grpc.aio.Channel:
        """An authenticated channel to an internal service at `target` (host:port)."""
        return grpc.aio.secure_channel(target, self.channel_credentials(), options=options)

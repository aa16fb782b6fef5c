"""gRPC servers with the standard health service and reflection on every service; mutual TLS for
the internal ones (`plumbing/tls.py`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from plumbing.tls import MeshTls

# Requests above this size are refused with RESOURCE_EXHAUSTED before any handler runs.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024

Registrar = Callable[[grpc.aio.Server], None]


@dataclass
class GrpcServer:
    server: grpc.aio.Server
    health: HealthServicer
    port: int

    async def stop(self, grace_sec: float = 5.0) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace_sec)


async def start_grpc_server(
    *,
    host: str,
    port: int,
    registrars: Sequence[Registrar],
    service_names: Sequence[str],
    tls: MeshTls | None,
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    max_message_bytes: int = MAX_MESSAGE_BYTES,
) -> GrpcServer:
    server = grpc.aio.server(
        interceptors=list(interceptors),
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),
        ],
    )
    for register in registrars:
        register(server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection(
        [*service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
        server,
    )
    # Internal services pass their mesh identity: only clients with a certificate of the mesh CA
    # complete the handshake. None (no TLS) is for the gateway's public API alone, which
    # authenticates every call by API key and sits behind the ingress's TLS.
    address = f"{host}:{port}"
    bound = (
        server.add_secure_port(address, tls.server_credentials())
        if tls
        else server.add_insecure_port(address)
    )
    if bound == 0:
        raise OSError(f"cannot bind gRPC on {host}:{port}")
    await server.start()
    # NOT_SERVING until the readiness publisher has seen every dependency up.
    for name in ["", *service_names]:
        await health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    return GrpcServer(server=server, health=health, port=bound)

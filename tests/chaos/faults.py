"""What the scenarios do to the platform beyond killing processes: provider faults through the
emulator's control API, poison records on every topic, malformed requests on every public endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field

import grpc
import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from groundtruth.gateway.v1 import gateway_pb2
from plumbing.kafka.records import record_key
from plumbing.kafka.topics import ALL_TOPICS, Topics
from tests.chaos.cluster import ChaosCluster
from tests.chaos.workload import TENANT, Workload
from tests.kafka_topics import read_topic

# --- provider faults ----------------------------------------------------------------------------


def provider_fault(cluster: ChaosCluster, name: str, body: dict[str, object]) -> None:
    answer = httpx.post(f"{cluster.emulators.control_url}/microsoft/faults/{name}", json=body, timeout=10)
    answer.raise_for_status()


def throttle_every_mailbox(workload: Workload, *, status: int, count: int, retry_after: float | None) -> int:
    for mailbox in workload.mailboxes:
        provider_fault(
            workload.cluster,
            "throttle",
            {"mailbox": mailbox, "count": count, "status": status, "retry_after": retry_after},
        )
    return count * len(workload.mailboxes)


def expire_every_cursor(workload: Workload) -> int:
    for mailbox in workload.mailboxes:
        provider_fault(workload.cluster, "expire-tokens", {"mailbox": mailbox})
    return len(workload.mailboxes)


def revoke_credentials(workload: Workload, revoked: bool) -> None:
    provider_fault(
        workload.cluster, "revoke", {"client_id": str(workload.app["client_id"]), "revoked": revoked}
    )


# --- poison records -----------------------------------------------------------------------------

POISON_VALUES = (
    b"",  # empty
    b"\xff\xfe\x00garbage",  # not protobuf
    b"\x0a\x05hello\x12",  # truncated protobuf
    b'{"json": "where protobuf belongs"}',
)


@dataclass
class PoisonReport:
    produced: dict[str, int] = field(default_factory=dict)
    dead_lettered: int = 0


async def produce_poison(cluster: ChaosCluster) -> tuple[str, PoisonReport]:
    """Undecodable records (and one without a key) on every topic of the catalogue; returns the
    marker their keys carry, so their dead letters can be recognised."""
    marker = f"poison-{uuid.uuid4().hex[:8]}"
    topics = Topics()
    report = PoisonReport()
    producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for spec in ALL_TOPICS:
            topic = topics.name(spec)
            sent = 0
            for n, value in enumerate(POISON_VALUES):
                key = record_key(TENANT, f"{marker}-{n}")
                await producer.send_and_wait(topic, value, key=key, headers=[("content-type", b"x/garbage")])
                sent += 1
            # A record with neither key nor headers; Kafka itself refuses one on a compacted topic.
            if spec.config.get("cleanup.policy") == "compact":
                with contextlib.suppress(KafkaError):
                    await producer.send_and_wait(topic, b"\x08\x96\x01")
                    raise AssertionError(f"the broker took a record without a key on compacted {topic}")
            else:
                await producer.send_and_wait(topic, b"\x08\x96\x01")
                sent += 1
            report.produced[topic] = sent
    finally:
        await producer.stop()
    return marker, report


async def dead_letters_with(cluster: ChaosCluster, marker: str) -> int:
    """How many records on the dead-letter topic carry `marker` in their key."""
    letters = await read_topic(cluster.bootstrap_servers, Topics().deadletter)
    return sum(1 for r in letters if r.key is not None and marker.encode() in r.key)


# --- malformed requests -------------------------------------------------------------------------

_BAD_PATH_VALUES = ("%00", "..%2F..%2Fetc", "x" * 600, "%F0%28%8C%28")


@dataclass
class MalformedReport:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def saw(self, what: str, status: int | str) -> None:
        self.requests += 1
        label = str(status)
        self.statuses[label] = self.statuses.get(label, 0) + 1
        if not isinstance(status, int) or status >= 500:
            self.server_errors.append(f"{what} -> {status}")

    def send(self, http: httpx.Client, what: str, **request: object) -> None:
        """One request on its own connection; no answer at all (a reset) counts as a server error."""
        headers = {**dict(request.pop("headers", {})), "Connection": "close"}  # type: ignore[call-overload]
        try:
            answer = http.request(headers=headers, **request)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            self.saw(what, f"no answer ({type(exc).__name__})")
            return
        self.saw(what, answer.status_code)


def malformed_rest(cluster: ChaosCluster, report: MalformedReport) -> None:
    """Every operation of the gateway's OpenAPI document: without a key, with a garbage key, and with
    an admin or plugin key and bodies, path segments and query strings that are not what it takes."""
    with httpx.Client(base_url=cluster.gateway_url, timeout=15, trust_env=False) as http:
        spec = http.get("/openapi.json").json()
        for path, operations in spec["paths"].items():
            for method in operations:
                for key in (cluster.admin_key, cluster.plugin_key):
                    for request in _bad_requests(path, method.upper(), key):
                        report.send(http, f"{request['method']} {path}", **request)


def _bad_requests(path: str, method: str, key: str) -> list[dict[str, object]]:
    auth = {"Authorization": f"Bearer {key}"}
    concrete = path
    requests: list[dict[str, object]] = []
    for value in _BAD_PATH_VALUES if "{" in path else ():  # without path parameters: nothing to spoil
        bad = path
        while "{" in bad:
            start, end = bad.index("{"), bad.index("}")
            bad = bad[:start] + value + bad[end + 1 :]
        requests.append({"method": method, "url": bad, "headers": auth})
        concrete = bad
    json_headers = {**auth, "Content-Type": "application/json"}
    requests += [
        {"method": method, "url": concrete, "headers": {}},
        {"method": method, "url": concrete, "headers": {"Authorization": "Bearer gt_nope_nope"}},
        {"method": method, "url": concrete, "headers": {"Authorization": "Basic Zm9vOmJhcg=="}},
        {"method": method, "url": concrete + "?page_size=-1&cursor=%ZZ&unknown=1", "headers": auth},
    ]
    if method in {"POST", "PUT", "PATCH"}:
        requests += [
            {"method": method, "url": concrete, "headers": json_headers, "content": b"{not json"},
            {"method": method, "url": concrete, "headers": json_headers, "content": b"12345"},
            {"method": method, "url": concrete, "headers": json_headers, "content": b'{"events": [{}]}'},
            {"method": method, "url": concrete, "headers": json_headers, "content": b"\xff\xfe\x00"},
            {"method": method, "url": concrete, "headers": {**auth, "Content-Type": "text/xml"},
             "content": b"<a/>"},
            {"method": method, "url": concrete, "headers": json_headers, "content": b"[" * 100_000},
            {"method": method, "url": concrete, "headers": json_headers, "content": b" " * 2_000_000},
        ]  # fmt: skip
    return requests


async def malformed_grpc(cluster: ChaosCluster, report: MalformedReport) -> None:
    """Every method of the public gRPC service with bytes that are not its request message, with and
    without a key; INVALID_ARGUMENT or UNAUTHENTICATED are right, UNKNOWN or INTERNAL are not."""
    service = gateway_pb2.DESCRIPTOR.services_by_name["Groundtruth"]
    # Each is unparseable (bad tag, oversized length, truncated field): a parseable request with only
    # unknown fields would be a valid empty request, and some of those change state.
    payloads = (b"\xff\xff\xff\xff", b"\x0a\xff\xff\xff\xff\x0f", b"\x0a\x10short")
    async with grpc.aio.insecure_channel(cluster.grpc_target("gateway")) as channel:
        for method in service.methods:
            path = f"/{service.full_name}/{method.name}"
            for metadata in ((("authorization", f"Bearer {cluster.admin_key}"),), ()):
                for payload in payloads:
                    call_status = await _raw_call(channel, path, payload, metadata, method.server_streaming)
                    report.requests += 1
                    report.statuses[call_status.name] = report.statuses.get(call_status.name, 0) + 1
                    if call_status in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL):
                        report.server_errors.append(f"gRPC {method.name} -> {call_status.name}")


async def _raw_call(
    channel: grpc.aio.Channel,
    path: str,
    payload: bytes,
    metadata: tuple[tuple[str, str], ...],
    streaming: bool,
) -> grpc.StatusCode:
    identity = lambda b: b  # noqa: E731 - raw bytes in and out
    try:
        if streaming:
            call = channel.unary_stream(path, request_serializer=identity, response_deserializer=identity)
            async for _ in call(payload, metadata=metadata, timeout=5):
                break
        else:
            unary = channel.unary_unary(path, request_serializer=identity, response_deserializer=identity)
            await unary(payload, metadata=metadata, timeout=5)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def malformed_webhooks(cluster: ChaosCluster, report: MalformedReport) -> None:
    """Capture's provider-facing webhooks with bodies no provider sends."""
    paths = (
        "/webhooks/microsoft/notifications",
        "/webhooks/microsoft/lifecycle",
        "/webhooks/google/gmail",
        "/webhooks/google/calendar",
    )
    bodies: tuple[bytes, ...] = (
        b"",
        b"{not json",
        b"[]",
        b'{"value": "not a list"}',
        b'{"value": [{"subscriptionId": 5, "clientState": null, "resource": []}]}',
        b'{"message": {"data": "!!!not base64!!!"}}',
        b'{"message": {"data": "eyJlbWFpbEFkZHJlc3MiOiAxfQ=="}}',
        b"\xff\xfe\x00",
        b"[" * 100_000,
    )
    with httpx.Client(base_url=cluster.capture_url, timeout=15, trust_env=False) as http:
        for path in paths:
            for body in bodies:
                json_type = {"Content-Type": "application/json"}
                report.send(http, f"POST {path}", method="POST", url=path, content=body, headers=json_type)
            for headers in (
                {"X-Goog-Channel-ID": "x" * 5000, "X-Goog-Resource-State": "exists"},
                {"X-Goog-Channel-ID": "zz", "X-Goog-Channel-Token": "%%%"},
            ):
                report.send(http, f"POST {path} (headers)", method="POST", url=path, headers=headers)
            url = path + "?validationToken=" + "%00" * 10
            report.send(http, f"POST {path}?validationToken", method="POST", url=url)


def malformed_everything(cluster: ChaosCluster) -> MalformedReport:
    report = MalformedReport()
    malformed_rest(cluster, report)
    asyncio.run(malformed_grpc(cluster, report))
    malformed_webhooks(cluster, report)
    return report

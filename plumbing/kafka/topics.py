"""The topic catalogue: names, partition counts and configs, and their creation at start-up."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError

_log = logging.getLogger(__name__)

_DAY_MS = 24 * 3600 * 1000
# Kafka's CreateTopics "topic already exists" error code.
_TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class TopicSpec:
    """A topic as the platform needs it. Keys are `tenant_id:rep_id` on every topic but capture's
    health, keyed `tenant_id:mailbox_key` (one record per mailbox, latest wins)."""

    base_name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


ACTIVITY_CAPTURED = TopicSpec("gt.activity.captured.v1", 12, {"retention.ms": str(14 * _DAY_MS)})
CRM_EVENTS = TopicSpec("gt.crm.events.v1", 12, {"retention.ms": str(14 * _DAY_MS)})
ACTIVITY_MATCHED = TopicSpec("gt.activity.matched.v1", 12, {"retention.ms": str(14 * _DAY_MS)})
SCORES = TopicSpec("gt.scores.v1", 6, {"cleanup.policy": "compact"})
DEADLETTER = TopicSpec("gt.deadletter.v1", 3, {"retention.ms": str(30 * _DAY_MS)})
# Each mailbox's health as capture knows it: the latest per mailbox is what counts, so compacted.
CAPTURE_HEALTH = TopicSpec("gt.capture.health.v1", 3, {"cleanup.policy": "compact"})

ALL_TOPICS: tuple[TopicSpec, ...] = (
    ACTIVITY_CAPTURED,
    CRM_EVENTS,
    ACTIVITY_MATCHED,
    SCORES,
    DEADLETTER,
    CAPTURE_HEALTH,
)


@dataclass(frozen=True)
class Topics:
    """Resolves topic names under a namespace prefix (empty in production, unique per test)."""

    namespace: str = ""

    def name(self, spec: TopicSpec) -> str:
        return f"{self.namespace}{spec.base_name}"

    @property
    def activity_captured(self) -> str:
        return self.name(ACTIVITY_CAPTURED)

    @property
    def crm_events(self) -> str:
        return self.name(CRM_EVENTS)

    @property
    def activity_matched(self) -> str:
        return self.name(ACTIVITY_MATCHED)

    @property
    def scores(self) -> str:
        return self.name(SCORES)

    @property
    def deadletter(self) -> str:
        return self.name(DEADLETTER)

    @property
    def capture_health(self) -> str:
        return self.name(CAPTURE_HEALTH)


async def ensure_topics(
    bootstrap_servers: str,
    topics: Topics,
    *,
    specs: tuple[TopicSpec, ...] = ALL_TOPICS,
    replication_factor: int = 1,
    timeout_sec: float = 30.0,
) -> None:
    """Create every topic that does not exist yet (existing topics are left as they are) and return
    once every partition of every topic has a leader, so a client may produce and fetch at once.

    Retries while the broker is still coming up, so callers can run it right after starting one.
    """
    deadline = asyncio.get_running_loop().time() + timeout_sec
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
        try:
            await admin.start()
            new = [
                NewTopic(topics.name(s), s.partitions, replication_factor, topic_configs=dict(s.config))
                for s in specs
            ]
            response = await admin.create_topics(new)
            for name, code, message in response.topic_errors:
                if code not in (0, _TOPIC_ALREADY_EXISTS):
                    raise RuntimeError(f"cannot create topic {name}: error {code} {message}")
            names = [t.name for t in new]
            # A broker answers CreateTopics once its controller committed them; its own metadata
            # (the partition leaders clients ask for) follows a moment later.
            while not await _all_led(admin, names):
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"topics without leaders after {timeout_sec}s: {names}")
                await asyncio.sleep(0.05)
            _log.info("topics ready", extra={"topics": names})
            return
        except (KafkaConnectionError, KafkaError, OSError) as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"broker at {bootstrap_servers} unavailable: {exc}") from exc
            await asyncio.sleep(0.5)
        finally:
            await admin.close()


async def _all_led(admin: AIOKafkaAdminClient, names: list[str]) -> bool:
    described = await admin.describe_topics(names)
    return len(described) == len(names) and all(
        topic["error_code"] == 0
        and topic["partitions"]
        and all(partition["leader"] >= 0 for partition in topic["partitions"])
        for topic in described
    )

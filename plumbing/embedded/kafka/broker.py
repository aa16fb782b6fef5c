"""One Apache Kafka node in KRaft combined mode (broker and controller), run as a child process.

Everything lives under `<run_dir>/kafka/`: the generated `server.properties`, the log dirs (`data/`), the
broker's own log (`server.log`) and the ports it listened on (`ports.json`, reused on the next start
while they are free, so `make run` keeps its address across restarts). Storage is formatted once; a
later start on the same directory finds its topics, records and committed offsets again, also after a
SIGKILL (the records are in the OS page cache, and Kafka recovers the unflushed log tail at start).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import subprocess
import uuid
from pathlib import Path

from plumbing.embedded.kafka.java import kafka_classpath, require_java
from plumbing.embedded.kafka.probe import wait_until_serving
from plumbing.embedded.process import free_port, port_free, spawn, terminate

_log = logging.getLogger(__name__)

_NODE_ID = 1
# Settings for a fast single-node start that behaves like the production cluster where it matters:
# the same topic configs and `acks=all` semantics, no topic auto-creation (topics come from the
# catalogue, as Strimzi's KafkaTopics do), and group timings short enough for tests.
SINGLE_NODE = {
    "process.roles": "broker,controller",
    "node.id": str(_NODE_ID),
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "auto.create.topics.enable": "false",
    "num.partitions": "1",
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "10",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "4",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    # A consumer group forms at once instead of waiting 3 s for more members.
    "group.initial.rebalance.delay.ms": "0",
    # The tests' consumers use 2 s sessions; Kafka's default floor is 6 s.
    "group.min.session.timeout.ms": "1000",
    # After a crash the restarted node may register again only once its old incarnation's session has
    # expired (9 s by default): 2 s brings a killed broker back in about 3 s.
    "broker.session.timeout.ms": "2000",
    "broker.heartbeat.interval.ms": "500",
    # The cleaner looks for compactable logs every second rather than every 15.
    "log.cleaner.backoff.ms": "1000",
    "num.io.threads": "4",
    "num.network.threads": "2",
    "num.recovery.threads.per.data.dir": "2",
}
# Kafka's own start script's JVM settings, with a bounded heap.
_JVM_OPTIONS = [
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
]
_LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log_path}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.file.ref = file
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = info
"""


def new_cluster_id() -> str:
    """A random cluster id as Kafka writes them (URL-safe base64 of 16 bytes).

    Drawn again when it starts with "-", as Kafka's own `Uuid.randomUuid` does: the storage tool
    would read such an id as an option and refuse to format (1 start in 64 failed that way).
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class EmbeddedKafka:
    """Apache Kafka with its state under `run_dir / "kafka"`, listening on loopback only.

    `start` formats the storage when it is new and returns once the broker answers requests; `stop`
    is a controlled shutdown (SIGTERM); `kill` is a crash (SIGKILL); `pause`/`resume` freeze it.
    `overrides` adds or replaces server properties.
    """

    def __init__(
        self,
        run_dir: Path,
        *,
        port: int | None = None,
        heap_mb: int | None = None,
        overrides: dict[str, str] | None = None,
    ) -> None:
        self.home = run_dir.resolve() / "kafka"
        self.data_dir = self.home / "data"
        self.log_path = self.home / "server.log"
        self._requested_port = port
        self._heap_mb = heap_mb or int(os.environ.get("GT_KAFKA_HEAP_MB", "512"))
        self._overrides = overrides or {}
        self._ports: tuple[int, int] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        return self._listen_ports()[0]

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, *, timeout_sec: float = 90.0) -> str:
        java, classpath = require_java(), kafka_classpath()
        self.home.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        jvm = [java, f"-Xms{min(256, self._heap_mb)}m", f"-Xmx{self._heap_mb}m", *_JVM_OPTIONS]
        jvm += [f"-Dlog4j2.configurationFile={self._write_log_config()}", "-cp", classpath]
        if not (self.data_dir / "meta.properties").exists():
            formatted = subprocess.run(
                [*jvm, "kafka.tools.StorageTool", "format", "-t", new_cluster_id(), "-c", str(config)],
                capture_output=True,
                text=True,
            )
            if formatted.returncode != 0:
                said = (formatted.stdout + formatted.stderr).strip()[-2000:]
                raise RuntimeError(f"formatting Kafka's storage failed ({formatted.returncode}): {said}")
        self._process = spawn(
            [*jvm, "kafka.Kafka", str(config)],
            log_path=self.home / "stdout.log",
            # SIGTERM is a controlled shutdown: the logs are flushed and marked clean.
            death_signal=signal.SIGTERM,
        )
        wait_until_serving("127.0.0.1", self.port, timeout_sec=timeout_sec, process=self._process)
        _log.info("kafka ready", extra={"bootstrap_servers": self.bootstrap_servers})
        return self.bootstrap_servers

    def stop(self) -> None:
        """Controlled shutdown; a broker that does not finish in time is killed."""
        if self._process is not None:
            self.resume()
            terminate(self._process, timeout_sec=30)
            self._process = None

    def kill(self) -> None:
        """SIGKILL, as a crash: no flush, no clean-shutdown marker. `start` brings it back on its data."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def pause(self) -> None:
        """SIGSTOP: the broker stops answering but keeps its state, like a long GC pause or partition."""
        if self._process is not None:
            os.kill(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            os.kill(self._process.pid, signal.SIGCONT)

    def _listen_ports(self) -> tuple[int, int]:
        """(broker, controller): chosen once per instance, so a restart listens where it did before."""
        if self._ports is None:
            self._ports = self._choose_ports()
        return self._ports

    def _choose_ports(self) -> tuple[int, int]:
        saved = self.home / "ports.json"
        if self._requested_port is None and saved.exists():
            broker, controller = json.loads(saved.read_text())
            if port_free("127.0.0.1", broker) and port_free("127.0.0.1", controller):
                return int(broker), int(controller)
        return self._requested_port or free_port(), free_port()

    def _write_config(self) -> Path:
        broker, controller = self._listen_ports()
        (self.home / "ports.json").write_text(json.dumps([broker, controller]))
        properties = {
            **SINGLE_NODE,
            "controller.quorum.voters": f"{_NODE_ID}@127.0.0.1:{controller}",
            "listeners": f"PLAINTEXT://127.0.0.1:{broker},CONTROLLER://127.0.0.1:{controller}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{broker}",
            "log.dirs": str(self.data_dir),
            **self._overrides,
        }
        path = self.home / "server.properties"
        path.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))
        return path

    def _write_log_config(self) -> Path:
        level = os.environ.get("GT_BROKER_LOG", "warn").upper()
        path = self.home / "log4j2.properties"
        path.write_text(_LOG4J2.format(log_path=self.log_path, level=level))
        return path

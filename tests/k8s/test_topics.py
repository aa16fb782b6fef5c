"""The KafkaTopics are exactly the topics the code uses (plumbing/kafka/topics.py::ALL_TOPICS)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from plumbing.embedded.kafka.broker import SINGLE_NODE
from plumbing.kafka.topics import ALL_TOPICS, TopicSpec
from tests.k8s.manifests import Obj, Rendering

EMBEDDED_POM = Path(__file__).resolve().parents[2] / "plumbing" / "embedded" / "kafka" / "pom.xml"
_MAVEN = {"m": "http://maven.apache.org/POM/4.0.0"}


def _expected_yaml(spec: TopicSpec) -> str:
    config = "".join(f'\n    {k}: "{v}"' for k, v in spec.config.items())
    return (
        "apiVersion: kafka.strimzi.io/v1\nkind: KafkaTopic\n"
        f"metadata:\n  name: {spec.base_name.replace('.', '-')}\n"
        f"  labels:\n    strimzi.io/cluster: groundtruth\nspec:\n  topicName: {spec.base_name}\n"
        f"  partitions: {spec.partitions}\n  replicas: 3\n  config:{config}"
    )


def _topics(overlay: Rendering) -> dict[str, Obj]:
    topics = {}
    for topic in overlay.of_kind("KafkaTopic"):
        assert "topicName" in topic["spec"], f"{topic['metadata']['name']}: set spec.topicName explicitly"
        topics[topic["spec"]["topicName"]] = topic
    return topics


def test_topic_names_match_the_catalogue(overlay: Rendering) -> None:
    expected = {spec.base_name: spec for spec in ALL_TOPICS}
    declared = _topics(overlay)
    missing = [_expected_yaml(expected[name]) for name in sorted(set(expected) - set(declared))]
    assert not missing, "add to deploy/k8s/infra/kafka/topics.yaml:\n---\n" + "\n---\n".join(missing)
    assert set(declared) == set(expected), (
        f"topics the code does not use: {sorted(set(declared) - set(expected))}"
    )


def test_partitions_and_configs_match_the_catalogue(overlay: Rendering) -> None:
    declared = _topics(overlay)
    for spec in ALL_TOPICS:
        topic = declared[spec.base_name]["spec"]
        assert topic["partitions"] == spec.partitions, spec.base_name
        config = {k: str(v) for k, v in topic.get("config", {}).items()}
        assert config == spec.config, f"{spec.base_name}: config {config}, the code says {spec.config}"


def test_scores_topic_is_compacted(overlay: Rendering) -> None:
    scores = _topics(overlay)["gt.scores.v1"]["spec"]
    assert scores["config"]["cleanup.policy"] == "compact"
    assert "retention.ms" not in scores["config"], "the latest score per rep must never expire"


def test_topics_belong_to_the_cluster_and_fit_its_brokers(overlay: Rendering) -> None:
    (kafka,) = overlay.of_kind("Kafka")
    cluster = kafka["metadata"]["name"]
    config = kafka["spec"]["kafka"]["config"]
    brokers = sum(
        p["spec"]["replicas"]
        for p in overlay.of_kind("KafkaNodePool")
        if p["metadata"]["labels"]["strimzi.io/cluster"] == cluster and "broker" in p["spec"]["roles"]
    )
    assert config["auto.create.topics.enable"] is False, "topics come only from KafkaTopic resources"
    for topic in overlay.of_kind("KafkaTopic"):
        name = topic["spec"]["topicName"]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == cluster, name
        assert topic["spec"]["replicas"] <= brokers, name
        # acks=all must survive one broker down wherever there is more than one replica.
        if topic["spec"]["replicas"] > 1:
            assert 1 < config["min.insync.replicas"] < topic["spec"]["replicas"], name


def test_the_cluster_runs_the_kafka_the_tests_run(overlay: Rendering) -> None:
    """The Strimzi cluster's Kafka version is the one the embedded broker resolves (its pom), and
    both refuse topics created by a client's first use."""
    pom = ElementTree.parse(EMBEDDED_POM).getroot()
    embedded_version = pom.findtext("m:properties/m:kafka.version", namespaces=_MAVEN)
    (kafka,) = overlay.of_kind("Kafka")
    assert str(kafka["spec"]["kafka"]["version"]) == embedded_version
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    assert SINGLE_NODE["auto.create.topics.enable"] == "false"


def test_capture_health_topic_is_compacted(overlay: Rendering) -> None:
    health = _topics(overlay)["gt.capture.health.v1"]["spec"]
    assert health["config"]["cleanup.policy"] == "compact"
    assert "retention.ms" not in health["config"], "a quiet mailbox's last word must never expire"

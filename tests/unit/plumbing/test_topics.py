from __future__ import annotations

from plumbing.kafka.records import content_type, header, record_key
from plumbing.kafka.topics import ALL_TOPICS, SCORES, Topics
from tests.factories import make_activity


def test_namespace_prefixes_every_topic() -> None:
    topics = Topics(namespace="t1.")
    assert topics.activity_captured == "t1.gt.activity.captured.v1"
    assert topics.deadletter == "t1.gt.deadletter.v1"
    assert Topics().crm_events == "gt.crm.events.v1"


def test_catalogue_follows_the_naming_rule_and_compacts_scores() -> None:
    for spec in ALL_TOPICS:
        assert spec.base_name.startswith("gt.") and spec.base_name.endswith(".v1")
        assert spec.partitions >= 3
    assert SCORES.config["cleanup.policy"] == "compact"


def test_record_conventions() -> None:
    assert record_key("acme", "rep-1") == b"acme:rep-1"
    assert (
        content_type(make_activity())
        == b"application/x-protobuf; messageType=groundtruth.activity.v1.Activity"
    )
    assert header([("Content-Type", b"x")], "content-type") == b"x"
    assert header(None, "content-type") is None

"""The score view's table: latest wins per rep, tombstones delete, erasure holds until its tombstone."""

from __future__ import annotations

from groundtruth.scoring.v1 import scoring_pb2
from services.gateway.adapters.score_view import ScoreTable, parse_key


def score(tenant: str, rep: str, adoption: float) -> bytes:
    return scoring_pb2.RepScore(tenant_id=tenant, rep_id=rep, adoption_score=adoption).SerializeToString()


def test_keys_split_at_the_first_colon_and_reject_malformed_keys() -> None:
    assert parse_key(b"acme:rep:1") == ("acme", "rep:1")
    assert parse_key(b"acme") is None
    assert parse_key(b":rep") is None
    assert parse_key(None) is None


def test_the_latest_record_wins_and_a_tombstone_deletes() -> None:
    table = ScoreTable(max_entries=10)
    table.apply(("acme", "ann"), score("acme", "ann", 10))
    table.apply(("acme", "ann"), score("acme", "ann", 20))
    held = table.get(("acme", "ann"))
    assert held is not None and held.value.adoption_score == 20
    assert table.get(("globex", "ann")) is None
    assert table.apply(("acme", "ann"), None) == "tombstone"
    assert table.get(("acme", "ann")) is None and len(table) == 0


def test_a_record_whose_payload_names_another_tenant_is_never_served() -> None:
    table = ScoreTable(max_entries=10)
    table.apply(("acme", "ann"), score("globex", "ann", 10))
    assert table.get(("acme", "ann")) is None


def test_an_evicted_rep_stays_out_until_the_erasure_tombstone_then_new_scores_count() -> None:
    table = ScoreTable(max_entries=10)
    table.apply(("acme", "ann"), score("acme", "ann", 10))
    table.evict(("acme", "ann"))
    assert table.apply(("acme", "ann"), score("acme", "ann", 10)) == "erased"  # older, still in flight
    assert table.get(("acme", "ann")) is None
    table.apply(("acme", "ann"), None)
    table.apply(("acme", "ann"), score("acme", "ann", 30))
    held = table.get(("acme", "ann"))
    assert held is not None and held.value.adoption_score == 30


def test_a_full_table_keeps_updating_known_reps_and_leaves_new_ones_to_scoring() -> None:
    table = ScoreTable(max_entries=1)
    assert table.apply(("acme", "ann"), score("acme", "ann", 10)) == "stored"
    assert table.apply(("acme", "bob"), score("acme", "bob", 10)) == "full"
    assert table.apply(("acme", "ann"), score("acme", "ann", 40)) == "stored"
    held = table.get(("acme", "ann"))
    assert held is not None and held.value.adoption_score == 40 and table.get(("acme", "bob")) is None


def test_a_parsed_answer_is_reused_until_the_rep_changes() -> None:
    table = ScoreTable(max_entries=10)
    table.apply(("acme", "ann"), score("acme", "ann", 10))
    first = table.get(("acme", "ann"))
    assert first is not None and table.get(("acme", "ann")) is first
    table.apply(("acme", "ann"), score("acme", "ann", 11))
    again = table.get(("acme", "ann"))
    assert again is not first and again is not None and again.value.adoption_score == 11

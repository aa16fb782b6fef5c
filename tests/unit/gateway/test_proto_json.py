from __future__ import annotations

import json

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2
from services.gateway.http.proto_json import enum_label, enum_number, model_for, to_json
from tests.factories import BASE_TIME, make_activity, timestamp


def test_json_follows_the_conventions_and_matches_its_model() -> None:
    score = scoring_pb2.RepScore(
        tenant_id="acme",
        rep_id="rep-1",
        occurred_at=timestamp(BASE_TIME),
        classification=scoring_pb2.CLASSIFICATION_GHOST,
        adoption_inputs=[
            scoring_pb2.ScoreInput(name="usage", numerator=3, denominator=4, value=float("inf"))
        ],
    )
    body = to_json(score)
    assert body["classification"] == "ghost"
    assert body["occurred_at"] == "2026-11-02T09:00:00Z" and body["observed_at"] is None
    assert body["adoption_inputs"][0]["numerator"] == 3  # int64 as a JSON number, not a string
    assert body["adoption_inputs"][0]["value"] is None  # no infinity in JSON
    json.dumps(body, allow_nan=False)
    model_for(scoring_pb2.RepScore.DESCRIPTOR).model_validate(body)


def test_optional_fields_maps_and_nested_messages() -> None:
    activity = make_activity(subject=None)
    matched = scoring_pb2.MatchedActivity(activity=activity, feed_sequence=7)
    body = to_json(matched)
    assert body["activity"]["subject"] is None and body["activity"]["kind"] == "email_sent"
    assert body["activity"]["participants"][0]["role"] == "from"
    model_for(scoring_pb2.MatchedActivity.DESCRIPTOR).model_validate(body)
    config = crm_pb2.TenantConfig(score_weights={"usage": 0.5}, teams=[crm_pb2.Team(team_id="t")])
    assert to_json(config)["score_weights"] == {"usage": 0.5}
    model_for(crm_pb2.TenantConfig.DESCRIPTOR).model_validate(to_json(config))


def test_enum_labels_round_trip() -> None:
    kind = activity_pb2.ActivityKind.DESCRIPTOR
    assert enum_label(kind, activity_pb2.ACTIVITY_KIND_MEETING) == "meeting"
    assert enum_number(kind, "meeting") == activity_pb2.ACTIVITY_KIND_MEETING
    assert enum_number(kind, "nonsense") is None
    assert enum_label(kind, 99) == "unknown_99"

"""Nothing accepted at the edge is rejected later: whatever the gateway accepts (a CRM event, a tenant
configuration), scoring decodes and can store. Hostile text, out-of-range numbers and unknown
setting names are drawn into every field; each draw the gateway accepts must pass scoring's checks
(which would otherwise dead-letter it) and hold no character PostgreSQL refuses."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from groundtruth.crm.v1 import crm_pb2
from plumbing.contracts.tenant_config import THRESHOLD_NAMES, WEIGHT_NAMES
from plumbing.contracts.text import is_clean
from services.gateway.domain import crm_events as gateway_events
from services.gateway.domain import tenant_config as gateway_config
from services.scoring.domain import tenant_settings as scoring_config
from services.scoring.domain.crm_events import decode_crm_event

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
# No lone surrogate: protobuf cannot even hold one (setting it raises), so it never reaches a
# message; the REST edge refuses it before building one (tests/integration/gateway/test_hygiene.py).
HOSTILE = st.sampled_from(["\x00", "\x01", "\n", "\t", "\x7f", "\x1b", "a" * 300, ""])
TEXT_ALPHABET = st.characters(codec="utf-8")
TEXT = st.one_of(
    st.text(TEXT_ALPHABET, max_size=20),
    HOSTILE,
    st.builds(lambda a, b: a + b, st.text(TEXT_ALPHABET, max_size=5), HOSTILE),
)
IDS = st.one_of(st.sampled_from(["rep-1", "opp-1", "acme.example", "ann@acme.example"]), TEXT)
DATES = st.one_of(st.sampled_from(["2026-11-02", "2026-02-30", "", "0001-01-01", "2026-1-2"]), TEXT)
AMOUNTS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([-1.0, 0.0, 1e9]))
SECONDS = st.integers(int(datetime(1999, 1, 1, tzinfo=UTC).timestamp()), int(NOW.timestamp()) + 3 * 86400)


@st.composite
def events(draw: st.DrawFn) -> crm_pb2.CrmEvent:
    event = crm_pb2.CrmEvent(rep_id=draw(IDS), source=draw(TEXT))
    kind = draw(
        st.sampled_from(["record_upserted", "record_deleted", "user_login", "activity_logged", "forecast"])
    )
    if kind == "record_upserted":
        r = event.record_upserted
        r.object_type = draw(st.sampled_from([0, 1, 2, 3]))  # type: ignore[assignment]
        r.crm_id = draw(IDS)
        r.modified_at.seconds = draw(SECONDS)
        r.owner_rep_id = draw(IDS)
        r.name = draw(TEXT)
        r.fields[draw(TEXT)] = draw(TEXT)
        r.domains.append(draw(IDS))
        r.email = draw(IDS)
        r.stage = draw(TEXT)
        r.amount = draw(AMOUNTS)
        r.close_date = draw(DATES)
        r.next_step = draw(TEXT)
        r.contact_roles.add(contact_crm_id=draw(IDS), role=draw(TEXT))
    elif kind == "record_deleted":
        event.record_deleted.object_type = draw(st.sampled_from([0, 1, 2, 3]))  # type: ignore[assignment]
        event.record_deleted.crm_id = draw(IDS)
        event.record_deleted.deleted_at.seconds = draw(SECONDS)
    elif kind == "user_login":
        event.user_login.login_at.seconds = draw(SECONDS)
    elif kind == "activity_logged":
        a = event.activity_logged
        a.crm_activity_id = draw(IDS)
        a.kind = draw(st.sampled_from([0, 1, 2, 3, 4]))  # type: ignore[assignment]
        a.occurred_at.seconds = draw(SECONDS)
        a.logged_at.seconds = draw(SECONDS)
        a.related_crm_id = draw(IDS)
        a.source_activity_id = draw(IDS)
    else:
        f = event.forecast_submitted
        f.period = draw(TEXT)
        f.period_start = draw(DATES)
        f.period_end = draw(DATES)
        f.committed_amount = draw(AMOUNTS)
        f.currency = draw(TEXT)
        f.submitted_at.seconds = draw(SECONDS)
    return event


def _every_string(event: crm_pb2.CrmEvent) -> list[str]:
    """Every string of the event, nested ones included (what scoring writes to PostgreSQL)."""
    strings: list[str] = []

    def walk(message: object) -> None:
        for field, value in message.ListFields():  # type: ignore[attr-defined]
            values = (
                list(value.items()) if hasattr(value, "items") else value if field.is_repeated else [value]
            )
            for item in values:
                for part in item if isinstance(item, tuple) else (item,):
                    if isinstance(part, str):
                        strings.append(part)
                    elif hasattr(part, "ListFields"):
                        walk(part)

    walk(event)
    return strings


@settings(max_examples=400, deadline=None)
@given(events())
def test_a_crm_event_the_gateway_accepts_is_one_scoring_applies(event: crm_pb2.CrmEvent) -> None:
    if gateway_events.event_problems(event, tenant_id="acme", now=NOW):
        return
    published = gateway_events.normalized(event, tenant_id="acme", observed_at=NOW)
    decode_crm_event(published)  # raises InvalidCrmEvent: it would be dead-lettered
    assert all(is_clean(s) for s in _every_string(published))
    published.SerializeToString()  # encodable: no lone surrogate reached the wire


@st.composite
def configs(draw: st.DrawFn) -> crm_pb2.TenantConfig:
    names = st.one_of(st.sampled_from(sorted(WEIGHT_NAMES)), st.sampled_from(sorted(THRESHOLD_NAMES)), TEXT)
    config = crm_pb2.TenantConfig(
        window_days=draw(st.integers(0, 400)),
        go_live_date=draw(DATES),
        stages=[draw(TEXT)],
        required_opportunity_fields=[draw(TEXT)],
        internal_domains=[draw(IDS)],
    )
    config.score_weights[draw(names)] = draw(AMOUNTS)
    config.thresholds[draw(names)] = draw(AMOUNTS)
    config.people.add(rep_id=draw(IDS), display_name=draw(TEXT), email=draw(IDS), role=draw(TEXT))
    config.teams.add(team_id=draw(IDS), name=draw(TEXT), manager_rep_id=draw(IDS))
    return config


@settings(max_examples=400, deadline=None)
@given(configs())
def test_a_configuration_the_gateway_accepts_is_one_scoring_applies(config: crm_pb2.TenantConfig) -> None:
    if gateway_config.config_problems(config):
        return
    stored = gateway_config.normalized(config, version=1)
    assert scoring_config.config_problems(stored) == []
    assert all(is_clean(s) for s in [*stored.stages, *stored.required_opportunity_fields])


def test_the_lead_s_two_gaps_are_closed() -> None:
    """A window scoring refuses (92..365 days) and a weight name it does not know."""
    assert gateway_config.config_problems(crm_pb2.TenantConfig(window_days=120))
    unknown = crm_pb2.TenantConfig()
    unknown.score_weights["made_up_weight"] = 1.0
    assert gateway_config.config_problems(unknown)
    nul = crm_pb2.CrmEvent(rep_id="rep-1")
    nul.record_deleted.object_type = crm_pb2.CRM_OBJECT_TYPE_CONTACT
    nul.record_deleted.crm_id = "c\x001"
    nul.record_deleted.deleted_at.seconds = int(NOW.timestamp())
    assert any("NUL" in p for p in gateway_events.event_problems(nul, tenant_id="acme", now=NOW))

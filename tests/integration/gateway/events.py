"""CRM events as plugins send them over gRPC."""

from __future__ import annotations

from datetime import datetime, timedelta

from groundtruth.crm.v1 import crm_pb2
from tests.factories import BASE_TIME, timestamp
from tests.integration.gateway.fakes import TEAMS


def login(rep_id: str, at: datetime = BASE_TIME) -> crm_pb2.CrmEvent:
    return crm_pb2.CrmEvent(
        rep_id=rep_id, source="test", user_login=crm_pb2.UserLogin(login_at=timestamp(at))
    )


def opportunity(crm_id: str, rep_id: str, *, minutes: int = 0) -> crm_pb2.CrmEvent:
    return crm_pb2.CrmEvent(
        source="test",
        record_upserted=crm_pb2.RecordUpserted(
            object_type=crm_pb2.CRM_OBJECT_TYPE_OPPORTUNITY,
            crm_id=crm_id,
            owner_rep_id=rep_id,
            name=f"Deal {crm_id}",
            stage="Proposal",
            amount=12_000.0,
            close_date="2026-12-15",
            modified_at=timestamp(BASE_TIME + timedelta(minutes=minutes)),
        ),
    )


def team_config() -> crm_pb2.TenantConfig:
    """Both test tenants: team-east (mgr-1: rep-1, rep-2) and team-west (mgr-2: rep-9)."""
    return crm_pb2.TenantConfig(
        internal_domains=["acme.example"],
        stages=["Discovery", "Proposal", "Closed Won"],
        teams=[
            crm_pb2.Team(team_id=team, name=team, manager_rep_id=manager, member_rep_ids=members)
            for team, (manager, members) in TEAMS.items()
        ],
    )

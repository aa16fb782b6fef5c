from __future__ import annotations

import pytest

from services.gateway.domain.access import (
    POLICY,
    Operation,
    Team,
    TeamDirectory,
    check_rep,
    require,
    resolve_team,
    visible_reps,
)
from services.gateway.domain.principal import Principal, Role
from services.gateway.errors import InvalidRequest, PermissionDenied

DIRECTORY = TeamDirectory.of(
    [
        Team("east", "mgr-1", frozenset({"rep-1", "rep-2"})),
        Team("west", "mgr-2", frozenset({"rep-9"})),
        Team("north", "mgr-2", frozenset({"rep-7"})),
    ]
)
ADMIN = Principal("acme", "k1", Role.ADMIN)
PLUGIN = Principal("acme", "k2", Role.PLUGIN)
MGR1 = Principal("acme", "k3", Role.MANAGER, "mgr-1")
MGR2 = Principal("acme", "k4", Role.MANAGER, "mgr-2")
REP1 = Principal("acme", "k5", Role.REP, "rep-1")
LONELY = Principal("acme", "k6", Role.MANAGER, "nobody")


def test_every_operation_has_a_policy() -> None:
    assert set(POLICY) == set(Operation)


@pytest.mark.parametrize(
    ("principal", "operation", "allowed"),
    [
        pytest.param(PLUGIN, Operation.INGEST_CRM_EVENTS, True, id="plugin ingests"),
        pytest.param(ADMIN, Operation.INGEST_CRM_EVENTS, False, id="admin does not ingest"),
        pytest.param(REP1, Operation.READ_REP_SCORES, False, id="rep has no team reads"),
        pytest.param(PLUGIN, Operation.WRITE_API_KEYS, False, id="plugin manages no keys"),
        pytest.param(MGR1, Operation.READ_MY_AGENDA, True, id="manager has an agenda"),
        pytest.param(ADMIN, Operation.READ_MY_AGENDA, False, id="admin has no agenda"),
        pytest.param(PLUGIN, Operation.READ_READINESS, True, id="plugin reads readiness"),
    ],
)
def test_role_policy(principal: Principal, operation: Operation, allowed: bool) -> None:
    if allowed:
        require(principal, operation)
    else:
        with pytest.raises(PermissionDenied):
            require(principal, operation)


@pytest.mark.parametrize(
    ("principal", "rep", "allowed"),
    [
        pytest.param(ADMIN, "rep-9", True, id="admin: anyone"),
        pytest.param(PLUGIN, "rep-9", True, id="plugin: anyone"),
        pytest.param(REP1, "rep-1", True, id="rep: self"),
        pytest.param(REP1, "rep-2", False, id="rep: not a colleague"),
        pytest.param(MGR1, "rep-2", True, id="manager: team member"),
        pytest.param(MGR1, "mgr-1", True, id="manager: self"),
        pytest.param(MGR1, "rep-9", False, id="manager: other team"),
        pytest.param(MGR2, "rep-7", True, id="manager of two teams: second team"),
    ],
)
def test_rep_scope(principal: Principal, rep: str, allowed: bool) -> None:
    if allowed:
        check_rep(principal, rep, DIRECTORY)
    else:
        with pytest.raises(PermissionDenied):
            check_rep(principal, rep, DIRECTORY)


def test_visible_reps() -> None:
    assert visible_reps(ADMIN, DIRECTORY) is None
    assert visible_reps(REP1, DIRECTORY) == frozenset({"rep-1"})
    assert visible_reps(MGR2, DIRECTORY) == frozenset({"mgr-2", "rep-9", "rep-7"})


def test_team_resolution() -> None:
    assert resolve_team(ADMIN, "", DIRECTORY) == ""
    assert resolve_team(PLUGIN, "west", DIRECTORY) == "west"
    assert resolve_team(MGR1, "", DIRECTORY) == "east"  # their only team is the default
    assert resolve_team(MGR2, "north", DIRECTORY) == "north"
    with pytest.raises(InvalidRequest, match="team_id is required"):
        resolve_team(MGR2, "", DIRECTORY)
    with pytest.raises(PermissionDenied):
        resolve_team(MGR1, "west", DIRECTORY)
    with pytest.raises(PermissionDenied, match="manages no team"):
        resolve_team(LONELY, "", DIRECTORY)
    with pytest.raises(PermissionDenied):
        resolve_team(REP1, "east", DIRECTORY)
    with pytest.raises(PermissionDenied, match="not bound to a rep"):
        check_rep(Principal("acme", "k", Role.MANAGER), "rep-1", DIRECTORY)

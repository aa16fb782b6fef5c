"""API keys of the caller's tenant, as its admins list, issue and revoke them."""

from __future__ import annotations

from dataclasses import dataclass

from services.gateway.domain import api_keys
from services.gateway.domain.access import Operation
from services.gateway.domain.identifiers import is_rep_id
from services.gateway.domain.principal import REP_BOUND_ROLES, Role
from services.gateway.domain.records import KeyRecord
from services.gateway.errors import Conflict, InvalidRequest, NotFound
from services.gateway.operations.scope import TenantScope, scoped
from services.gateway.ports import TenantStore

MAX_NAME_CHARS = 200


@dataclass(frozen=True)
class CreatedKey:
    record: KeyRecord
    plaintext: str  # shown once, never stored


def key_shape_problem(role: Role, rep_id: str | None, name: str) -> str | None:
    if not name.strip() or len(name) > MAX_NAME_CHARS:
        return f"name must be 1..{MAX_NAME_CHARS} characters"
    if role in REP_BOUND_ROLES and not rep_id:
        return f"a {role} key acts for one rep: rep_id is required"
    if role not in REP_BOUND_ROLES and rep_id:
        return f"a {role} key acts for the whole tenant: leave rep_id empty"
    if rep_id and not is_rep_id(rep_id):
        return "rep_id is not a valid rep id"
    return None


async def issue_key(
    store: TenantStore, *, pepper: bytes, name: str, role: Role, rep_id: str | None, created_by: str
) -> CreatedKey:
    """Generate a key and store its hash in `store`'s tenant (shared by admins and the operator)."""
    problem = key_shape_problem(role, rep_id, name)
    if problem:
        raise InvalidRequest(problem)
    new = api_keys.generate(pepper)
    record = await store.insert_key(
        key_id=new.key_id,
        name=name.strip(),
        role=role,
        rep_id=rep_id or None,
        secret_hash=new.secret_hash,
        created_by=created_by,
    )
    return CreatedKey(record=record, plaintext=new.plaintext)


@scoped(Operation.READ_API_KEYS)
async def list_keys(scope: TenantScope) -> list[KeyRecord]:
    return await scope.store.list_keys()


@scoped(Operation.WRITE_API_KEYS)
async def create_key(scope: TenantScope, *, name: str, role: Role, rep_id: str | None) -> CreatedKey:
    return await issue_key(
        scope.store,
        pepper=scope.pepper,
        name=name,
        role=role,
        rep_id=rep_id,
        created_by=scope.principal.key_id,
    )


@scoped(Operation.WRITE_API_KEYS)
async def revoke_key(scope: TenantScope, *, key_id: str) -> KeyRecord:
    """Revoke a key of the caller's tenant (idempotent). The last active admin key cannot be revoked,
    so a tenant can never lock itself out; the operator can still issue one
    (`python -m services.gateway admin issue-key`)."""
    if not api_keys.is_key_id(key_id):
        raise NotFound("no API key with that id in this tenant")
    async with scope.store.locked() as tenant:
        existing = await tenant.find_key(key_id)
        if existing is None:
            raise NotFound("no API key with that id in this tenant")
        if (
            existing.role is Role.ADMIN
            and existing.revoked_at is None
            and await tenant.count_active_admin_keys() <= 1
        ):
            raise Conflict("this is the tenant's last active admin key; create another admin key first")
        revoked = await tenant.revoke_key(key_id)
    scope.credentials.forget(key_id)
    assert revoked is not None  # the row was found under the same tenant lock
    return revoked

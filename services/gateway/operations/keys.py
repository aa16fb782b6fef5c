"""API key management (admins, and the CLI for bootstrapping a tenant)."""

from __future__ import annotations

from dataclasses import dataclass

from plumbing.db.pool import Pool
from services.gateway.adapters import key_store
from services.gateway.adapters.key_store import KeyRecord
from services.gateway.domain import api_keys
from services.gateway.domain.access import Operation, require
from services.gateway.domain.identifiers import is_rep_id, is_tenant_id
from services.gateway.domain.principal import REP_BOUND_ROLES, Principal, Role
from services.gateway.errors import Conflict, InvalidRequest, NotFound
from services.gateway.operations.context import Gateway

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
    pool: Pool, *, pepper: bytes, tenant_id: str, name: str, role: Role, rep_id: str | None, created_by: str
) -> CreatedKey:
    problem = key_shape_problem(role, rep_id, name)
    if problem:
        raise InvalidRequest(problem)
    new = api_keys.generate(pepper)
    record = await key_store.insert_key(
        pool,
        key_id=new.key_id,
        tenant_id=tenant_id,
        name=name.strip(),
        role=role,
        rep_id=rep_id or None,
        secret_hash=new.secret_hash,
        created_by=created_by,
    )
    return CreatedKey(record=record, plaintext=new.plaintext)


async def create_tenant(pool: Pool, *, pepper: bytes, tenant_id: str, name: str) -> CreatedKey:
    """Create a tenant and its first admin key (the bootstrap the CLI runs)."""
    if not is_tenant_id(tenant_id):
        raise InvalidRequest(f"{tenant_id!r} is not a valid tenant id (1-64 of A-Z a-z 0-9 _ . -)")
    if not name.strip() or len(name) > MAX_NAME_CHARS:
        raise InvalidRequest(f"the tenant name must be 1..{MAX_NAME_CHARS} characters")
    if not await key_store.create_tenant(pool, tenant_id=tenant_id, name=name.strip()):
        raise Conflict(
            f"tenant {tenant_id!r} already exists; create more keys with 'groundtruth keys create'"
        )
    return await issue_key(
        pool,
        pepper=pepper,
        tenant_id=tenant_id,
        name="first admin",
        role=Role.ADMIN,
        rep_id=None,
        created_by="cli",
    )


async def list_keys(gw: Gateway, p: Principal) -> list[KeyRecord]:
    require(p, Operation.READ_API_KEYS)
    return await key_store.list_keys(gw.pool, p.tenant_id)


async def create_key(gw: Gateway, p: Principal, *, name: str, role: Role, rep_id: str | None) -> CreatedKey:
    require(p, Operation.WRITE_API_KEYS)
    return await issue_key(
        gw.pool,
        pepper=gw.pepper,
        tenant_id=p.tenant_id,
        name=name,
        role=role,
        rep_id=rep_id,
        created_by=p.key_id,
    )


async def revoke_key(gw: Gateway, p: Principal, *, key_id: str) -> KeyRecord:
    """Revoke a key of the caller's tenant (idempotent). The last active admin key cannot be revoked,
    so a tenant can never lock itself out; the CLI can still issue one."""
    require(p, Operation.WRITE_API_KEYS)
    if not api_keys.is_key_id(key_id):
        raise NotFound("no API key with that id in this tenant")
    async with gw.pool.acquire() as conn, conn.transaction():
        await key_store.lock_tenant(conn, p.tenant_id)
        existing = await key_store.find_key(conn, key_id)
        if existing is None or existing.tenant_id != p.tenant_id:
            raise NotFound("no API key with that id in this tenant")
        if (
            existing.role is Role.ADMIN
            and existing.revoked_at is None
            and await key_store.count_active_admin_keys(conn, p.tenant_id) <= 1
        ):
            raise Conflict("this is the tenant's last active admin key; create another admin key first")
        revoked = await key_store.revoke_key(conn, tenant_id=p.tenant_id, key_id=key_id)
    gw.authenticator.forget(key_id)
    assert revoked is not None  # the row was found under the same tenant lock
    return revoked

"""The operator's use cases: create a tenant with its first admin key, and manage any tenant's keys.

They run from `python -m services.gateway admin ...` on a host holding the gateway's database
credentials, and that access is what authorises them: there is no API key, no role and no
`TenantScope` here. This is the one other caller of `for_tenant` (see `ports.py`), naming the tenant
the operator typed. Errors are `services.gateway.errors` with messages for the operator.
"""

from __future__ import annotations

from services.gateway.domain import api_keys
from services.gateway.domain.identifiers import is_tenant_id
from services.gateway.domain.principal import Role
from services.gateway.domain.records import KeyRecord, TenantRecord
from services.gateway.errors import Conflict, InvalidRequest, NotFound
from services.gateway.operations.keys import MAX_NAME_CHARS, CreatedKey, issue_key
from services.gateway.ports import Tenants

OPERATOR = "cli"  # the `created_by` of keys the operator issues


async def create_tenant(tenants: Tenants, *, pepper: bytes, tenant_id: str, name: str) -> CreatedKey:
    """Create a tenant and its first admin key."""
    if not is_tenant_id(tenant_id):
        raise InvalidRequest(f"{tenant_id!r} is not a valid tenant id (1-64 of A-Z a-z 0-9 _ . -)")
    if not name.strip() or len(name) > MAX_NAME_CHARS:
        raise InvalidRequest(f"the tenant name must be 1..{MAX_NAME_CHARS} characters")
    if not await tenants.create_tenant(tenant_id=tenant_id, name=name.strip()):
        raise Conflict(
            f"tenant {tenant_id!r} already exists; create more keys with 'groundtruth keys create' "
            "or 'python -m services.gateway admin issue-key'"
        )
    return await issue_key(
        tenants.for_tenant(tenant_id),
        pepper=pepper,
        name="first admin",
        role=Role.ADMIN,
        rep_id=None,
        created_by=OPERATOR,
    )


async def list_tenants(tenants: Tenants) -> list[TenantRecord]:
    return await tenants.list_tenants()


async def issue_tenant_key(
    tenants: Tenants, *, pepper: bytes, tenant_id: str, name: str, role: Role, rep_id: str | None
) -> CreatedKey:
    """Issue a key of any role for an existing tenant (the first keys, or a lost last admin key)."""
    await _existing(
        tenants, tenant_id, hint="; create it with 'python -m services.gateway admin create-tenant'"
    )
    return await issue_key(
        tenants.for_tenant(tenant_id), pepper=pepper, name=name, role=role, rep_id=rep_id, created_by=OPERATOR
    )


async def list_tenant_keys(tenants: Tenants, *, tenant_id: str) -> list[KeyRecord]:
    await _existing(tenants, tenant_id)
    return await tenants.for_tenant(tenant_id).list_keys()


async def revoke_tenant_key(tenants: Tenants, *, tenant_id: str, key_id: str) -> KeyRecord:
    """Revoke a key (idempotent). Unlike an admin over the API, the operator may revoke the last
    admin key: they can always issue another one."""
    if not api_keys.is_key_id(key_id):
        raise InvalidRequest(f"{key_id!r} is not a key id (16 characters a-z, 2-7; see 'list-keys')")
    async with tenants.for_tenant(tenant_id).locked() as tenant:
        revoked = await tenant.revoke_key(key_id)
    if revoked is None:
        raise NotFound(f"tenant {tenant_id!r} has no key {key_id!r}")
    return revoked


async def _existing(tenants: Tenants, tenant_id: str, *, hint: str = "") -> None:
    if not await tenants.tenant_exists(tenant_id):
        raise NotFound(f"no tenant {tenant_id!r}{hint}")

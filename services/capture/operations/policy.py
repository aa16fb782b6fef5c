"""Capture policy: the tenant's capture level, internal domains and exclusions, and each rep's own
exclusions. A change applies from the next page of every mailbox of the tenant."""

from __future__ import annotations

from collections.abc import Iterable

from services.capture.domain import validation as check
from services.capture.domain.privacy import CaptureLevel
from services.capture.operations.context import AdminPorts
from services.capture.ports import StoredRepExclusions, StoredTenantPolicy


async def get_capture_policy(admin: AdminPorts, *, tenant_id: str) -> StoredTenantPolicy:
    """The tenant's policy; a tenant that never set one captures metadata with no exclusions."""
    tenant = check.tenant_id(tenant_id)
    stored = await admin.store.get_policy(tenant_id=tenant)
    return stored if stored is not None else StoredTenantPolicy(tenant_id=tenant)


async def set_capture_policy(
    admin: AdminPorts,
    *,
    tenant_id: str,
    capture_level: CaptureLevel | None,
    internal_domains: Iterable[str],
    excluded_addresses: Iterable[str],
    excluded_domains: Iterable[str],
) -> StoredTenantPolicy:
    """Replace the tenant's policy (lists normalized, deduplicated, bounded). `capture_level` None is a
    level the caller's protocol does not know: `Invalid`."""
    tenant = check.tenant_id(tenant_id)
    if capture_level is None:
        raise check.Invalid("policy.capture_level is not a known level")
    stored = await admin.store.set_policy(
        StoredTenantPolicy(
            tenant_id=tenant,
            capture_level=capture_level,
            internal_domains=check.domains(internal_domains, "policy.internal_domains"),
            excluded_addresses=check.addresses(excluded_addresses, "policy.excluded_addresses"),
            excluded_domains=check.domains(excluded_domains, "policy.excluded_domains"),
        )
    )
    admin.sync.invalidate_policies(tenant)
    return stored


async def get_rep_exclusions(admin: AdminPorts, *, tenant_id: str, rep_id: str) -> StoredRepExclusions:
    """The rep's exclusions; none set is empty lists."""
    tenant, rep = check.tenant_id(tenant_id), check.rep_id(rep_id)
    stored = await admin.store.get_rep_exclusions(tenant_id=tenant, rep_id=rep)
    return stored if stored is not None else StoredRepExclusions(tenant_id=tenant, rep_id=rep)


async def set_rep_exclusions(
    admin: AdminPorts,
    *,
    tenant_id: str,
    rep_id: str,
    excluded_addresses: Iterable[str],
    excluded_domains: Iterable[str],
) -> StoredRepExclusions:
    """Replace the rep's exclusions (normalized, deduplicated, bounded)."""
    tenant, rep = check.tenant_id(tenant_id), check.rep_id(rep_id, "exclusions.rep_id")
    stored = await admin.store.set_rep_exclusions(
        StoredRepExclusions(
            tenant_id=tenant,
            rep_id=rep,
            excluded_addresses=check.addresses(excluded_addresses, "exclusions.excluded_addresses"),
            excluded_domains=check.domains(excluded_domains, "exclusions.excluded_domains"),
        )
    )
    admin.sync.invalidate_policies(tenant)
    return stored

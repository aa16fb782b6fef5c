"""The tenant configuration an admin reads and replaces (teams, domains, stages, score settings)."""

from __future__ import annotations

from groundtruth.crm.v1 import crm_pb2
from services.gateway.domain import tenant_config
from services.gateway.domain.access import Operation
from services.gateway.errors import Conflict, InvalidRequest, NotFound
from services.gateway.operations.scope import TenantScope, scoped


@scoped(Operation.READ_TENANT_CONFIG)
async def get_config(scope: TenantScope) -> crm_pb2.TenantConfig:
    return tenant_config.redacted(await scope.configs.config())


@scoped(Operation.WRITE_TENANT_CONFIG)
async def set_config(
    scope: TenantScope, config: crm_pb2.TenantConfig, *, expected_version: int | None
) -> crm_pb2.TenantConfig:
    """Validate, store a new version and publish it (acked by the broker) in one transaction."""
    now = scope.now()
    async with scope.store.locked() as tenant:
        if not tenant.exists:
            raise NotFound("the tenant no longer exists")
        current = await tenant.current_config()
        tenant_config.keep_secrets(config, current)
        problems = tenant_config.config_problems(config)
        if problems:
            raise InvalidRequest("the configuration is not valid: " + "; ".join(problems[:20]))
        current_version = current.version if current is not None else 0
        if expected_version is not None and expected_version != current_version:
            raise Conflict(
                f"the configuration is at version {current_version}, not {expected_version}; "
                "re-read it and retry"
            )
        version = tenant_config.next_version(current_version, int(now.timestamp() * 1_000_000))
        stored = tenant_config.normalized(config, version=version)
        tenant_config.seal_secrets(stored, scope.seal_secret)  # never stored or published in clear
        await tenant.insert_config(stored, created_by=scope.principal.key_id)
        event = crm_pb2.CrmEvent(
            event_id=f"tenant_config_{version}",
            tenant_id=scope.tenant_id,
            source="gateway",
            tenant_config_updated=crm_pb2.TenantConfigUpdated(config=stored),
        )
        event.occurred_at.FromDatetime(now)
        event.observed_at.FromDatetime(now)
        # Inside the transaction: if the broker does not take it, the version is not stored either.
        await scope.publish([event])
    scope.configs.invalidate()
    return tenant_config.redacted(stored)

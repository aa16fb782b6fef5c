"""Probable duplicate accounts and contacts of a tenant, grouped, with the open pipeline they touch."""

from __future__ import annotations

from plumbing.db.pool import Connection, Pool
from services.scoring.adapters.pg_rows import record_from_row
from services.scoring.ports import DuplicateGroup

DUPLICATE_GROUPS = """
WITH live AS (
    SELECT * FROM crm_records WHERE tenant_id = $1 AND NOT deleted AND object_type IN ('account', 'contact')
),
groups AS (
    SELECT 'account' AS object_type, 'domain ' || d.domain AS key, 'same web domain' AS reason,
           d.account_crm_id AS crm_id
    FROM account_domains d WHERE d.tenant_id = $1 AND d.domain IN (
        SELECT domain FROM account_domains WHERE tenant_id = $1 GROUP BY domain HAVING count(*) > 1)
    UNION ALL
    SELECT 'account', 'name ' || name_key, 'same name', crm_id FROM live
    WHERE object_type = 'account' AND name_key <> '' AND name_key IN (
        SELECT name_key FROM live WHERE object_type = 'account' AND name_key <> ''
        GROUP BY name_key HAVING count(*) > 1)
    UNION ALL
    SELECT 'contact', 'email ' || email, 'same e-mail address', crm_id FROM live
    WHERE object_type = 'contact' AND email <> '' AND email IN (
        SELECT email FROM live WHERE object_type = 'contact' AND email <> ''
        GROUP BY email HAVING count(*) > 1)
    UNION ALL
    SELECT 'contact', 'name ' || account_crm_id || ' ' || name_key, 'same name on the same account', crm_id
    FROM live WHERE object_type = 'contact' AND name_key <> '' AND (account_crm_id, name_key) IN (
        SELECT account_crm_id, name_key FROM live WHERE object_type = 'contact' AND name_key <> ''
        GROUP BY account_crm_id, name_key HAVING count(*) > 1)
)
SELECT g.object_type AS group_type, g.key, g.reason, l.*
FROM groups g JOIN live l ON l.object_type = g.object_type AND l.crm_id = g.crm_id
ORDER BY g.object_type, g.key, l.crm_id
"""

OPEN_PIPELINE_BY_ACCOUNT = """
SELECT account_crm_id, sum(amount) AS amount FROM crm_records
WHERE tenant_id = $1 AND object_type = 'opportunity' AND NOT deleted AND NOT is_closed
  AND account_crm_id = ANY($2::text[])
GROUP BY account_crm_id
"""


async def duplicate_groups(conn: Connection | Pool, tenant_id: str) -> list[DuplicateGroup]:
    """Probable duplicates, the groups with the most open pipeline (then the most records) first."""
    grouped: dict[tuple[str, str], DuplicateGroup] = {}
    for row in await conn.fetch(DUPLICATE_GROUPS, tenant_id):
        key = (row["group_type"], row["key"])
        group = grouped.get(key)
        if group is None:
            group = grouped[key] = DuplicateGroup(row["group_type"], row["key"], row["reason"], [], 0.0)
        group.records.append(record_from_row(row))
    accounts = {
        r.crm_id if r.object_type.value == "account" else r.account_crm_id
        for g in grouped.values()
        for r in g.records
    }
    pipeline = {
        r["account_crm_id"]: float(r["amount"])
        for r in await conn.fetch(OPEN_PIPELINE_BY_ACCOUNT, tenant_id, sorted(a for a in accounts if a))
    }
    # The same records can be duplicates for several reasons (same domain and same name): one group.
    merged: dict[tuple[str, tuple[str, ...]], DuplicateGroup] = {}
    for group in grouped.values():
        members = (group.object_type, tuple(r.crm_id for r in group.records))
        known = merged.get(members)
        if known is None:
            involved = {
                r.crm_id if r.object_type.value == "account" else r.account_crm_id for r in group.records
            }
            amount = sum(pipeline.get(a, 0.0) for a in involved)
            merged[members] = DuplicateGroup(
                group.object_type, group.key, group.reason, group.records, amount
            )
        else:
            merged[members] = DuplicateGroup(
                known.object_type,
                known.key,
                f"{known.reason}, {group.reason}",
                known.records,
                known.open_pipeline,
            )
    return sorted(merged.values(), key=lambda g: (-g.open_pipeline, -len(g.records), g.key))

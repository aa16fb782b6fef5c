"""The pools skip asyncpg's reset query on release (`plumbing.db.pool.keep_session`): that is only
safe while no code leaves session state on a pooled connection. This guards the rule."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Session-level state that would leak to a pooled connection's next user.
SESSION_STATE = [
    re.compile(r"pg_advisory_lock\s*\(", re.IGNORECASE),  # pg_advisory_xact_lock is transaction-scoped
    re.compile(r"pg_try_advisory_lock\s*\(", re.IGNORECASE),
    re.compile(r"""["']\s*SET\s+(?!LOCAL\b)(?:SESSION\s+)?[a-z_]+\s*(?:=|TO\b)""", re.IGNORECASE),
    re.compile(r"""["']\s*(?:UN)?LISTEN\b"""),  # SQL keywords are upper-case in this code base
    re.compile(r"""["']\s*PREPARE\s+\w+\s+AS\b""", re.IGNORECASE),
]
# Migrations, the relay's leader lock and the rescore claims run on connections of their own, never
# pooled ones.
EXEMPT = {
    ROOT / "plumbing" / "db" / "migrations.py",
    ROOT / "services" / "scoring" / "adapters" / "pg_relay.py",
    ROOT / "services" / "scoring" / "adapters" / "pg_rescore_claims.py",
}


def offending_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if any(p.search(line) for p in SESSION_STATE)]


def test_the_patterns_catch_session_state() -> None:
    assert offending_lines('await conn.execute("SELECT pg_advisory_lock($1)", key)')
    assert offending_lines('await conn.execute("SET search_path TO x")')
    assert offending_lines("await conn.execute('LISTEN changes')")
    assert not offending_lines('await conn.execute("SET LOCAL enable_hashjoin = off")')
    assert not offending_lines('await conn.execute("SELECT pg_advisory_xact_lock($1)")')
    assert not offending_lines('"UPDATE cursors SET cursor = NULL"')


def test_no_service_leaves_session_state_on_a_pooled_connection() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for folder in ("services", "plumbing")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path not in EXEMPT and (lines := offending_lines(path.read_text()))
    }
    assert found == {}

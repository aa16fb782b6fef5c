"""New activities travel with their lists joined into one text (`pg_rows.joined_text`): what cannot
travel so goes the other way, and both end in the state of the in-memory reference."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plumbing.db.pool import Pool
from services.scoring.adapters.pg_rows import ARRAY_SEPARATOR, joined_text
from services.scoring.domain.activities import CapturedActivity
from services.scoring.operations.ingest import Decoded
from tests.integration.scoring.pg_state import comparable_state
from tests.integration.scoring.test_store_equivalence import deliver_to_postgres, one_by_one
from tests.unit.scoring.test_ingest_fold import HISTORY

pytestmark = pytest.mark.integration

_TEXTS = st.text(alphabet=st.sampled_from(["a", "é", "@", ",", '"', "{", " ", ARRAY_SEPARATOR]), max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(values=st.lists(_TEXTS, max_size=4))
async def test_a_joined_text_splits_back_into_exactly_its_values_in_postgres(
    scoring_pool: Pool, values: list[str]
) -> None:
    text = joined_text(tuple(values))
    if text is None:
        # Only what PostgreSQL would split differently is refused.
        assert values == [""] or any(ARRAY_SEPARATOR in v for v in values)
        return
    split = await scoring_pool.fetchval("SELECT string_to_array($1::text, E'\\x1f')", text)
    assert split == values
    reversed_keys = await scoring_pool.fetchval("SELECT string_to_array($1::text, E'\\x1f')", text[::-1])
    assert sorted(reversed_keys) == sorted(v[::-1] for v in values)


def _with_odd_addresses(events: list[Decoded]) -> list[Decoded]:
    """Every third activity gets an address holding the separator, so a batch mixes both ways."""
    out: list[Decoded] = []
    seen = 0
    for event in events:
        if isinstance(event, CapturedActivity):
            seen += 1
            if seen % 3 == 0:
                odd = f"odd{ARRAY_SEPARATOR}{seen}@example.org"
                event = dataclasses.replace(event, external_addresses=(*event.external_addresses, odd))
        out.append(event)
    return out


async def test_activities_whose_lists_cannot_be_joined_end_in_the_reference_state(scoring_pool: Pool) -> None:
    history = _with_odd_addresses(list(HISTORY))
    assert any(isinstance(e, CapturedActivity) and joined_text(e.external_addresses) is None for e in history)
    expected = (await one_by_one(history)).comparable(with_feed=False)
    await deliver_to_postgres(scoring_pool, [history])
    assert await comparable_state(scoring_pool) == expected
    await deliver_to_postgres(scoring_pool, [[e] for e in history])
    assert await comparable_state(scoring_pool) == expected

from __future__ import annotations

from pathlib import Path

import pytest

from plumbing.db.migrations import MigrationError, load_migrations
from services.scoring.app import MIGRATIONS as SCORING_MIGRATIONS


def test_loads_in_version_order(tmp_path: Path) -> None:
    (tmp_path / "0002_second.sql").write_text("SELECT 2;")
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    assert [(m.version, m.name) for m in load_migrations(tmp_path)] == [(1, "first"), (2, "second")]


@pytest.mark.parametrize(
    "names",
    [
        pytest.param(["0001_a.sql", "0001_b.sql"], id="one number twice"),
        pytest.param(["0000_a.sql"], id="zero"),
        pytest.param(["1_a.sql"], id="unpadded"),
        pytest.param(["0001_Bad-Name.sql"], id="bad name"),
    ],
)
def test_rejects_malformed_histories(tmp_path: Path, names: list[str]) -> None:
    for name in names:
        (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(MigrationError):
        load_migrations(tmp_path)


def test_a_reserved_number_may_leave_a_gap(tmp_path: Path) -> None:
    """Parallel changes reserve their numbers: 0006 may land before 0005; all apply in number order."""
    for name in ("0001_a.sql", "0003_c.sql"):
        (tmp_path / name).write_text("SELECT 1;")
    assert [m.version for m in load_migrations(tmp_path)] == [1, 3]


def test_checksum_tracks_content(tmp_path: Path) -> None:
    path = tmp_path / "0001_a.sql"
    path.write_text("SELECT 1;")
    before = load_migrations(tmp_path)[0].checksum
    path.write_text("SELECT 2;")
    assert load_migrations(tmp_path)[0].checksum != before


def test_service_migrations_are_well_formed() -> None:
    assert load_migrations(SCORING_MIGRATIONS)

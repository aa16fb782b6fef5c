"""A real Tryton server for the Tryton plugin's tests: one template database per session (~25 s, the
`groundtruth` module and its dependencies activated), copied for each module's world."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from plugins.tryton.sandbox.server import TrytonSite
from tests.integration.conftest import Isolated
from tests.integration.tryton.world import TrytonWorld, running_tryton_world, template_site


@pytest.fixture(scope="session")
def tryton_template(tmp_path_factory: pytest.TempPathFactory) -> TrytonSite:
    return template_site(tmp_path_factory.mktemp("tryton-template"))


@pytest.fixture(scope="module")
async def tryton_world(
    isolated: Isolated, tryton_template: TrytonSite, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[TrytonWorld]:
    async with running_tryton_world(
        isolated, tmp_path_factory.mktemp("tryton-world"), tryton_template
    ) as world:
        yield world


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    return tmp_path

"""Fixtures for the deployment checks: every kustomization rendered once per session.

`rendering` runs a test once per overlay and once per combination of the base with the components;
`overlay` runs it once per overlay (the deployable units, which include the infrastructure).
"""

from __future__ import annotations

import pytest

from tests.k8s.manifests import (
    KUBECTL_MISSING,
    Rendering,
    kubectl,
    overlay_names,
    render_everything,
    rendering_names,
)


@pytest.fixture(scope="session")
def renderings(tmp_path_factory: pytest.TempPathFactory) -> list[Rendering]:
    if kubectl() is None:
        pytest.skip(KUBECTL_MISSING)
    return render_everything(tmp_path_factory.mktemp("kustomize"))


def _pick(renderings: list[Rendering], name: str) -> Rendering:
    return next(r for r in renderings if r.name == name)


@pytest.fixture(params=rendering_names())
def rendering(request: pytest.FixtureRequest, renderings: list[Rendering]) -> Rendering:
    return _pick(renderings, request.param)


@pytest.fixture(params=[f"overlays/{name}" for name in overlay_names()])
def overlay(request: pytest.FixtureRequest, renderings: list[Rendering]) -> Rendering:
    return _pick(renderings, request.param)


@pytest.fixture(scope="session")
def overlays(renderings: list[Rendering]) -> list[Rendering]:
    return [r for r in renderings if r.is_overlay]

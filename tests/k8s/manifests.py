"""Render deploy/k8s with `kubectl kustomize` and read the rendered objects.

Every overlay is rendered, and the base with every combination of the components, so that what CI
checks is exactly what `kubectl apply -k` would send.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = K8S / "overlays"
COMPONENTS = K8S / "components"

Obj = dict[str, Any]

KUBECTL_MISSING = (
    "kubectl is not installed: the Kubernetes manifests cannot be rendered here. Install kubectl "
    "(v1.30+, it bundles kustomize) to run tests/k8s; CI machines have it."
)


def kubectl() -> str | None:
    return shutil.which("kubectl")


def render(directory: Path) -> list[Obj]:
    binary = kubectl()
    if binary is None:
        raise RuntimeError(KUBECTL_MISSING)
    result = subprocess.run(
        [binary, "kustomize", str(directory)], capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@dataclass(frozen=True)
class Rendering:
    """The objects one kustomization renders to, e.g. `overlays/prod` or `base+monitoring`."""

    name: str
    objects: tuple[Obj, ...]

    def of_kind(self, kind: str) -> list[Obj]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> Obj:
        found = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        assert found, f"{self.name}: no {kind}/{name}"
        return found[0]

    def find(self, kind: str, name: str) -> Obj | None:
        return next((o for o in self.of_kind(kind) if o["metadata"]["name"] == name), None)

    @property
    def is_overlay(self) -> bool:
        return self.name.startswith("overlays/")

    @property
    def workloads(self) -> list[Obj]:
        """Deployments and Jobs: everything that runs Groundtruth's code."""
        return self.of_kind("Deployment") + self.of_kind("Job")

    def config_map_data(self, name: str) -> dict[str, str]:
        """Data of a ConfigMap by its name before kustomize appended the content hash."""
        for cm in self.of_kind("ConfigMap"):
            if cm["metadata"]["name"] == name or cm["metadata"]["name"].rsplit("-", 1)[0] == name:
                return {k: str(v) for k, v in cm.get("data", {}).items()}
        raise AssertionError(f"{self.name}: no ConfigMap {name}")


def pod_spec(workload: Obj) -> Obj:
    spec: Obj = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Obj) -> list[Obj]:
    return list(pod_spec(workload)["containers"])


def service_of(container: Obj) -> str:
    """The service a container runs: its first argument is `services.<name>` (ENTRYPOINT python -m)."""
    module: str = container["args"][0]
    assert module.startswith("services."), f"container {container['name']} does not run a service"
    return module.removeprefix("services.")


def component_names() -> list[str]:
    return sorted(p.name for p in COMPONENTS.iterdir() if (p / "kustomization.yaml").exists())


def overlay_names() -> list[str]:
    return sorted(p.name for p in OVERLAYS.iterdir() if (p / "kustomization.yaml").exists())


def component_combinations() -> Iterator[tuple[str, ...]]:
    names = component_names()
    for size in range(len(names) + 1):
        yield from itertools.combinations(names, size)


def combination_name(combination: tuple[str, ...]) -> str:
    return "+".join(("base", *combination))


def rendering_names() -> list[str]:
    """Known without rendering, so tests can be parametrized at collection time."""
    return [f"overlays/{n}" for n in overlay_names()] + [
        combination_name(c) for c in component_combinations()
    ]


def render_everything(scratch: Path) -> list[Rendering]:
    """Every overlay, plus the base with every combination of the components."""
    renderings = [Rendering(f"overlays/{name}", tuple(render(OVERLAYS / name))) for name in overlay_names()]
    for combination in component_combinations():
        directory = scratch / combination_name(combination)
        directory.mkdir(parents=True, exist_ok=True)
        # kustomize refuses absolute paths; relative ones may leave the kustomization's directory.
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [os.path.relpath(K8S / "base", directory)],
            "components": [os.path.relpath(COMPONENTS / c, directory) for c in combination],
        }
        (directory / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        renderings.append(Rendering(directory.name, tuple(render(directory))))
    return renderings

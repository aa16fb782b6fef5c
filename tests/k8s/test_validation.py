"""Offline schema validation of everything the kustomizations render.

Kubernetes' own kinds: `kubernetes-validate` in strict mode (unknown fields are errors), against the
oldest Kubernetes version we support and the newest the package knows. Custom resources
(Strimzi, CloudNativePG, Prometheus Operator): kubernetes-validate has no CRD schemas and fetches
nothing, so each is checked against deploy/k8s/schemas/<group>/<version>/<kind>.json, a strict subset of
the CRD's openAPIV3Schema for the operator version we pin (deploy/k8s/schemas/README.md says why).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from kubernetes_validate import utils as kv_utils

from tests.k8s.manifests import K8S, Obj, Rendering

SCHEMAS = K8S / "schemas"
# Strimzi 0.51 supports Kubernetes 1.30 and newer; native gRPC probes and preStop sleep need 1.30 too.
OLDEST_KUBERNETES = "1.30"
KUBERNETES_VERSIONS = (OLDEST_KUBERNETES, kv_utils.latest_version())
CUSTOM_GROUPS = {"kafka.strimzi.io", "postgresql.cnpg.io", "monitoring.coreos.com", "cert-manager.io"}


def _is_custom(obj: Obj) -> bool:
    return "/" in obj["apiVersion"] and obj["apiVersion"].split("/")[0] in CUSTOM_GROUPS


def schema_path(obj: Obj) -> Path:
    group, version = str(obj["apiVersion"]).split("/")
    return SCHEMAS / group / version / f"{str(obj['kind']).lower()}.json"


@cache
def _validator(path: Path) -> jsonschema.Draft202012Validator:
    schema: dict[str, Any] = json.loads(path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _label(obj: Obj) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def native_errors(obj: Obj) -> list[str]:
    errors = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{_label(obj)} (Kubernetes {version}): {path}: {exc.message}")
        except kv_utils.SchemaNotFoundError as exc:
            errors.append(f"{_label(obj)}: {exc.message}; an API this Kubernetes version does not serve?")
    return errors


def custom_errors(obj: Obj) -> list[str]:
    path = schema_path(obj)
    if not path.exists():
        return [f"{_label(obj)}: no schema at {path.relative_to(K8S)}; add one (see schemas/README.md)"]
    return [
        f"{_label(obj)}: {'.'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in _validator(path).iter_errors(obj)
    ]


def test_kubernetes_objects_are_valid_in_strict_mode(rendering: Rendering) -> None:
    errors = [e for obj in rendering.objects if not _is_custom(obj) for e in native_errors(obj)]
    assert not errors, "\n".join(errors)


def test_custom_resources_match_their_operator_schemas(rendering: Rendering) -> None:
    errors = [e for obj in rendering.objects if _is_custom(obj) for e in custom_errors(obj)]
    assert not errors, "\n".join(errors)


def test_every_vendored_schema_is_used(renderings: list[Rendering]) -> None:
    used = {schema_path(o) for r in renderings for o in r.objects if _is_custom(o)}
    unused = sorted(str(p.relative_to(K8S)) for p in SCHEMAS.rglob("*.json") if p not in used)
    assert not unused, f"schemas no manifest uses (remove them): {unused}"


@pytest.mark.parametrize(
    ("kind", "mutate"),
    [
        pytest.param(
            "Deployment",
            lambda o: o["spec"]["template"]["spec"]["containers"][0].update(livenesProbe={}),
            id="misspelt container field",
        ),
        pytest.param("Deployment", lambda o: o["spec"].update(replicas="two"), id="wrong type"),
        pytest.param("KafkaTopic", lambda o: o["spec"].update(partition=12), id="misspelt KafkaTopic field"),
        pytest.param("KafkaTopic", lambda o: o["spec"].update(partitions=0), id="KafkaTopic out of range"),
        pytest.param(
            "Cluster", lambda o: o["spec"]["bootstrap"]["initdb"].update(databse="x"), id="CNPG typo"
        ),
    ],
)
def test_validation_rejects_broken_objects(overlays: list[Rendering], kind: str, mutate: Any) -> None:
    """The validators are not vacuous: a known-good object, broken on purpose, fails."""
    original = overlays[0].of_kind(kind)[0]
    assert not (custom_errors(original) if _is_custom(original) else native_errors(original))
    broken = copy.deepcopy(original)
    mutate(broken)
    assert custom_errors(broken) if _is_custom(broken) else native_errors(broken)

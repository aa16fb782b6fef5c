"""The environment a container starts with, resolved from its rendered manifest."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.k8s.manifests import Obj, Rendering

_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


@dataclass(frozen=True)
class EnvSource:
    """Where one variable comes from: a ConfigMap key, a Secret key, or a literal value.

    A literal may reference earlier variables as `$(NAME)`; Kubernetes expands them at start-up.
    """

    kind: str  # "configmap" | "secret" | "value"
    name: str = ""  # ConfigMap or Secret name
    key: str = ""
    value: str = ""

    @property
    def references(self) -> list[str]:
        return _REFERENCE.findall(self.value) if self.kind == "value" else []


def container_env(rendering: Rendering, container: Obj) -> dict[str, EnvSource]:
    """Later sources win, as in Kubernetes: `env` entries override `envFrom`."""
    env: dict[str, EnvSource] = {}
    for source in container.get("envFrom", []):
        assert "prefix" not in source, "envFrom prefixes are not used here"
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            cm = rendering.find("ConfigMap", name)
            data = cm.get("data", {}) if cm else rendering.config_map_data(name)
            for key, value in data.items():
                env[key] = EnvSource("configmap", name=name, key=key, value=str(value))
        elif "secretRef" in source:
            raise AssertionError("whole-Secret envFrom hides which settings are secret; use secretKeyRef")
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = EnvSource("value", value=str(entry["value"]))
        elif "secretKeyRef" in entry.get("valueFrom", {}):
            ref = entry["valueFrom"]["secretKeyRef"]
            env[entry["name"]] = EnvSource("secret", name=ref["name"], key=ref["key"])
        elif "configMapKeyRef" in entry.get("valueFrom", {}):
            ref = entry["valueFrom"]["configMapKeyRef"]
            cm_data = rendering.config_map_data(ref["name"])
            env[entry["name"]] = EnvSource(
                "configmap", name=ref["name"], key=ref["key"], value=cm_data[ref["key"]]
            )
        else:
            raise AssertionError(f"unsupported env source for {entry['name']}: {entry}")
    return env


def comes_from_secret(env: dict[str, EnvSource], name: str) -> bool:
    """True when the value is a Secret key, or a literal built only from `$(VARS)` that are Secret keys
    or plain composition around them (at least one Secret-backed reference)."""
    source = env[name]
    if source.kind == "secret":
        return True
    if source.kind != "value" or not source.references:
        return False
    return any(env.get(ref) is not None and env[ref].kind == "secret" for ref in source.references)


def resolve(env: dict[str, EnvSource], secret_placeholder: str = "placeholder") -> dict[str, str]:
    """Plain values as the process sees them, with every Secret key replaced by a placeholder."""
    plain: dict[str, str] = {}
    for name, source in env.items():
        if source.kind == "secret":
            # Padded to 40 characters: secrets such as signing keys have a minimum length.
            placeholder = f"{secret_placeholder}-{source.key}".ljust(40, "x")
            plain[name] = "5432" if source.key == "port" else placeholder
        else:
            plain[name] = source.value
    for name, source in env.items():
        if source.kind == "value":
            plain[name] = _REFERENCE.sub(lambda m: plain.get(m.group(1), m.group(0)), source.value)
    return plain

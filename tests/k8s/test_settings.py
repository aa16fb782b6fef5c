"""Every service's configuration in the manifests matches the settings its code actually reads.

Derived from each `services/<name>/config.py::Settings`: add a setting there and these tests say what
the manifests must provide (see docs/deploy.md, "Adding a setting").
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.k8s.environment import EnvSource, comes_from_secret, container_env, resolve
from tests.k8s.manifests import Obj, Rendering, containers, service_of
from tests.k8s.settings_env import EnvSetting, env_settings, service_names, settings_class

SECRET_SNIPPET = """  - name: {env}
    valueFrom:
      secretKeyRef: {{name: groundtruth-{service}, key: {key}}}"""


def _service_containers(rendering: Rendering) -> list[tuple[Obj, Obj, str]]:
    found = [(w, c, service_of(c)) for w in rendering.workloads for c in containers(w)]
    assert found, f"{rendering.name}: no workloads"
    return found


def _where(workload: Obj) -> str:
    return f"{workload['kind']}/{workload['metadata']['name']}"


def test_every_service_has_a_deployment(rendering: Rendering) -> None:
    deployed = {service_of(c) for d in rendering.of_kind("Deployment") for c in containers(d)}
    assert deployed == set(service_names()), (
        f"{rendering.name}: services/ has {service_names()}, Deployments run {sorted(deployed)}; "
        "add deploy/k8s/base/<service>.yaml for a new service"
    )


def test_required_settings_are_provided(rendering: Rendering) -> None:
    missing = []
    for workload, container, service in _service_containers(rendering):
        env = container_env(rendering, container)
        for setting in env_settings(settings_class(service)):
            if setting.required and setting.env not in env:
                if setting.secret:
                    fix = f"read it from a Secret in the container's env in deploy/k8s/base/{service}.yaml:\n"
                    key = setting.field.replace("_", "-")
                    fix += SECRET_SNIPPET.format(env=setting.env, service=service, key=key)
                else:
                    fix = f"add {setting.env}=<value> to deploy/k8s/base/config/{service}.env"
                missing.append(f"{_where(workload)}: {setting.env} is required by {service}; {fix}")
    assert not missing, "\n".join(missing)


def test_secret_settings_come_only_from_secrets(rendering: Rendering) -> None:
    wrong = []
    for workload, container, service in _service_containers(rendering):
        env = container_env(rendering, container)
        for setting in env_settings(settings_class(service)):
            if not setting.secret or setting.env not in env:
                continue
            if env[setting.env].kind == "configmap" or not comes_from_secret(env, setting.env):
                key = setting.field.replace("_", "-")
                wrong.append(
                    f"{_where(workload)}: {setting.env} is a SecretStr setting of {service}; remove it from "
                    f"any ConfigMap and read it from a Secret in deploy/k8s/base/{service}.yaml:\n"
                    + SECRET_SNIPPET.format(env=setting.env, service=service, key=key)
                )
    assert not wrong, "\n".join(wrong)


def test_every_variable_is_a_real_setting(rendering: Rendering) -> None:
    """pydantic-settings ignores unknown variables (extra="ignore"), so a typo would silently do nothing."""
    unknown = []
    for workload, container, service in _service_containers(rendering):
        env = container_env(rendering, container)
        known = {s.env for s in env_settings(settings_class(service))}
        helpers = {ref for source in env.values() for ref in source.references}
        for name in sorted(set(env) - known - helpers):
            unknown.append(
                f"{_where(workload)}: {name} is not read by services/{service}/config.py::Settings "
                f"(known: {sorted(known)})"
            )
    assert not unknown, "\n".join(unknown)


def test_settings_load_from_the_rendered_environment(
    rendering: Rendering, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's own Settings class accepts the values as rendered (types, ranges, validators)."""
    for workload, container, service in _service_containers(rendering):
        cls = settings_class(service)
        for setting in env_settings(cls):
            monkeypatch.delenv(setting.env, raising=False)
        with monkeypatch.context() as env_patch:
            for name, value in resolve(container_env(rendering, container)).items():
                env_patch.setenv(name, value)
            try:
                cls()
            except ValidationError as exc:
                pytest.fail(
                    f"{rendering.name} {_where(workload)}: {service} rejects its configuration:\n{exc}"
                )


def _effective(setting: EnvSetting, env: dict[str, EnvSource]) -> str:
    return env[setting.env].value if setting.env in env else str(setting.default)


def test_listening_ports_match_container_ports(rendering: Rendering) -> None:
    """`<name>_port` settings are the container ports named `<name>` (and vice versa)."""
    for deployment in rendering.of_kind("Deployment"):
        for container in containers(deployment):
            service = service_of(container)
            env = container_env(rendering, container)
            settings = {s.field: s for s in env_settings(settings_class(service))}
            declared = {p["name"]: p["containerPort"] for p in container["ports"]}
            listening = {
                field.removesuffix("_port"): int(_effective(s, env))
                for field, s in settings.items()
                if field.endswith("_port")
            }
            assert declared == listening, (
                f"{rendering.name} {service}: container ports {declared} differ from the ports its settings "
                f"listen on {listening}"
            )


def test_upstream_targets_are_services(rendering: Rendering) -> None:
    """`<name>_target` settings (host:port) name a Service and one of its ports in the same rendering."""
    for deployment in rendering.of_kind("Deployment"):
        for container in containers(deployment):
            service = service_of(container)
            env = container_env(rendering, container)
            for setting in env_settings(settings_class(service)):
                if not setting.field.endswith("_target"):
                    continue
                host, port = _effective(setting, env).rsplit(":", 1)
                target = rendering.find("Service", host)
                assert target is not None, f"{rendering.name}: {setting.env}={host}:{port} names no Service"
                assert int(port) in {p["port"] for p in target["spec"]["ports"]}, (
                    f"{rendering.name}: {setting.env} uses port {port}, Service {host} has "
                    f"{target['spec']['ports']}"
                )


def test_kafka_bootstrap_is_the_strimzi_listener(overlay: Rendering) -> None:
    (kafka,) = overlay.of_kind("Kafka")
    plain = next(lst for lst in kafka["spec"]["kafka"]["listeners"] if not lst["tls"])
    expected = f"{kafka['metadata']['name']}-kafka-bootstrap:{plain['port']}"
    for workload, container, _ in _service_containers(overlay):
        env = container_env(overlay, container)
        assert env["KAFKA_BOOTSTRAP_SERVERS"].value == expected, (
            f"{overlay.name} {_where(workload)}: KAFKA_BOOTSTRAP_SERVERS should be {expected}"
        )


def test_no_topic_namespace_in_deployments(rendering: Rendering) -> None:
    """KAFKA_TOPIC_NAMESPACE exists for tests; in a deployment the topics are exactly the KafkaTopics."""
    for workload, container, _ in _service_containers(rendering):
        env = container_env(rendering, container)
        assert env.get("KAFKA_TOPIC_NAMESPACE", EnvSource("value")).value == "", _where(workload)

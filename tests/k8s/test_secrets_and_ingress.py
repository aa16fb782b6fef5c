"""No secret is written down anywhere; only the gateway and capture's webhooks face the outside."""

from __future__ import annotations

import re

from tests.k8s.environment import container_env
from tests.k8s.manifests import K8S, Rendering, containers

SECRET_LOOKING = re.compile(r"(PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL|_KEY$|^KEY$)", re.IGNORECASE)


def test_no_secret_carries_data(rendering: Rendering) -> None:
    for secret in rendering.of_kind("Secret"):
        assert not secret.get("data") and not secret.get("stringData"), secret["metadata"]["name"]


def test_no_secret_looking_value_is_literal(rendering: Rendering) -> None:
    for workload in rendering.workloads:
        for container in containers(workload):
            for name, source in container_env(rendering, container).items():
                if SECRET_LOOKING.search(name):
                    assert source.kind == "secret", (
                        f"{workload['metadata']['name']}: {name} must be a secretKeyRef"
                    )
    for config_map in rendering.of_kind("ConfigMap"):
        leaked = [k for k in config_map.get("data", {}) if SECRET_LOOKING.search(k)]
        assert not leaked, f"{config_map['metadata']['name']}: {leaked} belong in a Secret"


def test_the_tree_holds_no_secret_manifest() -> None:
    for path in K8S.rglob("*.yaml"):
        assert not re.search(r"^kind:\s*Secret\s*$", path.read_text(), re.MULTILINE), path


def test_only_gateway_and_capture_webhooks_are_exposed(rendering: Rendering) -> None:
    routes = set()
    for ingress in rendering.of_kind("Ingress"):
        name = ingress["metadata"]["name"]
        annotations = ingress["metadata"].get("annotations", {})
        assert annotations.get("cert-manager.io/cluster-issuer"), f"{name}: TLS comes from cert-manager"
        assert ingress["spec"]["ingressClassName"] == "nginx", name
        tls_hosts = {h for t in ingress["spec"]["tls"] for h in t["hosts"]}
        for rule in ingress["spec"]["rules"]:
            assert rule["host"] in tls_hosts, f"{name}: {rule['host']} without TLS"
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                routes.add((backend["name"], backend["port"]["name"], path["path"]))
                grpc = annotations.get("nginx.ingress.kubernetes.io/backend-protocol") == "GRPC"
                assert grpc == (backend["port"]["name"] == "grpc"), (
                    f"{name}: gRPC needs backend-protocol GRPC"
                )
    for service, port, path in routes:
        assert (service, port) in {("gateway", "http"), ("gateway", "grpc"), ("capture", "http")}, (
            service,
            port,
        )
        if service == "capture":
            assert path.startswith("/webhooks/"), f"capture exposes only its webhooks, not {path}"
        assert not path.startswith(("/metrics", "/healthz", "/readyz")), path
    assert {(s, p) for s, p, _ in routes} == {("gateway", "http"), ("gateway", "grpc"), ("capture", "http")}

"""The NetworkPolicies allow exactly the flows of DESIGN.md's data flow, nothing more, nothing less."""

from __future__ import annotations

from tests.k8s.manifests import Rendering
from tests.k8s.network import Flow, allowed_flows, peers
from tests.k8s.settings_env import service_names


def _expected(rendering: Rendering) -> set[Flow]:
    services = service_names()
    jobs = [j["metadata"]["name"] for j in rendering.of_kind("Job")]
    return {
        # From outside, only through the ingress controller: the public API and the provider webhooks.
        Flow("ingress-nginx", "gateway", "http"),
        Flow("ingress-nginx", "gateway", "grpc"),
        Flow("ingress-nginx", "capture", "http"),
        # The gateway calls scoring's and capture's gRPC services.
        Flow("gateway", "scoring", "grpc"),
        Flow("gateway", "capture", "grpc"),
        # Capture calls Microsoft and Google over HTTPS (public addresses only).
        Flow("capture", "internet-v4", "443/TCP"),
        Flow("capture", "internet-v6", "443/TCP"),
        # Scoring posts digests and alerts to tenant webhooks (HTTPS) and SMTP relays (587), public only.
        *{Flow("scoring", f"internet-v{v}", port) for v in (4, 6) for port in ("443/TCP", "587/TCP")},
        # Every service uses Kafka and its own PostgreSQL schema; Prometheus scrapes every service.
        *{Flow(s, "kafka", "9092/TCP") for s in services},
        *{Flow(s, "postgres", "5432/TCP") for s in services},
        *{Flow("prometheus", s, "http") for s in services},
        # Migrations Jobs reach only PostgreSQL. Everything resolves names.
        *{Flow(j, "postgres", "5432/TCP") for j in jobs},
        *{Flow(w, "kube-dns", port) for w in [*services, *jobs] for port in ("53/UDP", "53/TCP")},
    }


def test_overlays_ship_network_policies(overlay: Rendering) -> None:
    assert overlay.of_kind("NetworkPolicy"), f"{overlay.name} must include components/network-policies"


def test_policies_allow_exactly_the_designed_flows(overlay: Rendering) -> None:
    allowed = allowed_flows(overlay)
    expected = _expected(overlay)
    assert not allowed - expected, f"allowed but not in the design: {sorted(map(str, allowed - expected))}"
    assert not expected - allowed, f"in the design but blocked: {sorted(map(str, expected - allowed))}"


def test_every_workload_is_isolated_both_ways(overlay: Rendering) -> None:
    policies = overlay.of_kind("NetworkPolicy")
    for peer in peers(overlay):
        if not peer.is_workload:
            continue
        for kind in ("Ingress", "Egress"):
            assert any(
                kind in p["spec"]["policyTypes"]
                and all(
                    peer.pod_labels.get(k) == v
                    for k, v in p["spec"]["podSelector"].get("matchLabels", {}).items()
                )
                and not p["spec"].get(kind.lower())
                for p in policies
            ), f"{peer.name}: no default-deny {kind} policy selects it"


def test_kafka_listener_admits_only_groundtruth(overlay: Rendering) -> None:
    """Strimzi turns networkPolicyPeers into the broker-side NetworkPolicy for the listener."""
    (kafka,) = overlay.of_kind("Kafka")
    for listener in kafka["spec"]["kafka"]["listeners"]:
        assert listener.get("networkPolicyPeers") == [
            {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "groundtruth"}}}
        ], listener["name"]

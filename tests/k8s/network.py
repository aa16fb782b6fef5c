"""A small evaluator of NetworkPolicy semantics, enough to list the flows a set of policies allows.

Peers are the rendered workloads plus stand-ins for what lives outside the application: the ingress
controller, Prometheus, cluster DNS, the Kafka and PostgreSQL pods the operators create, a public and
a private address, and strangers (a pod without labels, here and in another namespace) that nothing may
reach or be reached by.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from tests.k8s.manifests import Obj, Rendering, containers

ANY_PORT = "any-port"


@dataclass(frozen=True)
class Peer:
    name: str
    pod_labels: dict[str, str] = field(default_factory=dict)
    namespace_labels: dict[str, str] | None = None  # None: the application's own namespace
    address: str | None = None  # outside the cluster
    ports: dict[str, int] = field(default_factory=dict)  # named container ports (our workloads)
    is_workload: bool = False


@dataclass(frozen=True)
class Flow:
    source: str
    destination: str
    port: str  # a named port ("grpc") or "<number>/<protocol>"


def _selector_matches(selector: Obj, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        ok = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]
        if not ok:
            return False
    return True


def _peer_matches(rule_peer: Obj, peer: Peer) -> bool:
    if "ipBlock" in rule_peer:
        if peer.address is None:
            return False
        address = ipaddress.ip_address(peer.address)
        block = rule_peer["ipBlock"]
        network = ipaddress.ip_network(block["cidr"])
        if address.version != network.version or address not in network:
            return False
        return not any(
            address in ipaddress.ip_network(e)
            for e in block.get("except", [])
            if ipaddress.ip_network(e).version == address.version
        )
    if peer.address is not None:
        return False
    if "namespaceSelector" in rule_peer:
        labels = peer.namespace_labels if peer.namespace_labels is not None else {"own-namespace": "true"}
        if not _selector_matches(rule_peer["namespaceSelector"], labels):
            return False
    elif peer.namespace_labels is not None:
        return False  # a bare podSelector only selects pods in the policy's own namespace
    return _selector_matches(rule_peer.get("podSelector", {}), peer.pod_labels)


def _port_matches(rule_ports: list[Obj], port: str, destination: Peer) -> bool:
    if not rule_ports:
        return True
    for rule_port in rule_ports:
        protocol = rule_port.get("protocol", "TCP")
        number = rule_port.get("port")
        if number is None:
            return True
        if port == ANY_PORT:
            continue
        if isinstance(number, str):
            if port == number and number in destination.ports and protocol == "TCP":
                return True
        elif port in destination.ports:
            if destination.ports[port] == number and protocol == "TCP":
                return True
        elif port == f"{number}/{protocol}":
            return True
    return False


def _policies_for(policies: list[Obj], peer: Peer, policy_type: str) -> list[Obj]:
    if not peer.is_workload:
        return []
    return [
        p
        for p in policies
        if policy_type in p["spec"].get("policyTypes", ["Ingress"])
        and _selector_matches(p["spec"]["podSelector"], peer.pod_labels)
    ]


def _allowed(
    policies: list[Obj], subject: Peer, other: Peer, port: str, destination: Peer, kind: str
) -> bool:
    """Whether `subject`'s policies of `kind` ("Ingress"/"Egress") let traffic with `other` through."""
    selecting = _policies_for(policies, subject, kind)
    if not selecting:
        return True  # not isolated in this direction
    key, peers_key = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
    for policy in selecting:
        for rule in policy["spec"].get(key, []):
            peers = rule.get(peers_key)
            if (not peers or any(_peer_matches(p, other) for p in peers)) and _port_matches(
                rule.get("ports", []), port, destination
            ):
                return True
    return False


def peers(rendering: Rendering) -> list[Peer]:
    found = []
    for workload in rendering.workloads:
        ports = {p["name"]: p["containerPort"] for c in containers(workload) for p in c.get("ports", [])}
        found.append(
            Peer(
                name=workload["metadata"]["name"],
                pod_labels=dict(workload["spec"]["template"]["metadata"]["labels"]),
                ports=ports,
                is_workload=True,
            )
        )
    kafka = rendering.of_kind("Kafka")[0]["metadata"]["name"]
    database = rendering.of_kind("Cluster")[0]["metadata"]["name"]
    return [
        *found,
        Peer(
            "kafka",
            {"strimzi.io/cluster": kafka, "strimzi.io/kind": "Kafka", "strimzi.io/broker-role": "true"},
        ),
        Peer("postgres", {"cnpg.io/cluster": database, "cnpg.io/instanceRole": "primary"}),
        Peer(
            "ingress-nginx",
            {"app.kubernetes.io/name": "ingress-nginx"},
            {"kubernetes.io/metadata.name": "ingress-nginx"},
        ),
        Peer(
            "prometheus",
            {"app.kubernetes.io/name": "prometheus"},
            {"kubernetes.io/metadata.name": "monitoring"},
        ),
        Peer("kube-dns", {"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"}),
        Peer("internet-v4", address="20.190.151.68"),
        Peer("internet-v6", address="2603:1026::1"),
        Peer("private-address", address="10.12.0.7"),
        Peer("stranger-here", {"app": "something-else"}),
        Peer("stranger-elsewhere", {"app": "something-else"}, {"kubernetes.io/metadata.name": "other"}),
    ]


CANDIDATE_PORTS = ["9092/TCP", "5432/TCP", "53/UDP", "53/TCP", "443/TCP", "587/TCP", "80/TCP", ANY_PORT]


def allowed_flows(rendering: Rendering) -> set[Flow]:
    policies = rendering.of_kind("NetworkPolicy")
    everyone = peers(rendering)
    flows = set()
    for source in everyone:
        for destination in everyone:
            if source is destination or not (source.is_workload or destination.is_workload):
                continue
            for port in [*destination.ports, *CANDIDATE_PORTS]:
                if _allowed(policies, source, destination, port, destination, "Egress") and _allowed(
                    policies, destination, source, port, destination, "Ingress"
                ):
                    flows.add(Flow(source.name, destination.name, port))
    return flows

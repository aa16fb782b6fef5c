"""Mutual TLS in Kubernetes: cert-manager issues every service a certificate of the namespace's mesh
CA, each service mounts its own and names the files in its settings, and every service listens on
the pod's interfaces (its default is loopback)."""

from __future__ import annotations

from tests.k8s.manifests import Rendering, containers, pod_spec, service_of

SERVICES = ("scoring", "capture", "gateway")
MOUNT = "/etc/groundtruth/tls"


def test_the_mesh_ca_issues_one_certificate_per_service(rendering: Rendering) -> None:
    ca = rendering.get("Certificate", "groundtruth-mesh-ca")
    assert ca["spec"]["isCA"] is True
    assert rendering.get("Issuer", "groundtruth-mesh")["spec"]["ca"]["secretName"] == ca["spec"]["secretName"]
    for service in SERVICES:
        certificate = rendering.get("Certificate", f"{service}-mesh")["spec"]
        assert certificate["issuerRef"]["name"] == "groundtruth-mesh"
        assert certificate["secretName"] == f"{service}-mesh-tls"
        assert "client auth" in certificate["usages"]
        assert certificate["privateKey"]["rotationPolicy"] == "Always"
    for server in ("scoring", "capture"):
        spec = rendering.get("Certificate", f"{server}-mesh")["spec"]
        assert "server auth" in spec["usages"] and server in spec["dnsNames"]


def test_each_service_mounts_its_own_certificate_and_names_it(rendering: Rendering) -> None:
    for deployment in rendering.of_kind("Deployment"):
        for container in containers(deployment):
            service = service_of(container)
            if service not in SERVICES:
                continue
            volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
            mount = next(m for m in container["volumeMounts"] if m["mountPath"] == MOUNT)
            assert mount["readOnly"] is True
            assert volumes[mount["name"]]["secret"]["secretName"] == f"{service}-mesh-tls"
            config = rendering.config_map_data(f"{service}-config")
            assert config["GT_TLS_CA_FILE"] == f"{MOUNT}/ca.crt"
            assert config["GT_TLS_CERT_FILE"] == f"{MOUNT}/tls.crt"
            assert config["GT_TLS_KEY_FILE"] == f"{MOUNT}/tls.key"
            assert config[f"GT_{service.upper()}_HOST"] == "0.0.0.0"

"""Every workload is probed, bounded, hardened, spread, scaled and protected as docs/deploy.md says."""

from __future__ import annotations

import inspect
import re

from plumbing.kafka.topics import ACTIVITY_CAPTURED, CRM_EVENTS
from services.scoring import app as scoring_app
from tests.k8s.manifests import ROOT, Obj, Rendering, containers, pod_spec, service_of
from tests.k8s.settings_env import service_names


def _name(obj: Obj) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def _ports(container: Obj) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container.get("ports", [])}


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_deployments_have_startup_liveness_and_readiness_probes(rendering: Rendering) -> None:
    for deployment in rendering.of_kind("Deployment"):
        for container in containers(deployment):
            where = f"{rendering.name} {_name(deployment)}"
            ports = _ports(container)
            for probe in ("startupProbe", "livenessProbe"):
                check = container.get(probe, {}).get("httpGet")
                assert check == {"path": "/healthz", "port": "http"}, f"{where}: {probe} must GET /healthz"
            readiness = container.get("readinessProbe", {})
            # Not the kubelet's gRPC probe: it cannot present a client certificate, and internal gRPC
            # takes only mesh peers (mutual TLS). /readyz mirrors the gRPC health status.
            assert "grpc" not in readiness, f"{where}: a gRPC probe cannot pass mutual TLS"
            assert readiness.get("httpGet") == {"path": "/readyz", "port": "http"}, where
            assert "grpc" in ports or service_of(container) not in ("scoring", "capture"), where
            # Start-up includes migrations: the startup probe allows minutes, liveness only seconds.
            startup = container["startupProbe"]
            assert startup["periodSeconds"] * startup["failureThreshold"] >= 120, where


def test_workloads_have_requests_and_limits(rendering: Rendering) -> None:
    for workload in rendering.workloads:
        for container in containers(workload):
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(part, {})), (
                    f"{rendering.name} {_name(workload)}: needs {part}.cpu and {part}.memory"
                )


def test_workloads_run_non_root_read_only_without_capabilities(rendering: Rendering) -> None:
    for workload in rendering.workloads:
        where = f"{rendering.name} {_name(workload)}"
        spec = pod_spec(workload)
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, where
        assert isinstance(pod["runAsUser"], int) and pod["runAsUser"] > 0, where
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert spec["automountServiceAccountToken"] is False, where
        tmp_volumes = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
        for container in containers(workload):
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False, where
            assert ctx["readOnlyRootFilesystem"] is True, where
            assert ctx["capabilities"] == {"drop": ["ALL"]}, where
            assert "add" not in ctx["capabilities"], where
            # The only writable place is /tmp, an emptyDir.
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert mounts.get("/tmp") in tmp_volumes, f"{where}: /tmp must be an emptyDir"
            image = container["image"]
            assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), f"{where}: pin {image}"


def test_every_workload_has_its_own_service_account_without_token(rendering: Rendering) -> None:
    for workload in rendering.workloads:
        account = rendering.get("ServiceAccount", pod_spec(workload)["serviceAccountName"])
        assert account["automountServiceAccountToken"] is False, f"{rendering.name} {_name(workload)}"


def test_deployments_spread_and_have_service_hpa_and_pdb(rendering: Rendering) -> None:
    for deployment in rendering.of_kind("Deployment"):
        where = f"{rendering.name} {_name(deployment)}"
        name = deployment["metadata"]["name"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        keys = {c["topologyKey"] for c in pod_spec(deployment).get("topologySpreadConstraints", [])}
        assert {"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= keys, where
        hpa = rendering.get("HorizontalPodAutoscaler", name)
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], where
        assert hpa["spec"]["minReplicas"] <= deployment["spec"]["replicas"] <= hpa["spec"]["maxReplicas"], (
            where
        )
        pdbs = [
            p
            for p in rendering.of_kind("PodDisruptionBudget")
            if _matches(p["spec"]["selector"]["matchLabels"], labels)
        ]
        assert len(pdbs) == 1, f"{where}: needs exactly one PodDisruptionBudget"
        # maxUnavailable keeps node drains possible even at one replica.
        assert pdbs[0]["spec"].get("maxUnavailable") == 1, where
        service = rendering.get("Service", name)
        container_ports = {n for c in containers(deployment) for n in _ports(c)}
        assert {p["targetPort"] for p in service["spec"]["ports"]} == container_ports, where
        assert all(p["name"] == p["targetPort"] for p in service["spec"]["ports"]), f"{where}: named ports"


def _scoring_drain_timeout_sec() -> int:
    """How long scoring waits for its consumer to finish and commit the batch in flight on shutdown."""
    source = inspect.getsource(scoring_app._stop_consumer)
    match = re.search(r"wait_for\(task, timeout=(\d+)\)", source)
    assert match, "services/scoring/app.py::_stop_consumer changed; update this check with the drain timeout"
    return int(match.group(1))


def test_termination_grace_outlasts_the_drain(rendering: Rendering) -> None:
    """preStop, then the consumer drain, then the gRPC and HTTP servers' own grace (5 s each)."""
    for deployment in rendering.of_kind("Deployment"):
        (container,) = containers(deployment)
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        drain = _scoring_drain_timeout_sec() if service_of(container) == "scoring" else 0
        needed = pre_stop + drain + 5 + 5
        grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
        assert grace > needed, f"{rendering.name} {_name(deployment)}: grace {grace}s must exceed {needed}s"


def test_scoring_never_scales_past_its_partitions(rendering: Rendering) -> None:
    """Consumers beyond the input topics' partition count would sit idle in the group."""
    partitions = min(ACTIVITY_CAPTURED.partitions, CRM_EVENTS.partitions)
    assert rendering.get("HorizontalPodAutoscaler", "scoring")["spec"]["maxReplicas"] <= partitions


def test_migrations_jobs_exist_for_services_with_a_migrate_command(rendering: Rendering) -> None:
    expected = {
        s for s in service_names() if '"migrate"' in (ROOT / "services" / s / "__main__.py").read_text()
    }
    jobs = {service_of(c): c["args"] for job in rendering.of_kind("Job") for c in containers(job)}
    assert set(jobs) == expected, (
        f"{rendering.name}: services with a migrate command {sorted(expected)}, Jobs for {sorted(jobs)}; "
        "add or remove a Job in deploy/k8s/base/migrations.yaml"
    )
    for service, args in jobs.items():
        assert args == [f"services.{service}", "migrate"], service
    for job in rendering.of_kind("Job"):
        assert pod_spec(job)["restartPolicy"] == "Never"
        assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migrations"


def test_dev_runs_one_small_replica_of_everything(renderings: list[Rendering]) -> None:
    dev = next(r for r in renderings if r.name == "overlays/dev")
    for deployment in dev.of_kind("Deployment"):
        assert deployment["spec"]["replicas"] == 1
        assert dev.get("HorizontalPodAutoscaler", deployment["metadata"]["name"])["spec"]["maxReplicas"] == 1
    assert [p["spec"]["replicas"] for p in dev.of_kind("KafkaNodePool")] == [1]
    assert [c["spec"]["instances"] for c in dev.of_kind("Cluster")] == [1]


def test_prod_is_highly_available(renderings: list[Rendering]) -> None:
    prod = next(r for r in renderings if r.name == "overlays/prod")
    for deployment in prod.of_kind("Deployment"):
        name = deployment["metadata"]["name"]
        assert prod.get("HorizontalPodAutoscaler", name)["spec"]["minReplicas"] >= 2, name
        terms = pod_spec(deployment)["affinity"]["podAntiAffinity"][
            "preferredDuringSchedulingIgnoredDuringExecution"
        ]
        selectors = [t["podAffinityTerm"]["labelSelector"]["matchLabels"] for t in terms]
        assert {"app.kubernetes.io/name": name} in selectors, f"{name}: anti-affinity to its own replicas"
    assert sum(p["spec"]["replicas"] for p in prod.of_kind("KafkaNodePool")) >= 3
    assert [c["spec"]["instances"] for c in prod.of_kind("Cluster")] == [3]
    assert prod.of_kind("ServiceMonitor"), "prod scrapes metrics"

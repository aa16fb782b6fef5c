"""PostgreSQL through CloudNativePG: one database, one role per service owning its schema, enough
connections for every service at its HPA maximum; and the bootstrap SQL works with the services' own
migrations on a real PostgreSQL server."""

from __future__ import annotations

import inspect
import re

from plumbing.db.pool import create_pool
from tests.k8s.environment import container_env
from tests.k8s.manifests import Obj, Rendering, containers, service_of
from tests.k8s.settings_env import env_settings, service_names, settings_class

# Connections PostgreSQL keeps for superusers plus the operator's and replicas' own.
RESERVED_CONNECTIONS = 3 + 10


def _cluster(overlay: Rendering) -> Obj:
    (cluster,) = overlay.of_kind("Cluster")
    return cluster


def _roles(overlay: Rendering) -> dict[str, Obj]:
    return {r["name"]: r for r in _cluster(overlay)["spec"]["managed"]["roles"]}


def bootstrap_sql(overlay: Rendering) -> list[str]:
    statements: list[str] = _cluster(overlay)["spec"]["bootstrap"]["initdb"]["postInitApplicationSQL"]
    return statements


def test_each_service_has_a_login_role_owning_its_schema(overlay: Rendering) -> None:
    roles = _roles(overlay)
    sql = bootstrap_sql(overlay)
    for service in service_names():
        role = roles.get(service)
        assert role is not None, f"add a managed role {service} to deploy/k8s/infra/postgres/cluster.yaml"
        assert role["ensure"] == "present" and role["login"] is True, service
        assert role.get("superuser", False) is False and role.get("createdb", False) is False, service
        assert f"CREATE ROLE {service} NOLOGIN" in sql, service
        assert f"CREATE SCHEMA {service} AUTHORIZATION {service}" in sql, service


def test_services_connect_with_their_own_role(overlay: Rendering) -> None:
    cluster = _cluster(overlay)["metadata"]["name"]
    roles = _roles(overlay)
    for workload in overlay.workloads:
        for container in containers(workload):
            service = service_of(container)
            env = container_env(overlay, container)
            credentials = roles[service]["passwordSecret"]["name"]
            assert (env["DB_USER"].name, env["DB_USER"].key) == (credentials, "username"), service
            assert (env["DB_PASSWORD"].name, env["DB_PASSWORD"].key) == (credentials, "password"), service
            # Endpoint and database from the operator-generated <cluster>-app secret (CloudNativePG keys).
            for variable, key in {"DB_HOST": "host", "DB_PORT": "port", "DB_NAME": "dbname"}.items():
                assert (env[variable].name, env[variable].key) == (f"{cluster}-app", key), (service, variable)
            assert env["DATABASE_URL"].references == [
                "DB_USER",
                "DB_PASSWORD",
                "DB_HOST",
                "DB_PORT",
                "DB_NAME",
            ]
    assert _cluster(overlay)["spec"]["bootstrap"]["initdb"]["database"] == "groundtruth"


def _pool_size(overlay: Rendering, service: str) -> int:
    """The service's pool size setting if it has one, else create_pool's default."""
    default = int(inspect.signature(create_pool).parameters["max_size"].default)
    deployment = overlay.get("Deployment", service)
    env = container_env(overlay, containers(deployment)[0])
    for setting in env_settings(settings_class(service)):
        if re.fullmatch(r"db_pool(_max)?_size", setting.field):
            return int(env[setting.env].value) if setting.env in env else int(setting.default)
    return default


def test_connection_limits_hold_every_replica(overlay: Rendering) -> None:
    roles = _roles(overlay)
    total = 0
    for service in service_names():
        replicas = overlay.get("HorizontalPodAutoscaler", service)["spec"]["maxReplicas"]
        # Each replica: its pool, plus one short-lived connection for migrations at start-up; plus a Job.
        needed = replicas * (_pool_size(overlay, service) + 1) + 1
        limit = roles[service]["connectionLimit"]
        assert needed <= limit, f"{overlay.name} {service}: up to {needed} connections, role allows {limit}"
        total += limit
    max_connections = int(_cluster(overlay)["spec"]["postgresql"]["parameters"]["max_connections"])
    assert total + RESERVED_CONNECTIONS <= max_connections, f"{overlay.name}: raise max_connections"

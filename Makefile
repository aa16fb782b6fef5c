# Groundtruth: `make run` starts the platform, `make test` installs and runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
GEN := gen
PROTOS := $(shell find protos -name '*.proto')
GENERATED := $(GEN)/.generated
PYTEST_ARGS ?=
KAFKA_POM := plumbing/embedded/kafka/pom.xml
KAFKA_LIBS := .kafka/libs
KAFKA_RESOLVED := .kafka/.resolved
SAO_VERSION := 8.0.11
SAO_DIR := .tryton/sao
SAO_INSTALLED := $(SAO_DIR)/.installed-$(SAO_VERSION)
CRM ?=
# axe-core (the accessibility engine the browser tests inject into every page), pinned, from npm into
# .axe/ (git-ignored, like the Kafka jars).
AXE_VERSION := 4.10.2
AXE := .axe/node_modules/axe-core/axe.min.js

.PHONY: help install protos run infra test test-unit test-integration lint fmt typecheck check clean \
	images k8s-check k8s-operators bench-gateway bench-capture bench-scoring bench-scoring-10k bench-scale chaos screenshots

help:
	@echo "make run        start the whole platform on embedded infrastructure (Ctrl-C stops it)"
	@echo "make run CRM=tryton   the same, with a real Tryton (and its web client) as the demo's CRM"
	@echo "make test       install, generate code and run every test (what CI runs)"
	@echo "make lint       ruff and mypy --strict"
	@echo "make chaos      fault injection across the running platform (minutes); table + .bench/chaos.json"
	@echo "make fmt        format the code"
	@echo "make k8s-check  render every kustomization and validate it offline (also part of make test)"
	@echo "make images     build the service images (needs a Docker engine)"
	@echo "make screenshots  regenerate docs/screenshots/*.png (every page, desktop and 375 px)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip uv

# uv resolves and installs in seconds where pip takes tens of them (it matters for `make run` on a
# fresh clone); pip stays the fallback for machines where uv cannot reach an index.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]' \
		|| $(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(INSTALLED) $(GENERATED) $(KAFKA_RESOLVED) $(SAO_INSTALLED) $(AXE)

# Tryton's web client (sao) of trytond's series, from npm into .tryton/sao (git-ignored), with its own
# node_modules as its index.html expects; trytond serves it (`make run CRM=tryton`, plugins/tryton).
# Without npm this says so and goes on: Tryton then runs without its web client.
$(SAO_INSTALLED):
	@if command -v npm >/dev/null; then \
		rm -rf $(SAO_DIR) && mkdir -p $(SAO_DIR) && \
		npm pack --silent --pack-destination $(SAO_DIR) tryton-sao@$(SAO_VERSION) >/dev/null && \
		tar xzf $(SAO_DIR)/tryton-sao-$(SAO_VERSION).tgz -C $(SAO_DIR) --strip-components=1 && \
		rm -f $(SAO_DIR)/tryton-sao-$(SAO_VERSION).tgz && \
		(cd $(SAO_DIR) && npm install --omit=dev --no-audit --no-fund --legacy-peer-deps --loglevel=error) \
		&& touch $@; \
	else \
		echo "no npm: Tryton's web client (sao) is not installed (install Node.js and npm, then make install)"; \
	fi

# Without npm this says so and goes on: the accessibility checks of the browser tests then fail with
# the install hint (they never pass silently).
$(AXE):
	@if command -v npm >/dev/null; then \
		mkdir -p .axe && npm install --silent --no-audit --no-fund --prefix .axe axe-core@$(AXE_VERSION); \
	else \
		echo "no npm: axe-core is not installed (install Node.js and npm, then make install)"; \
	fi

# Apache Kafka's jars (pinned in the pom) from Maven Central into .kafka/libs (git-ignored); Maven's own
# cache (~/.m2) makes a second resolve offline. Without Maven or Java this says so and goes on: `make run`
# then falls back to the in-memory tansu broker, and the tests fail with the install hint.
$(KAFKA_RESOLVED): $(KAFKA_POM)
	@if command -v mvn >/dev/null && command -v java >/dev/null; then \
		rm -rf $(KAFKA_LIBS) && mvn -q -B -Dstyle.color=never -f $(KAFKA_POM) dependency:copy-dependencies \
			-DincludeScope=runtime -DoutputDirectory=$(CURDIR)/$(KAFKA_LIBS) && touch $@; \
	else \
		echo "no Maven or no Java: Apache Kafka's jars are not installed (install OpenJDK 17 and Maven, then make install)"; \
	fi

# Generated code lives in gen/ (git-ignored) and is put on the venv's path with a .pth file.
$(GENERATED): $(PROTOS) $(INSTALLED)
	rm -rf $(GEN) && mkdir -p $(GEN)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grpc_tools.protoc -Iprotos \
		--python_out=$(GEN) --grpc_python_out=$(GEN) --mypy_out=$(GEN) --mypy_grpc_out=$(GEN) $(PROTOS)
	find $(GEN) -type d -exec touch {}/__init__.py \;
	rm -f $(GEN)/__init__.py
	echo "$(CURDIR)/$(GEN)" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/groundtruth-generated.pth"
	@touch $@

protos: $(GENERATED)

# CRM=tryton: the demo's CRM is a real Tryton (plugins/tryton, docs/plugins.md).
run: install
	GT_CRM="$(CRM)" $(BIN)/python -m services.sandbox run

infra: install
	$(BIN)/python -m services.sandbox infra

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: install
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-integration: install
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

# ruff, ruff format, mypy --strict, and the import rules of docs/architecture.md (.importlinter).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Ingest of a 1,000-rep tenant's events, interleaved rounds with a plain decode-and-COPY consumer, CPU
# per event per process, peak RSS (.bench/scoring.json; a few minutes).
bench-scoring: install
	$(BIN)/python -m tests.bench.scoring_bench $(BENCH_ARGS)

# The 10,000-rep tenant, 28 days: publish, ingest, feed relayed, full rescore, per-stage times and peak
# RSS (.bench/scoring-10k.json; tens of minutes).
bench-scoring-10k: install
	$(BIN)/python -m tests.bench.scoring_bench --reps 8000 --rounds 1 --rescore $(BENCH_ARGS)

# 2 scoring processes (one consumer group, one tenant) against 1, interleaved rounds, scaling and CPU
# per event (.bench/scoring-scale.json; a few minutes).
bench-scale: install
	$(BIN)/python -m tests.bench.scoring_bench --scale $(BENCH_ARGS)

# Fault injection across the running platform (tests/chaos): every service as a real process, SIGKILLs,
# a paused broker, PostgreSQL restarts, provider faults, poison and malformed input; prints the table of
# lost / duplicated / recovery per scenario and writes .bench/chaos.json. `make test` runs a short plan.
chaos: install
	$(BIN)/python -m tests.chaos $(CHAOS_ARGS)

# Every page at desktop width and at 375 px, on the demo organisation, into docs/screenshots/ (committed:
# they are documentation). Runs the platform and the demo like the browser tests (a few minutes).
screenshots: install
	GT_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -q -p no:cacheprovider \
		tests/integration/web/test_consistency.py -k screenshots

typecheck: install
	$(BIN)/mypy

# Capture backfill vs the emulator's own serving rate, webhook latency, peak RSS (BENCH_ARGS to tune).
bench-capture: install
	$(BIN)/python -m tests.bench.capture $(BENCH_ARGS)

check: lint test

# Kubernetes: tests/k8s renders every overlay and component combination with kubectl kustomize and
# validates it offline; it also runs within `make test`.
k8s-check: install
	$(BIN)/pytest tests/k8s $(PYTEST_ARGS)

# One image per service from the multi-target Dockerfile. Needs a Docker engine (CI has none: there
# the Dockerfile is checked statically by tests/k8s/test_dockerfile.py).
SERVICES := capture scoring gateway
IMAGE_REPOSITORY ?= groundtruth
IMAGE_TAG ?= $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
images:
	@for service in $(SERVICES); do \
		echo "docker build --target $$service -t $(IMAGE_REPOSITORY)/$$service:$(IMAGE_TAG) ."; \
		docker build --target $$service -t $(IMAGE_REPOSITORY)/$$service:$(IMAGE_TAG) . || exit 1; \
	done

# Prints the operator installs (Strimzi, CloudNativePG, cert-manager, ingress-nginx) at the pinned
# versions; APPLY=1 runs them against the current kubectl context.
k8s-operators:
	deploy/k8s/operators/install.sh $(if $(APPLY),--apply,)

bench-gateway: install
	$(BIN)/python -m tests.bench.gateway_bench

clean:
	rm -rf $(VENV) $(GEN) .run .bench .pytest_cache .mypy_cache .ruff_cache .tryton

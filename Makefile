# Approdo — every install step lives here, so `make run` and `make test` work on a
# fresh machine. The bot runs on Python >= 3.11 (.venv); Rasa 3.6 needs Python 3.10
# and lives in its own environment (.venv-rasa).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
RASA_VENV := .venv-rasa
APPRODO   := $(VENV)/bin/approdo
export RASA_TELEMETRY_ENABLED := false

# Python >= 3.11 for the bot: the first of these that exists.
PYTHON_BOT ?= $(firstword $(foreach p,python3.12 python3.11 python3.13,$(shell command -v $(p) 2>/dev/null)))
# Python 3.10 for Rasa: on PATH, else pyenv's, else nothing (and a clear error below).
PYTHON_RASA ?= $(or $(shell command -v python3.10 2>/dev/null),$(lastword $(sort $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.10.*/bin/python3.10))))

.PHONY: help setup run test lint bench bench-nlu nlu-train clean

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
	$(VENV)/bin/python -m bench.load

clean:
	rm -rf $(VENV) $(RASA_VENV) models build locales/.compiled

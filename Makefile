# Rapport — `make run` starts the whole assistant, `make test` runs every test. Both set up what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYTHONUNBUFFERED := 1
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

# Rasa 3.6 needs Python 3.10; the project runs on 3.11.
PYTHON311 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.11.*/bin/python3.11) $(shell command -v python3.11))
PYTHON310 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python3.10) $(shell command -v python3.10))

VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
RASA := $(RASA_VENV)/bin/rasa
MODEL := models/rapport.tar.gz
BOT_SOURCES := config.yml bot/domain.yml $(shell find bot/data -name '*.yml' 2>/dev/null)
RASA_ARGS := --domain bot/domain.yml --data bot/data --config config.yml

.PHONY: help setup run test test-unit test-e2e test-bot validate lint train bench bench-ranking eval-offers db clean nlu-report

help:
	@echo "make run    set up what is missing, then start Rasa, the action server and the gateway"
	@echo "make test   set up what is missing, then run every test (lint, validate, Rasa stories, pytest)"
	@echo "make bench  latency and throughput through the gateway vs. straight to Rasa, and ranking"
	@echo "make eval-offers  offer ranking vs. baselines on generated customers"
	@echo "other: setup train db validate test-bot test-unit test-e2e lint clean"

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON311)" || { echo "Python 3.11 is required (pyenv install 3.11)"; exit 1; }
	@echo "==> creating $(VENV) (Python 3.11) and installing the project"
	test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(RASA_VENV)/.installed: requirements-rasa.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 is required for Rasa 3.6 (pyenv install 3.10)"; exit 1; }
	@echo "==> creating $(RASA_VENV) (Python 3.10) and installing Rasa 3.6.21 (about 2 minutes)"
	test -x $(RASA_VENV)/bin/python || $(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/python -m pip install --quiet --upgrade pip wheel
	$(RASA_VENV)/bin/python -m pip install --quiet -r requirements-rasa.txt
	touch $@

setup: $(VENV)/.installed $(RASA_VENV)/.installed

db: $(VENV)/.installed
	$(PY) -m rapport setup

$(MODEL): $(BOT_SOURCES) | $(RASA_VENV)/.installed
	@echo "==> training the Rasa model (about 2 minutes)"
	@mkdir -p models
	time $(RASA) train $(RASA_ARGS) --out models --fixed-model-name rapport

train: $(MODEL)

run: setup db train
	@echo "==> starting Rasa (:5005), the action server (:5055) and the gateway; Ctrl-C stops all"
	@echo "==> web chat: http://$${RAPPORT_HOST:-127.0.0.1}:$${RAPPORT_PORT:-8080}/  (ready when Rasa says 'Rasa server is up')"
	$(VENV)/bin/honcho start -f Procfile

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy profile_store offers tastes channels bot rapport scripts

validate: setup
	$(PY) scripts/validate.py

test-bot: train
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --e2e --out results/core

test-unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit -q

test-e2e: setup train
	$(PY) -m pytest tests/e2e -q

test: setup lint validate train test-bot
	$(PY) -m pytest tests -q

bench: setup train bench-ranking
	$(PY) scripts/bench.py

# Ranking for one customer on a generated 5,000-product catalogue (p50/p95/p99, var/bench/).
bench-ranking: $(VENV)/.installed
	$(PY) scripts/bench_ranking.py

# Offline evaluation of offers vs. two baselines on 500 generated customers (var/eval/).
eval-offers: $(VENV)/.installed
	$(PY) scripts/eval_offers.py

nlu-report: $(RASA_VENV)/.installed
	$(RASA) test nlu --nlu bot/data --config config.yml --cross-validation --folds 5 --out results/nlu

clean:
	rm -rf models results .rasa var/test-*

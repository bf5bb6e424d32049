# Newcomer commands: `make run` (the site with demo content) and `make test` (the whole suite).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python

# Django 6.1 needs Python 3.12+. Take the newest interpreter that really runs (pyenv shims
# on PATH can exist for versions that are not active, so each candidate is executed).
ifndef PYTHON
PYTHON := $(shell for c in python3.14 python3.13 python3.12 \
	$$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	"$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$c"; break; }; done)
endif

# `make run` serves like production (DEBUG off) but lets the app serve media itself.
RUN_ENV := DEBUG=false SERVE_MEDIA=true

.PHONY: help messages run test fuzz lint format demo superuser install clean backup restore soak bench bench-growth breaking

help:
	@echo "make run        serve the site with demo content on http://127.0.0.1:$(PORT)/"
	@echo "make test       lint, migration check and the whole test suite"
	@echo "make fuzz       10,000 seeded hostile requests per database, no 5xx allowed"
	@echo "make demo       (re)load the demo content"
	@echo "make superuser  create an admin account"
	@echo "make bench      load the site with wrk and update docs/performance.md"
	@echo "make lint / make format"
	@echo "make backup     dump the database and archive the media into backups/"
	@echo "make restore FILE=backups/newsroom-<time>.json   bring a backup back"
	@echo "make soak       60 s load test with an editor publishing (PostgreSQL + Redis)"
	@echo "make breaking   issue 14's yardstick: a page mix, quiet and publishing, app and Varnish"

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Python 3.12 or newer is needed (Django 6.1); none found." >&2; \
		echo "       Install python3.13 or python3.12, or run: make PYTHON=/path/to/python3.12 ..." >&2; \
		exit 1; fi
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

# A local secret key, made once and kept in .env (git-ignored), readable by its owner only
# (0600, from the umask before the file exists). Production sets its own.
.env:
	@umask 077; echo "# Local settings; see .env.example. Created by make." > $@
	@umask 077; echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" >> $@
	@chmod 600 $@
	@echo "Created .env with a local SECRET_KEY."

# The translation catalogues (locale/<code>/LC_MESSAGES/django.po) compiled for gettext
# (msgfmt, from GNU gettext: `apt-get install gettext`).
messages: $(VENV)/.installed
	@command -v msgfmt >/dev/null || { echo "error: msgfmt not found: apt-get install gettext" >&2; exit 1; }
	$(PY) manage.py compilemessages --ignore=.venv --verbosity 0

run: $(VENV)/.installed .env messages
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py load_demo --if-empty
	$(RUN_ENV) $(PY) manage.py make_renditions
	$(RUN_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	@# gunicorn and the task worker (renditions) together; Ctrl-C stops both.
	$(RUN_ENV) PORT=$(PORT) exec $(PY) -m newsroom.serve

test: $(VENV)/.installed .env messages
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

# 10,000 seeded hostile requests per database (SQLite, PostgreSQL + Redis) against real
# gunicorns, none may be a 5xx; FUZZ_SEED=<seed> repeats a run (tests/test_fuzz.py).
fuzz: $(VENV)/.installed .env messages
	$(PY) -m pytest -m fuzz tests/test_fuzz.py $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

demo: $(VENV)/.installed .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py make_renditions

superuser: $(VENV)/.installed .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createsuperuser

backup: $(VENV)/.installed .env
	$(PY) manage.py backup

restore: $(VENV)/.installed .env
	@[ -n "$(FILE)" ] || { echo "usage: make restore FILE=backups/newsroom-<time>.json" >&2; exit 2; }
	$(PY) manage.py restore "$(FILE)"

# Needs PostgreSQL, Redis and wrk; see bench/soak.py and docs/performance.md.
soak: $(VENV)/.installed
	$(PY) bench/soak.py

# Issue 14's breaking-news yardstick: PostgreSQL + Redis + wrk + varnishd; see bench/breaking.py.
breaking: $(VENV)/.installed
	$(PY) bench/breaking.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

# Loads the site with wrk (cache off/local memory/Redis, SQLite and PostgreSQL) against
# ../shared/bench/ceiling_app.py under the same gunicorn settings; results in
# bench/results/latest.json and docs/performance.md.
bench: $(VENV)/.installed
	$(PY) bench/run.py $(BENCH_ARGS)

# How page times grow with the archive: 181, 10,000 and 100,000 entries on PostgreSQL.
bench-growth: $(VENV)/.installed
	$(PY) bench/growth.py $(BENCH_ARGS)

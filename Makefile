# The two commands the README promises: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The stamp covers both locks: requirements.lock (runtime, what the production image installs) and
# requirements-dev.lock (`-r requirements.lock` plus test, lint and browser tooling), which `make install` installs.
STAMP := $(VENV)/.installed-$(shell cat requirements.lock requirements-dev.lock pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` runs the suite in this many pytest-xdist worker processes (0: in this process). Each worker
# has its own test database (pytest-django) and Redis database (tests/xdist_isolation.py); a file's tests
# stay in one worker, so its module and session fixtures are built once there.
TEST_WORKERS ?= 2

.PHONY: install run test coverage lint format typecheck check bench clean worker beat

install: $(STAMP)

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("CME Portal needs Python 3.11 or newer (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py reminders_send_due
	@echo "Serving CME Portal on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	@mkdir -p var
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The suite under coverage (PYTEST_ARGS as for `make test`, e.g. "-n 2"): files not fully covered, then one line per app.
coverage: install
	@mkdir -p var
	$(PY) -m coverage erase
	$(PY) -m coverage run -m pytest $(PYTEST_ARGS)
	$(PY) -m coverage combine --quiet
	$(PY) -m coverage report
	$(PY) scripts/coverage_by_app.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	$(VENV)/bin/mypy

check: install
	@mkdir -p var
	$(PY) manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') ALLOWED_HOSTS=cme.example.org SITE_URL=https://cme.example.org \
		$(PY) manage.py check --deploy --fail-level WARNING

# Issue 15's figures (README "Benchmarks"): needs DATABASE_URL (PostgreSQL; its name prefixes the bench databases),
# REDIS_URL and wrk. BENCH_ARGS e.g. "--rounds 3 --skip-import"; --keep-db keeps the seeded databases for the next run.
BENCH_ARGS ?= --keep-db
bench: install
	$(PY) scripts/bench_pages.py $(BENCH_ARGS)

worker: install
	$(VENV)/bin/celery -A cme_portal worker --loglevel INFO

beat: install
	$(VENV)/bin/celery -A cme_portal beat --loglevel INFO

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* htmlcov

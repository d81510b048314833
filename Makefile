# SARTCM — `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: install assets migrate demo run test lint check bench loadtest fmt clean schema schema-check

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

assets: node_modules/.installed install
	$(PY) manage.py collectstatic --noinput -v 0

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

# Installs everything, migrates, loads the demo data and runs web + worker + beat until Ctrl-C.
run: assets demo
	$(PY) manage.py run_stack

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -r sartcm agencies cases mou protocols -lll

check: install node_modules/.installed
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

test: lint check schema-check
	$(VENV)/bin/pytest -q -n 2 $(PYTEST_ARGS)

# The committed OpenAPI schema (openapi/schema.yml): `make schema` accepts the current API;
# `make schema-check` fails on breaking changes against it (additions pass).
schema: install
	$(PY) manage.py spectacular --fail-on-warn --validate --file openapi/schema.yml

schema-check: install
	@new=$$(mktemp --suffix=.yml) && \
	$(PY) manage.py spectacular --fail-on-warn --validate --file $$new && \
	$(PY) manage.py schema_diff openapi/schema.yml $$new; \
	status=$$?; rm -f $$new; exit $$status

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The performance suite of issue 11 on the dataset DATABASE_URL points at (build it with
# `manage.py generate_synthetic --offenders 100000`); prints a table and updates
# docs/performance.md. BENCH_ARGS e.g. "--quick" or "--only sweep,api". See bench/README.md.
bench: install
	$(PY) manage.py migrate --noinput
	$(PY) -m bench $(BENCH_ARGS)

# Only the locust load test (50 users, 60 s, loopback), without touching the document.
loadtest: install
	$(PY) manage.py migrate --noinput
	$(PY) -m bench --only load --no-docs

clean:
	rm -rf $(VENV) node_modules staticfiles .local

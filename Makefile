# The README's commands: make run · make test · make bench · make check
# Every target builds .venv from the pinned requirements first, so a fresh clone needs only Python 3.11.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test bench check lint format places install install-dev collectstatic serve-production clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime

install-dev: $(VENV)/.dev

## make run: install, migrate, load content/ and serve http://127.0.0.1:8000 (development server)
run: export DJANGO_DEBUG ?= 1
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_content
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: install the test tools and run every test (browser tests need Debian's chromium)
test: install-dev
	$(BIN)/pytest

## make places: the ZIP code and town file every worker shares (procedures/geo.py); built on first use otherwise
places: install
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-build-only-step} $(BIN)/python manage.py shell -c "from procedures.geo import warm_up; warm_up()"

## make collectstatic: hashed, compressed static files, exactly as the Dockerfile builds them
collectstatic: install
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-collectstatic-only-build-step} $(BIN)/python manage.py collectstatic --noinput -v0

## make bench: throughput, latency, page weight and finder speed, printed as figures
bench: install-dev collectstatic places
	$(BIN)/python -m bench

## make lint: ruff's lint rules and format check (configuration in pyproject.toml); fails on any finding
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## make format: apply ruff's safe fixes and formatting
format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make serve-production: the production layout here, without Docker: gunicorn (production settings) behind
## nginx running deploy/nginx.conf, on FRONT_PORT (8080) and APP_PORT (8001); Ctrl-C stops both
serve-production: install places
	$(BIN)/python -m deploy.front

## make check: Django's deployment checklist under production settings
check: install
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-check-only-$$(date +%s)-a-long-random-looking-value-for-the-check} \
	DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-example.org} \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

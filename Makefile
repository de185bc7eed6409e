# The README's Quick start: `make run` (the portal with demo data) and `make test`.
# Both create the virtual environment in .venv and install everything first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint check-deploy setup worker beat clean screenshots

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# The Spanish translations, compiled from locale/*.po (never committed as .mo).
locale/es/LC_MESSAGES/django.mo: locale/es/LC_MESSAGES/django.po $(VENV)/.installed
	$(BIN)/python manage.py compile_translations

setup: $(VENV)/.installed locale/es/LC_MESSAGES/django.mo

run: setup
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# Production settings must pass Django's deployment checks with no warning at all.
check-deploy: setup
	DEBUG=0 SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))') \
	ALLOWED_HOSTS=portal.example.org SITE_URL=https://portal.example.org \
	CLAMD_SOCKET=/run/clamav/clamd.ctl \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

worker: setup
	$(BIN)/celery -A secondopinion worker -l info

beat: setup
	$(BIN)/celery -A secondopinion beat -l info

# The README's pictures of the main screens (docs/screens), from the demo data in Chromium.
screenshots: setup
	$(BIN)/python docs/screens.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

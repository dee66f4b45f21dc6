# The registry's commands. `make demo` and `make test` are the quick start (README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The demo accounts' password; override with `make demo DEMO_PASSWORD=...`.
DEMO_PASSWORD ?= registry-demo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test lint format serve worker beat migrate collectstatic check-deploy serve-prod

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(BIN)/.installed

# Creates the virtualenv, installs, migrates, seeds the demo and serves it (DEBUG on, SQLite
# unless DATABASE_URL is set).
demo: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 DEMO_PASSWORD='$(DEMO_PASSWORD)' $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  AI use-case registry: http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password: $(DEMO_PASSWORD)): builder, lead, reviewer, curator, responder, staff, admin"
	@echo ""
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The test suite: on PostgreSQL when DATABASE_URL is set, otherwise on SQLite (tests that
# need PostgreSQL are then skipped with a visible reason).
test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

serve: install
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Celery: a worker and the beat scheduler (need CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0).
worker: install
	$(BIN)/celery -A config worker --loglevel=info

beat: install
	$(BIN)/celery -A config beat --loglevel=info

# Production (deploy/ runs the same commands). They need the production environment: DEBUG off,
# SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, ... (deploy/.env.example lists every setting).
migrate: install
	$(BIN)/python manage.py migrate --noinput

# Static files hashed and compressed into STATIC_ROOT, for WhiteNoise.
collectstatic: install
	$(BIN)/python manage.py collectstatic --noinput

# Django's deployment checklist; any warning fails.
check-deploy: install
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# gunicorn with the repository's config (workers, gc.freeze; GUNICORN_BIND, WEB_CONCURRENCY, ...).
serve-prod: install
	$(BIN)/gunicorn -c config/gunicorn.conf.py config.wsgi

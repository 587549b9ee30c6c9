# Agora — two commands for a newcomer:  `make run`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/agora
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
# Two pytest-xdist processes (each with its own files and Redis database: agora/settings.py).
XDIST ?= -n 2 --dist loadscope
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VENDOR := agora/static/vendor

.PHONY: run test install install-dev assets setup lint test-sqlite test-postgres test-browser chromium java clean

## make run: install, migrate, seed the demo community, start the web server and a worker.
run: setup
	$(BIN)/python manage.py serve

## make test: install what tests need, then lint, SQLite suite, PostgreSQL+Redis suite, browser tests.
test: install-dev assets chromium java
	$(BIN)/python manage.py compile_translations
	$(MAKE) lint
	$(MAKE) test-sqlite
	$(MAKE) test-postgres
	$(MAKE) test-browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/.copied: node_modules/.installed
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/@picocss/pico/css/pico.violet.min.css $(VENDOR)/pico.min.css
	cp node_modules/mermaid/dist/mermaid.min.js $(VENDOR)/mermaid.min.js
	cp node_modules/chart.js/dist/chart.umd.js $(VENDOR)/chart.umd.js
	touch $@

assets: $(VENDOR)/.copied

setup: install assets
	$(BIN)/python manage.py compile_translations
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py seed_demo

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-sqlite:
	$(BIN)/pytest $(XDIST) -m "not browser" -q

test-postgres:
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest $(XDIST) -m "not browser" -q agora
	# Media and checkpoints on a real S3 server (SeaweedFS on free local ports, stopped after).
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) \
	  $(BIN)/python -m agora.core.seaweedfs $(BIN)/pytest -m s3 -q agora

test-browser:
	$(BIN)/pytest -m browser -q agora

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	@fc-list | grep -qi "Noto Sans CJK" || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq fonts-noto-cjk fonts-noto-color-emoji; }

## java: the Nu Html Checker (node_modules/vnu-jar) runs on it.
java:
	@command -v java >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq default-jre-headless; }

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var

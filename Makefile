# Колледж · Интранет — `make run` serves the demo college, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install translations migrate demo lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

translations: $(STAMP)
	$(BIN)/python -m intranet.catalog

migrate: translations
	$(FLASK) db upgrade

run: migrate
	$(FLASK) demo-data --if-empty
	@echo "Колледж · Интранет: http://127.0.0.1:$(PORT)  (демо-пароль: demo-password)"
	@$(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT) --with-threads

# One pytest worker per CPU (pytest-xdist; each gets its own SQLite files and PostgreSQL
# database); `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= auto

test: translations
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: translations
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

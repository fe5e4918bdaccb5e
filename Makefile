# Citizen Vault: the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell $(PYTHON) -c 'import hashlib,sys;print(hashlib.sha256(open("pyproject.toml","rb").read()).hexdigest()[:12])')

.PHONY: demo test lint check schema bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

## demo: set up a local SQLite database, seed a university, an employer and a citizen, serve on
## :8000, or on PORT (`PORT=8110 make demo`): settings derive SITE_URL, and with it demo.env, the
## printed links, signed status-list URLs and the OAuth issuer, from the same PORT.
PORT ?= 8000
demo: $(STAMP)
	DEBUG=1 PORT=$(PORT) $(BIN)/python manage.py migrate --no-input
	DEBUG=1 PORT=$(PORT) $(BIN)/python manage.py seed_demo
	DEBUG=1 PORT=$(PORT) $(BIN)/python manage.py runserver $(PORT)

## test: the whole test suite (PostgreSQL / Redis when DATABASE_URL / REDIS_URL are set)
test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

## lint: ruff, mypy, import-linter, migrations, OpenAPI schema
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/mypy
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=1 $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

bench: $(STAMP)
	DEBUG=1 $(BIN)/python bench/read_path.py
	DEBUG=1 $(BIN)/python bench/verify.py

clean:
	rm -rf $(VENV) .pytest_cache db.sqlite3

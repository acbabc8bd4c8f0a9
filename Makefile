# marsad: `make demo` (set up + scan the bundled sample) and `make test` (set up + all tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= var/demo.db

.PHONY: setup system-deps demo test test-fast bench model clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

system-deps:
	bash scripts/system-deps.sh

demo: setup
	@mkdir -p var
	@rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/marsad hashlist import examples/hashlists/smuggling_imagery.csv --name smuggling_imagery \
		--category migrant_smuggling --source "marsad sample" --db sqlite:///$(DEMO_DB)
	$(BIN)/marsad scan examples/sample --db sqlite:///$(DEMO_DB) --quarantine var/demo-quarantine.jsonl
	$(BIN)/marsad networks --db sqlite:///$(DEMO_DB) --out var/demo-networks.json
	$(BIN)/marsad report --db sqlite:///$(DEMO_DB) --from 2025-01-01 --to 2027-01-01 --out var/demo-report.html
	@echo "store: $(DEMO_DB)  networks: var/demo-networks.json  report: var/demo-report.html"
	@echo "next: $(BIN)/marsad users add admin --role admin --db sqlite:///$(DEMO_DB) && $(BIN)/marsad serve --db sqlite:///$(DEMO_DB)"

test: setup system-deps
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not postgres and not browser"

$(VENV)/.bench: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev,bench]'
	touch $@

bench: setup $(VENV)/.bench
	$(BIN)/python bench/run.py

model: setup
	$(BIN)/marsad train

clean:
	rm -rf var .pytest_cache

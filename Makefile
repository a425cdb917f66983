# One command sets up .venv and does the job; see README.md.
# Python 3.12+: .python-version makes pyenv's python3 resolve to 3.12 here; elsewhere the
# first python3.13 / python3.12 on PATH is used.
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do \
            command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
            2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help venv test test-slow test-all demo app bench validation docs lint clean

help:
	@echo "make demo   set up .venv and run the COVID-pivot comparison"
	@echo "make test   set up .venv and run the test suite but its slow tests (in parallel)"
	@echo "make test-slow  the slow tests: end-to-end commands, browser, calibration"
	@echo "make test-all   both lanes in one run"
	@echo "make app    set up .venv and serve the trainers' dashboard"
	@echo "make bench  set up .venv and print the benchmark figures"
	@echo "make validation  run the pattern checks (200 replicates) and write docs/validation.md"
	@echo "make docs   rerun the shipped sweeps and rewrite the numbers the docs quote"
	@echo "make lint   ruff"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "trustsim needs Python 3.12 or newer (python3.12 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	@# uv (from PyPI) installs the same packages in seconds where pip takes a minute or
	@# more; pip does it when uv cannot be installed or fails
	if $(BIN)/python -m pip install -q uv; then \
	  $(BIN)/uv pip install -q --python $(BIN)/python -e '.[test]' || \
	  $(BIN)/python -m pip install -q -e '.[test]'; \
	else \
	  $(BIN)/python -m pip install -q --upgrade pip && $(BIN)/python -m pip install -q -e '.[test]'; \
	fi
	$(BIN)/python -c "from sim.runs import warm_up; warm_up()"  # compile once
	touch $(STAMP)

venv: $(STAMP)

# -n: one test process per core (pytest-xdist); the slow lane is what CI adds (.ci/run)
PYTEST := $(BIN)/python -m pytest -q -n auto

test: $(STAMP)
	$(PYTEST) -m "not slow"

test-slow: $(STAMP)
	$(PYTEST) -m slow

test-all: $(STAMP)
	$(PYTEST)

demo: $(STAMP)
	$(BIN)/trustsim run scenarios/covid_pivot.yaml --out results/covid_pivot --overwrite

app: $(STAMP)
	$(BIN)/trustsim app scenarios/covid_pivot.yaml

bench: $(STAMP)
	$(BIN)/python benchmarks/model_speed.py
	$(BIN)/python benchmarks/batched_speed.py
	$(BIN)/python benchmarks/phase_costs.py

validation: $(STAMP)
	$(BIN)/python -m sim.patterns --replicates 200 --out docs/validation.md

# every generated block of README.md and docs/*.md (sim/docgen; runs the shipped
# sweeps and the shipped calibration: about ten minutes on 2 busy cores)
docs: $(STAMP)
	$(BIN)/python -m sim.docgen

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache

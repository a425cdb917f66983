# One command sets up .venv and does the job; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help venv test demo app bench lint clean

help:
	@echo "make demo   set up .venv and run the COVID-pivot comparison"
	@echo "make test   set up .venv and run the test suite"
	@echo "make app    set up .venv and serve the trainers' dashboard"
	@echo "make bench  set up .venv and print the benchmark figures"
	@echo "make lint   ruff"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/trustsim run scenarios/covid_pivot.yaml --out results/covid_pivot --overwrite

app: $(STAMP)
	$(BIN)/trustsim app scenarios/covid_pivot.yaml

bench: $(STAMP)
	$(BIN)/python benchmarks/model_speed.py

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache

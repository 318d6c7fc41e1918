# One entry point for the project's commands. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
ROOT := $(abspath .)
VENV := $(ROOT)/.venv
# pytest workers: one more than the cores (3 on two), since a worker often waits on the engine
WORKERS ?= $(shell echo $$(( $$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) + 1 )))
export PATH := $(ROOT)/.tools/bin:$(VENV)/bin:$(PATH)
export PULUMI_SKIP_UPDATE_CHECK := true
export PULUMI_HOME := $(ROOT)/.tools/pulumi-home

.PHONY: setup demo promotion test lint typecheck unit e2e soak bench clean team docs sdks

setup: ## Install the virtualenv, the pulumi CLI (built from Go modules) and the plugins
	@bash tools/setup-toolchain.sh

demo: setup ## Preview and apply the example stage set against the embedded Outreach emulator
	@$(VENV)/bin/python tools/demo.py

promotion: setup ## Promote examples/promotion/stages.yaml dev -> staging -> prod against six emulator accounts
	@$(VENV)/bin/python examples/promotion/walkthrough.py

lint: setup ## ruff check and format --check
	ruff check .
	ruff format --check .

# mypy's cache is kept per machine, as Go's is: mypy checks each entry against its file's hash, so
# a new checkout reuses it and checks only what changed (2 s instead of 11 on a fresh clone). One
# mypy at a time uses it (flock), since mypy does not guard its cache against a concurrent run;
# where there is no flock, the checkout's own cache.
MYPY_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pulumi-stages/mypy

typecheck: setup ## mypy --strict on the package
	@if command -v flock >/dev/null; then \
		mkdir -p "$(MYPY_CACHE)"; \
		echo 'flock $(MYPY_CACHE).lock mypy --cache-dir $(MYPY_CACHE)'; \
		flock -w 600 "$(MYPY_CACHE).lock" mypy --cache-dir "$(MYPY_CACHE)"; \
	else \
		echo mypy; mypy; \
	fi

unit: setup ## Tests that need no Pulumi engine
	pytest -m "not e2e"

e2e: setup ## Tests through the real Pulumi engine
	pytest -n $(WORKERS) --dist loadfile -m e2e

team: setup ## What a team relies on: drift check, PostgreSQL state and its lock, the wheel on the newest and oldest SDKs, the CI recipes
	pytest -n 2 --dist loadfile tests/test_drift_e2e.py tests/test_postgres_state_e2e.py \
		tests/test_wheel_newest_sdk_e2e.py tests/test_ci_recipes_e2e.py tests/test_sdk_pickler_guard.py \
		tests/test_drift_report.py

test: setup lint typecheck ## Everything CI runs: lint, types, all tests (one worker more than there are cores, since a worker often waits on the engine; a file's tests share one worker, so a stack a module saves once serves them all)
	pytest -n $(WORKERS) --dist loadfile

soak: setup ## Random sequences through the real engine for STAGES_SOAK_MINUTES (5) per CRM from a random seed (STAGES_SOAK_SEED replays one); prints statistics
	@seed=$${STAGES_SOAK_SEED:-$$(( (RANDOM << 15) | RANDOM ))}; \
	echo "soak seed $$seed: STAGES_SOAK_SEED=$$seed make soak replays it"; \
	STAGES_SOAK=1 pytest -p no:cacheprovider tests -k "sequences_converge$${STAGES_SOAK_CRM:+ and $$STAGES_SOAK_CRM}" \
		--hypothesis-seed=$$seed

docs: setup ## Regenerate the reference pages from the code and build the docs site into site/
	python tools/docs_reference.py
	NO_MKDOCS_2_WARNING=1 mkdocs build --strict -d site

sdks: setup ## Generate the TypeScript, Go and Python SDKs into sdk/ from the provider's schema (SCHEMA=file to use another)
	bash tools/build-sdks.sh $(SCHEMA)

bench: setup ## Benchmarks: print request counts, timings, ratios and a provider process's CPU
	python -m bench.refresh_scale
	python -m bench.reorder
	python -m bench.engine
	python -m bench.refresh_floor --sizes 100,1000
	python -m bench.deletes
	python -m bench.provider_start
	python -m bench.provider_reads

clean: ## Remove the virtualenv, built tools and local demo state (Go caches stay)
	rm -rf .venv .tools .pulumi-state Pulumi.demo.yaml

# DevLens — two commands: `make demo` and `make test`.
# Needs only Python >= 3.11 and access to the package index: the first run
# installs uv into .tools/ and the locked dependencies into .venv/.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
STAMP := $(VENV)/.devlens-installed

export DAGSTER_HOME ?= $(CURDIR)/.devlens/dagster
# one "planned" event per asset for a single-run backfill (see pipelines/definitions.py)
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS ?= true

.PHONY: install demo demo-data test serve ui bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

install: $(STAMP)  ## create .venv with the locked dependencies

demo: install  ## generate the demo org, ingest, backfill, publish, then serve the API and the Dagster UI
	$(VENV)/bin/devlens demo

demo-data: install  ## the same without serving
	$(VENV)/bin/devlens demo --no-serve

test: install  ## the test suite (needs PostgreSQL on 127.0.0.1:5432, or DEVLENS_SKIP_POSTGRES=1)
	$(VENV)/bin/pytest

serve: install  ## the API on 127.0.0.1:8000
	$(VENV)/bin/devlens serve

ui: install  ## the Dagster UI with schedules and sensors (dagster dev)
	$(VENV)/bin/dagster dev -w workspace.yaml

clean:  ## remove the local warehouse, serving store and Dagster storage
	rm -rf .devlens

"""The Dagster instance DevLens runs against.

``DAGSTER_HOME`` wins when set (production: a ``dagster.yaml`` with
PostgreSQL storage, see ``deploy/dagster.yaml``). Otherwise the embedded
default lives in ``.devlens/dagster`` with SQLite storage, created on first
use with the single-writer pool limit.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

EMBEDDED_HOME = Path(".devlens/dagster")
EMBEDDED_DAGSTER_YAML = """\
# Written by DevLens for the embedded default (SQLite storage under this folder).
telemetry:
  enabled: false
concurrency:
  pools:
    # Every asset that writes the DuckDB warehouse is in the 'duckdb_writer'
    # pool; one slot means parallel runs queue instead of failing on the lock.
    default_limit: 1
"""


def ensure_dagster_home() -> Path:
    home = os.environ.get("DAGSTER_HOME")
    if home:
        path = Path(home)
        path.mkdir(parents=True, exist_ok=True)
    else:
        path = EMBEDDED_HOME.resolve()
        path.mkdir(parents=True, exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(path)
    yaml_path = path / "dagster.yaml"
    if not yaml_path.exists():
        yaml_path.write_text(EMBEDDED_DAGSTER_YAML)
    return path


def get_instance() -> dg.DagsterInstance:
    ensure_dagster_home()
    return dg.DagsterInstance.get()

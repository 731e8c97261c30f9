"""Open the warehouse DuckDB file as its single writer.

DuckDB allows one read-write process or many readers, never both. Every
writer goes through the ``duckdb_writer`` pool, but a lock can still be
held briefly (a CLI run beside the daemon): opening retries with backoff
and then fails with a message that says who to wait for.
"""

from __future__ import annotations

import random
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

WRITER_POOL = "duckdb_writer"


class WarehouseLocked(RuntimeError):
    pass


def connect_writer(path: str | Path, attempts: int = 30, first_wait: float = 0.2) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wait = first_wait
    for attempt in range(1, attempts + 1):
        try:
            con = duckdb.connect(str(path))
            con.execute("set TimeZone = 'UTC'")
            return con
        except duckdb.IOException as e:
            if "lock" not in str(e).lower() or attempt == attempts:
                raise WarehouseLocked(
                    f"cannot open the warehouse {path} for writing: {e}. Another process holds it; "
                    "wait for the running DevLens job to finish (runs share the 'duckdb_writer' pool)."
                ) from e
            time.sleep(wait + random.uniform(0, wait / 2))
            wait = min(wait * 1.5, 5.0)
    raise AssertionError("unreachable")


@contextmanager
def writer(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect_writer(path)
    try:
        yield con
    finally:
        con.close()

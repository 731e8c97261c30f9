"""Open the warehouse DuckDB file as its single writer.

DuckDB allows one read-write process or many readers, never both. Every
writer goes through the ``duckdb_writer`` pool, but a lock can still be
held briefly (a CLI run beside the daemon): opening retries with backoff
and then fails with a message that says who to wait for.

The writer connection's DuckDB memory is bounded (``warehouse.memory_limit``,
default :data:`DEFAULT_MEMORY_LIMIT`): DuckDB's own default, 80% of the
machine, assumes it owns the machine, while the writer shares it with
Dagster, the API server and the operating system's page cache. DuckDB's
memory is mostly its buffer cache of the warehouse file, which it refills
from disk, and sorts, joins and aggregations spill to ``<warehouse>.tmp``
beyond the limit, so a generous bound costs re-reads, not failures (what
must stay in memory, such as the raw tables' key indexes, is far smaller).
"""

from __future__ import annotations

import os
import random
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from ..config import MEMORY_LIMIT_PATTERN

WRITER_POOL = "duckdb_writer"

# A quarter of the machine's memory (or of the container's limit), at least
# 1 GiB. It leaves the rest of the machine to the processes beside the writer
# and, on the 23.5 GB benchmark machine (5.8 GiB), is several times what the
# writer workloads measured there used (bench/README.md: the 1,000-developer
# backfill peaked at about 1 GB RSS; an 80,000-commit repository's ingest at
# about 450 MB of DuckDB memory, nearly all of it cache).
DEFAULT_MEMORY_LIMIT = "25%"
MIN_DEFAULT_MEMORY_BYTES = 2**30
# DuckDB checkpoints when a commit leaves more than this in the WAL (its
# default: 16 MB). After an ingest has replaced rows all over a table, each
# checkpoint costs more the larger the table (0.7 s at 20,000 commits, 2-3.5 s
# at 80,000). An 80,000-commit repository's ingest spent 79 CPU-seconds in
# commits before the item 6 fixes and 15 after, this threshold the largest
# part of it, with no more memory (bench/README.md, item 6).
CHECKPOINT_THRESHOLD = "64MB"


class WarehouseLocked(RuntimeError):
    pass


def total_memory_bytes() -> int:
    """The machine's physical memory, or the cgroup's limit when that is lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total


def memory_limit_setting(value: str | None = None, total_bytes: int | None = None) -> str:
    """The ``memory_limit`` to SET: a DuckDB size as given ('4GB'), or 'N%' of
    :func:`total_memory_bytes` in MiB. None: :data:`DEFAULT_MEMORY_LIMIT`, at
    least 1 GiB (never more than DuckDB's own default, 80%)."""
    default = value is None
    m = re.match(MEMORY_LIMIT_PATTERN, DEFAULT_MEMORY_LIMIT if default else value, re.IGNORECASE)
    if not m:
        raise ValueError(f"invalid memory limit {value!r}: expected a size such as '4GB' or '512MB', or a share "
                         "of the machine's memory such as '25%'")
    number, unit = float(m.group(1)), m.group(3)
    if unit != "%":
        return f"{m.group(1)}{unit}"
    if not 0 < number <= 100:
        raise ValueError(f"invalid memory limit {value!r}: a share of the memory is more than 0% and at most 100%")
    total = total_memory_bytes() if total_bytes is None else total_bytes
    limit = total * number / 100
    if default:
        limit = min(max(limit, MIN_DEFAULT_MEMORY_BYTES), total * 0.8)
    return f"{max(1, int(limit // 2**20))}MiB"


def connect_writer(
    path: str | Path,
    attempts: int = 30,
    first_wait: float = 0.2,
    *,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse for writing, in UTC, with DuckDB's memory bounded by
    ``memory_limit`` (``warehouse.memory_limit``; None: the default) and
    automatic checkpoints every :data:`CHECKPOINT_THRESHOLD` of WAL."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    setting = memory_limit_setting(memory_limit)
    wait = first_wait
    for attempt in range(1, attempts + 1):
        try:
            con = duckdb.connect(str(path))
        except duckdb.IOException as e:
            if "lock" not in str(e).lower() or attempt == attempts:
                raise WarehouseLocked(
                    f"cannot open the warehouse {path} for writing: {e}. Another process holds it; "
                    "wait for the running DevLens job to finish (runs share the 'duckdb_writer' pool)."
                ) from e
            time.sleep(wait + random.uniform(0, wait / 2))
            wait = min(wait * 1.5, 5.0)
            continue
        try:
            con.execute("set TimeZone = 'UTC'")
            con.execute(f"set memory_limit = '{setting}'")
            con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        except BaseException:
            con.close()
            raise
        return con
    raise AssertionError("unreachable")


@contextmanager
def writer(path: str | Path, *, memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect_writer(path, memory_limit=memory_limit)
    try:
        yield con
    finally:
        con.close()

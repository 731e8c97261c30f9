"""Read-only access to the published serving store.

The store follows the ``CURRENT`` pointer that each publish swaps in with
``os.replace``. Every request pins one data version for its whole life, so
its answer is consistent even if a publish lands meanwhile; older versions
stay open (and their files stay alive on POSIX) until no request uses them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import duckdb

from pipelines.publish import POINTER, current_version

log = logging.getLogger("devlens.api")
# What ``Snapshot.cached`` may keep in memory per data version, counted in
# values (a row of 28 metrics is 28): an LRU of whole-period row sets and
# rankings. About 35 bytes a value; DEVLENS_API_CACHE_VALUES=0 turns it off.
CACHE_VALUES = int(os.environ.get("DEVLENS_API_CACHE_VALUES", "4000000"))


class RowCache:
    """An LRU of row collections, bounded by their total weight (values held).

    A data version's file never changes, so a result read from it stays
    right for the version's whole life; the cache dies with the version.
    """

    def __init__(self, budget: int):
        self.budget = budget
        self._items: OrderedDict = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def peek(self, key):
        """The cached value, or CacheMiss."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
        raise CacheMiss()

    def get(self, key, compute, weight=len):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
        value = compute()  # outside the lock: a slow read never blocks other requests' hits
        size = max(weight(value), 1)
        if size > self.budget:
            return value
        with self._lock:
            if key not in self._items:
                self._items[key] = (value, size)
                self._held += size
                while self._held > self.budget:
                    _, (_, old) = self._items.popitem(last=False)
                    self._held -= old
        return value


class NotPublished(RuntimeError):
    pass


class CacheMiss(Exception):
    """Raised instead of reading the file while a snapshot is in memory-only mode."""


@dataclass
class Version:
    number: int
    path: Path
    con: duckdb.DuckDBPyConnection
    users: int = 0
    retired: bool = False
    tables: set[str] = field(default_factory=set)
    # Facts derived once per version (the ledger, who exists): a version's
    # file never changes, so neither do they.
    memo: dict = field(default_factory=dict)
    cache: RowCache = field(default_factory=lambda: RowCache(CACHE_VALUES))


class Snapshot:
    """One request's view: a cursor on one data version."""

    def __init__(self, version: Version):
        self.version = version.number
        self._con = version.con
        self._cur_: duckdb.DuckDBPyConnection | None = None
        self.tables = version.tables
        self._memo = version.memo
        self._cache = version.cache
        # False while a route runs on the event loop: anything that would read
        # the file raises CacheMiss, and the route is re-run in the threadpool.
        self.io_allowed = True

    @property
    def _cur(self) -> duckdb.DuckDBPyConnection:
        if not self.io_allowed:
            raise CacheMiss()
        if self._cur_ is None:  # only requests that query open a cursor
            self._cur_ = self._con.cursor()
        return self._cur_

    def has(self, relation: str) -> bool:
        return relation in self.tables

    def rows(self, sql: str, params: list | tuple = ()) -> list[dict[str, Any]]:
        cur = self._cur.execute(sql, list(params))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def tuples(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        """Rows as plain tuples, in the select list's order (no dict per row)."""
        return self._cur.execute(sql, list(params)).fetchall()

    def one(self, sql: str, params: list | tuple = ()) -> dict[str, Any] | None:
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: list | tuple = ()):
        rows = self._cur.execute(sql, list(params)).fetchall()
        return rows[0][0] if rows else None

    def memo(self, key, compute):
        """``compute()`` once per data version (racing requests may both compute; same result)."""
        try:
            return self._memo[key]
        except KeyError:
            if not self.io_allowed:
                raise CacheMiss() from None
            value = self._memo[key] = compute()
            return value

    def cached(self, key, compute, weight=len):
        """``compute()`` kept in this version's bounded cache; ``weight(value)``: the values it holds."""
        if not self.io_allowed:
            return self._cache.peek(key)
        return self._cache.get(key, compute, weight)

    def close(self) -> None:
        if self._cur_ is not None:
            self._cur_.close()


class ServingStore:
    def __init__(self, serving_dir: Path):
        self.dir = serving_dir
        self._pointer = str(serving_dir / POINTER)
        self._lock = threading.Lock()
        self._current: Version | None = None
        self._pointer_mtime: float | None = None
        self._retired: list[Version] = []

    def _refresh(self) -> None:
        try:
            st = os.stat(self._pointer)  # one stat per request: a publish is served from the next request on
        except FileNotFoundError:
            return
        # Each publish writes a new pointer file and renames it over the old
        # one: a new inode, so two publishes within one timestamp tick still
        # differ.
        mtime = (st.st_ino, st.st_mtime_ns, st.st_size)
        if mtime == self._pointer_mtime:
            return
        number = current_version(self.dir)
        if self._current is not None and self._current.number == number:
            self._pointer_mtime = mtime
            return
        path = self.dir / f"v{number:06d}.duckdb"
        try:
            # read_only: the API never writes, and never opens the warehouse.
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error:
            if self._current is None:
                log.warning("could not open data version %s at %s", number, path, exc_info=True)
                raise NotPublished(f"data version {number} could not be opened; see the server log") from None
            # The pointer names a file that is not there (pruned by a later
            # publish already): keep serving the version we have and retry
            # on the next request.
            log.warning("could not open data version %s at %s; still serving %s", number, path,
                        self._current.number, exc_info=True)
            return
        tables = {f"{s}.{t}" for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}
        new = Version(number, path, con, tables=tables)
        old, self._current, self._pointer_mtime = self._current, new, mtime
        if old is not None:
            old.retired = True
            self._retired.append(old)
        self._close_idle()

    def _close_idle(self) -> None:
        for v in list(self._retired):
            if v.users == 0:
                v.con.close()
                self._retired.remove(v)

    @property
    def ready(self) -> bool:
        with self._lock:
            try:
                self._refresh()
            except NotPublished:
                return False
            return self._current is not None

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        with self._lock:
            self._refresh()
            version = self._current
            if version is None:
                raise NotPublished("no data version has been published yet: run `devlens demo` or `devlens backfill`")
            version.users += 1
        snap = Snapshot(version)
        try:
            yield snap
        finally:
            snap.close()
            with self._lock:
                version.users -= 1
                if version.retired:
                    self._close_idle()

    def close(self) -> None:
        with self._lock:
            for v in [self._current, *self._retired]:
                if v is not None:
                    v.con.close()
            self._current, self._retired = None, []

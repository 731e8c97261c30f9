"""Read-only access to the published serving store.

The store follows the ``CURRENT`` pointer that each publish swaps in with
``os.replace``. Every request pins one data version for its whole life, so
its answer is consistent even if a publish lands meanwhile; older versions
stay open (and their files stay alive on POSIX) until no request uses them.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import duckdb

from pipelines.publish import POINTER, current_version


class NotPublished(RuntimeError):
    pass


@dataclass
class Version:
    number: int
    path: Path
    con: duckdb.DuckDBPyConnection
    users: int = 0
    retired: bool = False
    tables: set[str] = field(default_factory=set)


class Snapshot:
    """One request's view: a cursor on one data version."""

    def __init__(self, version: Version):
        self.version = version.number
        self._cur = version.con.cursor()
        self.tables = version.tables

    def has(self, relation: str) -> bool:
        return relation in self.tables

    def rows(self, sql: str, params: list | tuple = ()) -> list[dict[str, Any]]:
        cur = self._cur.execute(sql, list(params))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def one(self, sql: str, params: list | tuple = ()) -> dict[str, Any] | None:
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: list | tuple = ()):
        rows = self._cur.execute(sql, list(params)).fetchall()
        return rows[0][0] if rows else None

    def close(self) -> None:
        self._cur.close()


class ServingStore:
    def __init__(self, serving_dir: Path):
        self.dir = serving_dir
        self._lock = threading.Lock()
        self._current: Version | None = None
        self._pointer_mtime: float | None = None
        self._retired: list[Version] = []

    def _refresh(self) -> None:
        try:
            mtime = (self.dir / POINTER).stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self._pointer_mtime:
            return
        number = current_version(self.dir)
        if self._current is not None and self._current.number == number:
            self._pointer_mtime = mtime
            return
        path = self.dir / f"v{number:06d}.duckdb"
        con = duckdb.connect(str(path), read_only=True)
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
            self._refresh()
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

"""Buffered writes to the raw schema, and the ingest cursors.

Rows are grouped by (table, column set) because :func:`upsert` takes one
Arrow table per call: a PR's commit listing leaves ``on_default_branch`` out
(so it never clears it), a commit detail carries stats, and so on.

Crash safety: cursors and ETags are written only by :meth:`RawWriter.flush`,
*after* every buffered row, so a cursor never gets ahead of the rows it
stands for. A crash loses only work that a re-run repeats, and upserts make
the repetition harmless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import duckdb
import pyarrow as pa

from pipelines.warehouse.raw_writer import upsert

from .rows import to_arrow, ts, iso

SOURCE = "github"

# Flush order: parents before children, so a partial flush never leaves a
# review without its pull request for long. (Correctness does not depend on
# it: cursors come last.)
TABLE_ORDER = (
    "users",
    "repositories",
    "workspace_repositories",
    "pull_requests",
    "commits",
    "commit_files",
    "file_contents",
    "pull_request_commits",
    "pull_request_files",
    "reviews",
    "review_comments",
    "team_members",
)


_CURSOR_COLUMNS = ("source", "repository", "entity", "cursor_value", "etag")


@dataclass
class Cursor:
    """An entity's high-water mark and the ``since`` it was collected from."""

    since: datetime | None
    max: datetime | None

    @classmethod
    def parse(cls, value: str | None) -> "Cursor | None":
        if not value:
            return None
        try:
            d = json.loads(value)
            return cls(ts(d.get("since")), ts(d.get("max")))
        except (ValueError, AttributeError):
            return None

    def dumps(self) -> str:
        return json.dumps(
            {"since": iso(self.since) if self.since else None, "max": iso(self.max) if self.max else None}
        )


class RawWriter:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        run_id: str,
        on_result: Callable[[str, int, int], None],
        *,
        max_buffered_rows: int = 5000,
    ):
        self.con = con
        self.run_id = run_id
        self._on_result = on_result
        self.max_buffered_rows = max_buffered_rows
        self._rows: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
        self._embedded_users: dict[int, dict[str, Any]] = {}
        self._cursors: list[tuple[str, str, str, str | None, str | None]] = []
        self._prefetched: dict[tuple[str, str], tuple[str | None, str | None] | None] = {}
        self._count = 0

    # -- buffering -------------------------------------------------------------

    def add(self, table: str, row: dict[str, Any], *, omit: tuple[str, ...] = ()) -> None:
        if omit:
            row = {k: v for k, v in row.items() if k not in omit}
        self._rows.setdefault((table, tuple(row)), []).append(row)
        self._count += 1

    def add_embedded_user(self, row: dict[str, Any] | None) -> None:
        """A user seen inside another item. New accounts get this object as
        payload; known ones only have login and type refreshed, so a full
        ``/users`` payload is never replaced by an embedded one."""
        if row is not None and row["user_id"] not in self._embedded_users:
            self._embedded_users[row["user_id"]] = row
            self._count += 1

    def set_cursor(self, repository: str, entity: str, value: str | None, etag: str | None = None) -> None:
        self._cursors.append((SOURCE, repository, entity, value, etag))

    def maybe_flush(self) -> None:
        if self._count >= self.max_buffered_rows:
            self.flush()

    def flush(self) -> None:
        self._flush_embedded_users()
        for table in TABLE_ORDER:
            for key in [k for k in self._rows if k[0] == table]:
                rows = self._rows.pop(key)
                self._upsert(table, rows, key[1])
        assert not self._rows, f"unknown tables buffered: {list(self._rows)}"
        if self._cursors:
            cursors, self._cursors = self._cursors, []
            latest = {c[:3]: c for c in cursors}  # last write of a key wins
            cols = list(zip(*latest.values()))
            incoming = pa.table({name: pa.array(col, pa.string()) for name, col in zip(_CURSOR_COLUMNS, cols)})
            self.con.register("_incoming_cursors", incoming)
            try:
                self.con.execute(
                    "insert or replace into raw.ingest_cursors (source, repository, entity, cursor_value, etag) "
                    "select source, repository, entity, cursor_value, etag from _incoming_cursors"
                )
            finally:
                self.con.unregister("_incoming_cursors")
        self._count = 0

    def _flush_embedded_users(self) -> None:
        if not self._embedded_users:
            return
        users, self._embedded_users = list(self._embedded_users.values()), {}
        ids = [u["user_id"] for u in users]
        known = {
            r[0]
            for r in self.con.execute(
                "select user_id from raw.users where user_id in (select unnest(?::bigint[]))", [ids]
            ).fetchall()
        }
        new = [u for u in users if u["user_id"] not in known]
        old = [u for u in users if u["user_id"] in known]
        if new:
            self._upsert("users", new, ("user_id", "login", "type", "payload"))
        if old:
            self._upsert("users", old, ("user_id", "login", "type"))

    def _upsert(self, table: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
        result = upsert(self.con, table, to_arrow(table, rows, columns), self.run_id)
        self._on_result(table, result.inserted, result.updated)

    # -- reading state ---------------------------------------------------------

    def cursor_row(self, repository: str, entity: str) -> tuple[str | None, str | None] | None:
        row = self.con.execute(
            "select cursor_value, etag from raw.ingest_cursors where source = ? and repository = ? and entity = ?",
            [SOURCE, repository, entity],
        ).fetchone()
        return (row[0], row[1]) if row else None

    def prefetch(self, repository: str, entities: list[str]) -> None:
        """Read many cursor rows in one query (a page of PRs needs four each)."""
        if not entities:
            return
        found = {
            e: (v, t)
            for e, v, t in self.con.execute(
                "select entity, cursor_value, etag from raw.ingest_cursors where source = ? and repository = ? "
                "and entity in (select unnest(?::varchar[]))",
                [SOURCE, repository, entities],
            ).fetchall()
        }
        for e in entities:
            self._prefetched[(repository, e)] = found.get(e)

    def stored_etag(self, repository: str, entity: str, url: str) -> str | None:
        """The ETag stored for ``entity`` if it was stored for exactly ``url``."""
        key = (repository, entity)
        row = self._prefetched.pop(key) if key in self._prefetched else self.cursor_row(repository, entity)
        if row and row[0] == url and row[1]:
            return row[1]
        return None

"""The raw writer's contract every source relies on, and the writer connection.

``upsert``: idempotent by natural key; inserted and changed rows (only those)
get one change-log row each, with their event times (a changed row's old
ones too); unchanged rows are not touched; partial rows keep what they leave
out. ``connect_writer``: UTC, a bounded DuckDB memory, fewer checkpoints.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
import pytest

from pipelines.warehouse.connection import connect_writer, memory_limit_setting, writer
from pipelines.warehouse.raw_writer import ensure_raw_schema, upsert

T0 = datetime(2024, 1, 2, 10, 0)


def commit(sha: str, **values) -> dict:
    row = {"repository": "acme/api", "sha": sha, "author_login": "alice", "authored_at": T0,
           "message": f"commit {sha}", "parent_count": 1, "additions": 1, "deletions": 0,
           "on_default_branch": True, "payload": f'{{"sha": "{sha}"}}'}
    row.update(values)
    return row


def arrow(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows)


def stored(con, table: str = "commits") -> list[tuple]:
    return con.execute(f"select * from raw.{table} order by all").fetchall()


def logged(con, run_id: str) -> list[tuple]:
    return con.execute(
        "select entity, change, repository, pr_number, entity_key, list_sort(event_times) from raw.change_log "
        "where run_id = ? order by entity_key", [run_id]).fetchall()


def counts(result) -> tuple[int, int, int]:
    return result.inserted, result.updated, result.unchanged


@pytest.fixture
def con():
    c = duckdb.connect()
    ensure_raw_schema(c)
    yield c
    c.close()


def test_new_rows_are_inserted_and_logged_then_the_same_rows_change_nothing(con):
    rows = [commit("a"), commit("b", authored_at=datetime(2024, 1, 3)), commit("c")]
    assert counts(upsert(con, "commits", arrow(rows), "r1")) == (3, 0, 0)
    assert logged(con, "r1") == [
        ("commits", "insert", "acme/api", None, "acme/api/a", [T0]),
        ("commits", "insert", "acme/api", None, "acme/api/b", [datetime(2024, 1, 3)]),
        ("commits", "insert", "acme/api", None, "acme/api/c", [T0]),
    ]
    before = stored(con)
    rowids = con.execute("select sha, rowid from raw.commits order by sha").fetchall()

    assert counts(upsert(con, "commits", arrow(rows), "r2")) == (0, 0, 3)
    assert logged(con, "r2") == []
    assert stored(con) == before
    # unchanged rows are not rewritten (a replace would give them new row ids)
    assert con.execute("select sha, rowid from raw.commits order by sha").fetchall() == rowids


def test_a_changed_row_is_replaced_and_logged_once_with_its_old_and_new_event_times(con):
    upsert(con, "commits", arrow([commit("a"), commit("b"), commit("c")]), "r1")
    moved = datetime(2024, 2, 1, 9, 30)
    result = upsert(con, "commits", arrow([commit("a"), commit("b", message="reworded", authored_at=moved),
                                           commit("c")]), "r2")
    assert counts(result) == (0, 1, 2)
    # the old period must be recomputed too: both times are logged
    assert logged(con, "r2") == [("commits", "update", "acme/api", None, "acme/api/b", [T0, moved])]
    assert con.execute("select sha, message, authored_at from raw.commits order by sha").fetchall() == [
        ("a", "commit a", T0), ("b", "reworded", moved), ("c", "commit c", T0)]
    # and again: nothing left to change
    assert counts(upsert(con, "commits", arrow([commit("b", message="reworded", authored_at=moved)]), "r3")) == (0, 0, 1)
    assert logged(con, "r3") == []


def test_insert_update_and_unchanged_in_one_call(con):
    upsert(con, "commits", arrow([commit("a"), commit("b")]), "r1")
    result = upsert(con, "commits", arrow([commit("a"), commit("b", additions=9), commit("z")]), "r2")
    assert counts(result) == (1, 1, 1)
    assert [(c, k) for _, c, _, _, k, _ in logged(con, "r2")] == [("update", "acme/api/b"), ("insert", "acme/api/z")]


def test_partial_rows_keep_what_they_leave_out_and_null_keeps_detail_columns(con):
    upsert(con, "commits", arrow([commit("a", additions=5, deletions=2, payload='{"detail": true}',
                                         on_default_branch=True)]), "r1")
    before = stored(con)
    # A list item without detail: no on_default_branch column, NULL stats and payload.
    item = {"repository": "acme/api", "sha": "a", "authored_at": T0, "message": "commit a",
            "additions": None, "deletions": None, "payload": None}
    assert counts(upsert(con, "commits", arrow([item]), "r2")) == (0, 0, 1)
    assert stored(con) == before and logged(con, "r2") == []
    # A new key from a partial row takes the column defaults.
    new = {"repository": "acme/api", "sha": "n", "authored_at": T0, "message": "new"}
    assert counts(upsert(con, "commits", arrow([new]), "r3")) == (1, 0, 0)
    assert con.execute("select parent_count, on_default_branch, additions, payload from raw.commits "
                       "where sha = 'n'").fetchone() == (1, False, None, None)


def test_duplicate_keys_in_one_call_keep_the_last_occurrence(con):
    result = upsert(con, "commits", arrow([commit("a", message="first"), commit("a", message="last")]), "r1")
    assert counts(result) == (1, 0, 1)
    assert con.execute("select message from raw.commits").fetchall() == [("last",)]
    assert len(logged(con, "r1")) == 1


def test_pull_request_updates_log_the_pr_number_and_every_event_time(con):
    opened, merged = datetime(2024, 1, 5), datetime(2024, 1, 9)
    pr = {"repository": "acme/api", "number": 7, "state": "open", "created_at": opened, "merged_at": None,
          "closed_at": None}
    upsert(con, "pull_requests", arrow([pr]), "r1")
    upsert(con, "pull_requests", arrow([dict(pr, state="closed", merged_at=merged, closed_at=merged)]), "r2")
    assert logged(con, "r2") == [("pull_requests", "update", "acme/api", 7, "acme/api/7", [opened, merged])]


def test_a_large_table_across_row_groups_gets_exactly_the_right_rows(con):
    """More stored rows than one DuckDB row group (122,880), some replaced before
    (so row ids are out of key order), and incoming keys spread over all of it."""
    n = 130_000
    con.execute(
        """insert into raw.commits (repository, sha, author_login, authored_at, message, parent_count,
                                    additions, deletions, on_default_branch, payload)
           select 'acme/big', printf('%08d', i), 'dev' || (i % 50), timestamp '2024-01-01' + to_minutes(i),
                  'message ' || i, 1, i % 100, 0, true, '{"n": ' || i || '}'
           from range(?) t(i)""", [n])

    def row(i: int, **values) -> dict:
        """Stored row i (as the table holds it), with ``values`` changed."""
        cur = con.execute("select * exclude (author_user_id, author_name, author_email, author_utc_offset_minutes, "
                          "committer_login, committer_email, committed_at) from raw.commits where sha = ?",
                          [f"{i:08d}"])
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone()), **values)

    upsert(con, "commits", arrow([row(i, message=f"edited {i}") for i in (1, 60_000, 125_000)]), "r0")
    changed = [1, 999, 122_879, 122_880, 129_999]
    unchanged = [0, 60_000, 125_000]
    new = [dict(row(0), sha=f"{n + k:08d}", authored_at=datetime(2025, 1, 1)) for k in (1, 7)]
    incoming = [row(i, additions=-1) for i in changed] + [row(i) for i in unchanged] + new
    before = con.execute("select sha, message, additions from raw.commits").fetchall()

    result = upsert(con, "commits", arrow(incoming), "r1")
    assert counts(result) == (len(new), len(changed), len(unchanged))
    assert sorted((c, k) for _, c, _, _, k, _ in logged(con, "r1")) == sorted(
        [("update", f"acme/big/{i:08d}") for i in changed] + [("insert", f"acme/big/{r['sha']}") for r in new])
    after = {sha: (m, a) for sha, m, a in con.execute("select sha, message, additions from raw.commits").fetchall()}
    assert len(after) == n + len(new)
    for sha, message, additions in before:
        assert after[sha] == (message, -1 if int(sha) in changed else additions), sha
    # idempotent: the same call again changes nothing
    assert counts(upsert(con, "commits", arrow(incoming), "r2")) == (0, 0, len(incoming))
    assert logged(con, "r2") == []


# -- the writer connection ---------------------------------------------------------------


def test_memory_limit_setting():
    gib = 2**30
    assert memory_limit_setting("4GB") == "4GB"
    assert memory_limit_setting(" 512 MiB ") == "512MiB"
    assert memory_limit_setting("10%", total_bytes=20 * gib) == "2048MiB"
    # default: a quarter of the memory, at least 1 GiB, never above DuckDB's own 80%
    assert memory_limit_setting(None, total_bytes=32 * gib) == "8192MiB"
    assert memory_limit_setting(None, total_bytes=2 * gib) == "1024MiB"
    assert memory_limit_setting(None, total_bytes=1 * gib) == "819MiB"
    for bad in ("lots", "4 parsecs", "0%", "150%", "4GB'; drop table raw.commits; --"):
        with pytest.raises(ValueError, match="memory limit"):
            memory_limit_setting(bad, total_bytes=gib)


def _setting(con, name: str) -> str:
    return con.execute(f"select current_setting('{name}')").fetchone()[0]


def test_connect_writer_sets_utc_and_bounds_duckdb_memory(tmp_path):
    plain = duckdb.connect()
    duckdb_default = _setting(plain, "memory_limit")  # 80% of the machine
    plain.execute(f"set memory_limit = '{memory_limit_setting()}'")
    with writer(tmp_path / "default.duckdb") as con:
        assert _setting(con, "TimeZone") == "UTC"
        assert _setting(con, "checkpoint_threshold") == "61.0 MiB"  # 64MB
        assert _setting(con, "memory_limit") == _setting(plain, "memory_limit") != duckdb_default
    con = connect_writer(tmp_path / "set.duckdb", memory_limit="300MiB")
    try:
        assert _setting(con, "memory_limit") == "300.0 MiB"
    finally:
        con.close()
    with pytest.raises(ValueError, match="memory limit"):
        connect_writer(tmp_path / "bad.duckdb", memory_limit="plenty")


def test_a_warehouse_from_before_previous_path_gains_the_column_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    con.execute("create table raw.commit_files (repository varchar not null, sha varchar not null, "
                "path varchar not null, status varchar, additions integer, deletions integer, "
                "primary key (repository, sha, path))")
    con.execute("insert into raw.commit_files values ('acme/api', 'a1', 'x.py', 'added', 3, 0)")
    ensure_raw_schema(con)
    ensure_raw_schema(con)  # idempotent
    assert con.execute("select * from raw.commit_files").fetchall() == [("acme/api", "a1", "x.py", "added", 3, 0, None)]
    con.close()

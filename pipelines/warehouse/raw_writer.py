"""Upsert source rows into the raw schema and log what changed.

Every source (GitHub, git, demo) writes through :func:`upsert`, so a re-run
never duplicates a row, and every inserted or changed row lands in
``raw.change_log`` with its event timestamps for the late-data sensor.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
import duckdb
import pyarrow as pa

RAW_SCHEMA_SQL = resources.files(__package__).joinpath("raw_schema.sql").read_text()


@dataclass(frozen=True)
class RawTable:
    """How one raw table is keyed and which of its columns are event times."""

    name: str
    key: tuple[str, ...]
    event_times: tuple[str, ...] = ()
    # Columns a partial record (a list item without detail) leaves NULL:
    # NULL in the incoming row keeps the stored value.
    keep_when_null: tuple[str, ...] = ()
    repository_column: str | None = "repository"
    pr_number_column: str | None = None


RAW_TABLES: dict[str, RawTable] = {
    t.name: t
    for t in [
        RawTable("repositories", ("repository",)),
        RawTable("workspace_repositories", ("workspace_id", "repository")),
        RawTable("users", ("user_id",), repository_column=None),
        RawTable(
            "commits",
            ("repository", "sha"),
            event_times=("authored_at",),
            keep_when_null=("additions", "deletions", "author_utc_offset_minutes", "payload"),
        ),
        RawTable("commit_files", ("repository", "sha", "path")),
        RawTable(
            "pull_requests",
            ("repository", "number"),
            event_times=("created_at", "merged_at", "closed_at"),
            keep_when_null=("additions", "deletions", "changed_files", "merged_by_login"),
            pr_number_column="number",
        ),
        RawTable("pull_request_commits", ("repository", "pr_number", "sha"), pr_number_column="pr_number"),
        RawTable("pull_request_files", ("repository", "pr_number", "path"), pr_number_column="pr_number"),
        RawTable("reviews", ("review_id",), event_times=("submitted_at",), pr_number_column="pr_number"),
        RawTable("review_comments", ("comment_id",), event_times=("created_at",), pr_number_column="pr_number"),
        RawTable("team_members", ("workspace_id", "team_id", "login"), repository_column=None),
        RawTable("file_contents", ("repository", "path", "sha"), event_times=("committed_at",)),
    ]
}


@dataclass
class UpsertResult:
    table: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(RAW_SCHEMA_SQL)


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str | None]:
    """Column name -> its default expression (None when it has none)."""
    rows = con.execute(
        "select column_name, column_default from information_schema.columns "
        "where table_schema = 'raw' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    return dict(rows)


def upsert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: pa.Table,
    run_id: str,
) -> UpsertResult:
    """Insert new rows, replace changed ones, and log both; one transaction.

    ``rows`` may carry a subset of the table's columns; missing columns are
    kept from the stored row, or take their default on insert. Columns in
    ``keep_when_null`` keep their stored value when the incoming one is NULL.
    Duplicate keys within ``rows`` keep the last occurrence.
    """
    spec = RAW_TABLES[table]
    result = UpsertResult(table)
    if rows.num_rows == 0:
        return result
    defaults = _table_columns(con, table)
    columns = list(defaults)
    unknown = set(rows.column_names) - set(columns)
    if unknown:
        raise ValueError(f"raw.{table} has no column(s) {sorted(unknown)}")
    present = [c for c in columns if c in rows.column_names]
    missing_key = [k for k in spec.key if k not in present]
    if missing_key:
        raise ValueError(f"rows for raw.{table} lack key column(s) {missing_key}")

    key_join = " and ".join(f"i.{k} is not distinct from t.{k}" for k in spec.key)
    key_join_s = " and ".join(f"i.{k} is not distinct from s.{k}" for k in spec.key)

    def merged(col: str) -> str:
        if col not in present:
            return f"coalesce(t.{col}, {defaults[col] or 'null'})"
        if col in spec.keep_when_null:
            return f"coalesce(i.{col}, t.{col})"
        return f"i.{col}"

    select_merged = ", ".join(f"{merged(c)} as {c}" for c in columns)
    # Compare as JSON text so that structs, lists and json compare by value.
    stored = ", ".join(f"{c} := t.{c}" for c in columns)
    incoming = ", ".join(f"{c} := {merged(c)}" for c in columns)
    order_cols = ", ".join(spec.key)
    # The stored event times too: an update that moves a row to another
    # period must recompute the old period as well.
    old_times = "".join(f"t.{c} as _old_{c}, " for c in spec.event_times)
    name = f"_incoming_{table}"
    # Only the stored rows whose keys arrive are read in full. Joining the
    # whole table would read every column of every stored row (payloads
    # included) on every call, which makes a repository's ingest quadratic
    # in its history; here only the key columns are scanned, and DuckDB
    # fetches the matching rows' other columns by rowid.
    stored_rows = (
        f"(select * from raw.{table} where rowid in "
        f"(select s.rowid from {name} i join raw.{table} s on {key_join_s}))"
    )
    con.register(name, rows)
    try:
        con.execute("begin transaction")
        con.execute(
            f"""
            create or replace temp table _upsert as
            with incoming as (
                select * exclude (_rn) from (
                    select *, row_number() over (partition by {order_cols}
                                                 order by _ord desc) as _rn
                    from (select *, row_number() over () as _ord from {name})
                ) where _rn = 1
            )
            select {select_merged}, {old_times}
                   case when t.{spec.key[0]} is null then 'insert' else 'update' end as _change
            from incoming i
            left join {stored_rows} t on {key_join}
            where t.{spec.key[0]} is null
               or to_json(struct_pack({stored}))::varchar
                  is distinct from to_json(struct_pack({incoming}))::varchar
            """
        )
        counts = dict(con.execute("select _change, count(*) from _upsert group by 1").fetchall())
        result.inserted = counts.get("insert", 0)
        result.updated = counts.get("update", 0)
        result.unchanged = rows.num_rows - result.inserted - result.updated
        cols = ", ".join(columns)
        if result.inserted:  # new keys: a plain insert, much cheaper than a replace
            con.execute(f"insert into raw.{table} ({cols}) select {cols} from _upsert where _change = 'insert'")
        if result.updated:
            con.execute(
                f"insert or replace into raw.{table} ({cols}) select {cols} from _upsert where _change = 'update'"
            )
        if result.inserted or result.updated:
            _log_changes(con, spec, run_id)
        con.execute("drop table _upsert")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister(name)
    return result


def _log_changes(con: duckdb.DuckDBPyConnection, spec: RawTable, run_id: str) -> None:
    key_text = " || '/' || ".join(f"coalesce(cast({k} as varchar), '')" for k in spec.key)
    times = (
        "list_distinct(list_filter(["
        + ", ".join(f"cast({p}{c} as timestamp)" for c in spec.event_times for p in ("", "_old_"))
        + "], lambda x: x is not null))"
        if spec.event_times
        else "cast([] as timestamp[])"
    )
    repo = spec.repository_column or "null"
    pr = spec.pr_number_column or "null"
    con.execute(
        f"""
        insert into raw.change_log (run_id, entity, change, repository, pr_number, entity_key, event_times)
        select ?, ?, _change, {repo}, {pr}, {key_text}, {times} from _upsert
        """,
        [run_id, spec.name],
    )

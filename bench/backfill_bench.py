#!/usr/bin/env python
"""Backfill benchmark (issue 4): all period models x all four period types, one year.

    .venv/bin/python bench/backfill_bench.py                            # 1,000 developers x 365 days
    .venv/bin/python bench/backfill_bench.py --developers 50 --days 60  # smoke size

Phases (``--groups``: by default ``ingest`` in its own process, then the
rest in one process that builds the Dagster Definitions once); each phase
records its wall and CPU time, its peak RSS (VmHWM reset at its start) and
the machine's load while it ran:

1. ``ingest``     a fresh work dir under bench/out/ with a config file, a
                  warehouse and a Dagster instance (SQLite, or a throwaway
                  PostgreSQL database with ``--dagster-storage postgres``);
                  ``Runner.ingest()`` through Dagster: the demo source
                  generates the organisation, then the staging table models.
2. ``staging``    the staging table assets' bodies invoked directly (no run,
                  no events), every DuckDB statement timed.
3. ``backfill``   ``Runner.backfill`` over the whole window, one single-run
                  backfill per period type, through Dagster: end to end.
4. ``statements`` the same 36 period-asset bodies (same ranges, same order)
                  invoked directly with a partition-key-range context: no
                  run, no event log, no per-partition events. ``duckdb.connect``
                  as ``pipelines.warehouse.connection`` sees it is wrapped in
                  this process, so every statement is timed and classified:
                  the time in warehouse statements alone. Then each model's
                  rendered SELECT alone, to separate compute from writes.
5. ``floor``      one DuckDB pass aggregating raw commits, PRs and reviews by
                  developer and day (best of 5).

Dagster overhead = (3) - (4). Results: <work>/results.json and summary.md,
printed at the end; ``--summarise`` re-renders them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    bench_config,
    demo_source,
    OUT,
    PeakTracker,
    fmt_mb,
    fmt_s,
    child_env,
    machine_info,
    peak_rss_mb,
    run_child_phases,
    run_phases,
    step_times,
    snapshot_code,
)

START = date(2024, 1, 1)
TARGET_FLOOR_FACTOR = 20
# Issue 4's scope: the five category models (ephemeral since b145283: computed inside
# developer_snapshot's statement), the team and workspace snapshots, and the bus factor.
SNAPSHOT_MODELS = ("developer_snapshot", "group_snapshot", "repository_bus_factor")
TARGET_E2E_SECONDS = 120
TARGET_PEAK_MB = 4096


# One DuckDB pass over the same raw activity, by developer and day.
FLOOR_SQL = """
create or replace temp table _floor as
with
c as (
    select lower(author_login) as developer, cast(authored_at as date) as day,
           count(*) as commits, sum(additions) as additions, sum(deletions) as deletions
    from raw.commits group by all
),
p as (
    select lower(author_login) as developer, cast(created_at as date) as day,
           count(*) as prs_opened, count(merged_at) as prs_merged,
           sum(additions) as pr_additions, sum(deletions) as pr_deletions
    from raw.pull_requests group by all
),
r as (
    select lower(reviewer_login) as developer, cast(submitted_at as date) as day,
           count(*) as reviews, count(*) filter (where state = 'APPROVED') as approvals
    from raw.reviews group by all
)
select * from c full join p using (developer, day) full join r using (developer, day)
"""


# ======================================================================================
# child phases
# ======================================================================================


def _env(work: Path) -> None:
    os.environ["DAGSTER_HOME"] = str(work / "dagster")
    os.environ["DEVLENS_CONFIG"] = str(work / "devlens.yaml")
    (work / "dagster").mkdir(parents=True, exist_ok=True)


def _window(args) -> tuple[date, date, datetime]:
    last = START + timedelta(days=args.days - 1)
    now = datetime.combine(START + timedelta(days=args.days), datetime.min.time(), tzinfo=timezone.utc)
    return START, last, now


_CACHE: dict = {}


def _setup(work: Path):
    """(devlens, instance, runner), built once per process and shared by its phases
    (building the Dagster Definitions parses every model: seconds)."""
    if "runner" not in _CACHE:
        t0 = time.perf_counter()
        from pipelines.context import DevLens
        from pipelines.instance import get_instance
        from pipelines.runner import Runner

        t1 = time.perf_counter()
        devlens = DevLens.load(work / "devlens.yaml")
        instance = get_instance()
        _CACHE.update(devlens=devlens, instance=instance, runner=Runner(devlens, instance))
        _CACHE["report"] = {"import_seconds": t1 - t0, "setup_seconds": time.perf_counter() - t1}
    return _CACHE["devlens"], _CACHE["instance"], _CACHE["runner"]


def _setup_report() -> dict:
    """Import and Definitions times, reported by the first phase of the process that paid them."""
    return _CACHE.pop("report", {})


def phase_ingest(args) -> dict:
    work = Path(args.work)
    _env(work)
    devlens, instance, runner = _setup(work)
    with PeakTracker() as ingest:
        summary = runner.ingest()
    steps = step_times(instance, summary.run_id)
    import duckdb

    con = duckdb.connect(str(devlens.warehouse_path), read_only=True)
    raw = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0]
           for (t,) in con.execute("select table_name from information_schema.tables where table_schema='raw' "
                                   "order by 1").fetchall()}
    size = con.execute("select database_size from pragma_database_size()").fetchone()[0]
    con.close()
    return {
        **_setup_report(),
        "ingest_seconds": ingest.seconds,
        "ingest_peak_rss_mb": ingest.peak_mb,
        "run_id": summary.run_id,
        "rows": summary.rows,
        "raw_rows": raw,
        "database_size": size,
        "dagster": steps,
        "process_peak_rss_mb": peak_rss_mb(),
    }


def phase_staging(args) -> dict:
    """The staging table assets' bodies invoked directly (no run, no events), statements traced."""
    work = Path(args.work)
    _env(work)
    import dagster as dg

    devlens, _, runner = _setup(work)
    trace = _install_tracing()
    models: dict[str, dict] = {}
    with PeakTracker() as total:
        for m in devlens.project.table_models():
            asset = runner.defs.resolve_assets_def(dg.AssetKey([m.folder, m.name]))
            trace.current = {}
            t0 = time.perf_counter()
            result = asset(dg.build_asset_context())
            rows = result.metadata.get("dagster/row_count")
            models[m.name] = {"seconds": time.perf_counter() - t0, "rows": getattr(rows, "value", rows),
                              "statements": trace.current,
                              "statement_seconds": sum(v[1] for v in trace.current.values())}
    return {**_setup_report(), "total_seconds": total.seconds, "peak_rss_mb": total.peak_mb, "models": models}


def phase_backfill(args) -> dict:
    work = Path(args.work)
    _env(work)
    first, last, now = _window(args)
    devlens, instance, runner = _setup(work)
    import resource

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    per_type: dict[str, dict] = {}
    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile(time.process_time)  # CPU time: robust to a loaded machine
    with PeakTracker() as total:
        for pt in PERIOD_TYPES:
            t, c0 = time.perf_counter(), cpu()
            if prof is not None:
                summaries = prof.runcall(runner.backfill, first, last, [pt], now=now)
            else:
                summaries = runner.backfill(first, last, [pt], now=now)
            seconds = time.perf_counter() - t
            s = summaries[0]
            per_type[pt] = {
                "seconds": seconds,
                "cpu_seconds": cpu() - c0,
                "run_id": s.run_id,
                "partitions": len(s.partitions),
                "periods": s.periods,
                "first": s.partitions[0],
                "last": s.partitions[-1],
                "rows": s.rows,
                "dagster": step_times(instance, s.run_id),
            }
    if prof is not None:
        import io
        import pstats

        prof.dump_stats(str(work / "backfill.pstats"))
        buf = io.StringIO()
        st = pstats.Stats(str(work / "backfill.pstats"), stream=buf)
        st.sort_stats("tottime").print_stats(40)
        st.sort_stats("cumulative").print_stats(80)
        (work / "backfill-profile.txt").write_text(buf.getvalue())
    return {
        **_setup_report(),
        "total_seconds": total.seconds,
        "peak_rss_mb": total.peak_mb,
        "process_peak_rss_mb": peak_rss_mb(),
        "period_types": per_type,
    }


# Statement categories, first match wins (SQL lower-cased, whitespace collapsed).
STATEMENT_KINDS = [
    (r"^set timezone", "open/close"),
    (r"^(begin|commit|rollback)", "begin/commit"),
    (r"^create temp table _model_rows", "model select into temp (+ sort)"),  # the write path before 2026-11-29
    (r"^insert into \S+ by name select \* from \(", "model select inserted into the table"),
    (r"^create or replace table", "table model: create or replace table as select"),
    (r"^select count\(\*\) from [\w.]+$", "row count"),
    (r"^delete from", "delete range"),
    (r"^insert into \S+ by name", "insert rows"),
    (r"partition_ledger", "ledger rows (executemany)"),
    (r"from _model_rows group by 1|cast\(period_start as varchar\), count", "rows per partition"),
    (r"from _model_rows where period_start <", "range check"),
    (r"having count\(\*\) > 1", "check: unique key"),
    (r"^select count\(\*\) from \(", "check: reconcile"),
    (r"^select count\(\*\) from", "check: column rules"),
    (r"^select \* from .* limit \d+$", "preview"),
    (r"", "metadata/ddl"),
]


# the statement that runs a period model's SELECT (old and new write paths)
COMPUTE_KINDS = ("model select into temp (+ sort)", "model select inserted into the table")


def _kind(sql: str) -> str:
    import re

    text = " ".join(sql.split()).lower()
    for pattern, kind in STATEMENT_KINDS:
        if re.search(pattern, text):
            return kind
    return "metadata/ddl"


class _Trace:
    """Per-statement timings of every DuckDB connection the asset bodies open."""

    def __init__(self) -> None:
        self.current: dict[str, list] = {}

    def add(self, kind: str, seconds: float) -> None:
        c = self.current.setdefault(kind, [0, 0.0])
        c[0] += 1
        c[1] += seconds


def _install_tracing() -> _Trace:
    """Wrap duckdb.connect as seen by pipelines.warehouse.connection (this process only)."""
    if "trace" in _CACHE:
        return _CACHE["trace"]
    trace = _CACHE["trace"] = _Trace()
    import types

    import duckdb as real

    from pipelines.warehouse import connection as conn_module

    class TracingConnection:
        def __init__(self, con):
            self._con = con

        def execute(self, sql, *params):
            t0 = time.perf_counter()
            try:
                self._con.execute(sql, *params)
            finally:
                trace.add(_kind(sql), time.perf_counter() - t0)
            return self._con

        def executemany(self, sql, *params):
            t0 = time.perf_counter()
            try:
                self._con.executemany(sql, *params)
            finally:
                trace.add(_kind(sql), time.perf_counter() - t0)
            return self._con

        def close(self):
            t0 = time.perf_counter()
            self._con.close()
            trace.add("open/close", time.perf_counter() - t0)

        def __getattr__(self, name):
            return getattr(self._con, name)

    class Shim(types.ModuleType):
        def __getattr__(self, name):
            return getattr(real, name)

    shim = Shim("duckdb")

    def connect(*a, **k):
        t0 = time.perf_counter()
        con = real.connect(*a, **k)
        trace.add("open/close", time.perf_counter() - t0)
        return TracingConnection(con)

    shim.connect = connect
    conn_module.duckdb = shim
    return trace


def phase_statements(args) -> dict:
    """The backfill's asset bodies without Dagster's run machinery.

    Each period asset's compute function is invoked directly (Dagster direct
    invocation with a partition-key-range context, as the single-run
    backfill hands it), in the same order, over the same ranges: the same
    statements on the same warehouse, but no run, no event log, no
    per-partition events. Every DuckDB statement the bodies run is timed and
    classified (duckdb.connect is wrapped in this process only).
    """
    work = Path(args.work)
    _env(work)
    import resource

    import dagster as dg

    from pipelines.calendar import NOW_TAG, register_biweekly_partitions
    from pipelines.warehouse.connection import writer

    first, last, now = _window(args)
    devlens, instance, runner = _setup(work)
    cal, project = devlens.calendar, devlens.project
    register_biweekly_partitions(instance, cal, now)
    defs = runner.defs
    trace = _install_tracing()
    per: dict[str, dict] = {}

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    with PeakTracker() as total:
        for pt in PERIOD_TYPES:
            periods = cal.periods_for_range(pt, first, last, now)
            keys = cal.partition_keys(pt, periods)  # daily: months
            per[pt] = {"partitions": len(keys), "periods": len(periods), "models": {}}
            for m in project.period_models():
                asset = defs.resolve_assets_def(dg.AssetKey([pt, m.name]))
                ctx = dg.build_asset_context(
                    partition_key_range=dg.PartitionKeyRange(keys[0], keys[-1]), instance=instance,
                    run_tags={NOW_TAG: now.isoformat()})
                trace.current = {}
                t0, c0 = time.perf_counter(), cpu()
                result = asset(ctx)
                seconds = time.perf_counter() - t0
                rows = result.metadata.get("dagster/row_count")
                per[pt]["models"][m.name] = {
                    "seconds": seconds,
                    "cpu": cpu() - c0,
                    "rows": getattr(rows, "value", rows),
                    "statements": trace.current,
                    "statement_seconds": sum(v[1] for v in trace.current.values()),
                    "checks_passed": all(c.passed for c in result.check_results or []),
                }
    # The SELECT alone (no sort, delete, insert or ledger): where the compute goes.
    select_only: dict[str, dict[str, float]] = {}
    trace.current = {}  # not attributed to any model
    if not args.no_select_only:
        with writer(devlens.warehouse_path) as con:
            for pt in PERIOD_TYPES:
                periods = cal.periods_for_range(pt, first, last, now)
                select_only[pt] = {}
                for m in project.period_models():
                    sql = project.render(m.name, pt, periods[0].start, periods[-1].end)
                    t0 = time.perf_counter()
                    con.execute(f"create or replace temp table _bench_select as {sql}")
                    select_only[pt][m.name] = time.perf_counter() - t0
                con.execute("drop table if exists _bench_select")
    return {**_setup_report(), "total_seconds": total.seconds, "peak_rss_mb": total.peak_mb, "period_types": per,
            "select_only": select_only}


def phase_floor(args) -> dict:
    import duckdb

    work = Path(args.work)
    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        con.execute(FLOOR_SQL)
        times.append(time.perf_counter() - t0)
    rows = con.execute("select count(*) from _floor").fetchone()[0]
    threads = con.execute("select current_setting('threads')").fetchone()[0]
    con.close()
    return {"seconds_best": min(times), "seconds_median": statistics.median(times), "runs": times, "rows": rows,
            "duckdb_threads": threads, "write_bound": _write_bound(work)}


def _write_bound(work: Path) -> dict:
    """What persisting the snapshot models' rows alone costs: each table of the
    backfill copied to memory (not timed), then written to a scratch DuckDB file
    in one ``create table as`` and committed and checkpointed (best of 3). No
    model can write its rows for less."""
    import duckdb

    scratch = work / "write-bound.duckdb"
    scratch.unlink(missing_ok=True)
    con = duckdb.connect(str(scratch))
    con.execute(f"attach '{work / 'warehouse.duckdb'}' as wh (read_only)")
    out: dict = {}
    for pt in PERIOD_TYPES:
        for name in SNAPSHOT_MODELS:
            con.execute(f"create or replace temp table _rows as select * from wh.{pt}.{name}")
            best = None
            for _ in range(3):
                con.execute("drop table if exists main.t")
                con.execute("checkpoint")
                t0 = time.perf_counter()
                con.execute("begin")
                con.execute("create table main.t as select * from _rows")
                con.execute("commit")
                con.execute("checkpoint")
                best = min(best or 1e9, time.perf_counter() - t0)
            out[f"{pt}/{name}"] = {"seconds": best, "rows": con.execute("select count(*) from _rows").fetchone()[0],
                                   "columns": len(con.execute("describe _rows").fetchall())}
    con.close()
    scratch.unlink(missing_ok=True)
    return out


PHASES = {
    "ingest": phase_ingest,
    "staging": phase_staging,
    "backfill": phase_backfill,
    "statements": phase_statements,
    "floor": phase_floor,
}


# ======================================================================================
# parent: orchestrate, summarise
# ======================================================================================


PERIOD_TYPES = ("daily", "weekly", "biweekly", "monthly")

POSTGRES_YAML = """\
# Written by bench/backfill_bench.py --dagster-storage postgres (a throwaway database).
storage:
  postgres:
    postgres_db: {{hostname: "{host}", port: {port}, username: "{user}", password: "{password}", db_name: "{db}"}}
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def _pg_params() -> dict:
    return {"host": os.environ.get("DEVLENS_PG_HOST", "127.0.0.1"), "port": int(os.environ.get("DEVLENS_PG_PORT", "5432")),
            "user": os.environ.get("DEVLENS_PG_USER", "postgres"), "password": os.environ.get("DEVLENS_PG_PASSWORD", "")}


def _pg_admin(sql: str) -> None:
    import psycopg2

    pg = _pg_params()
    con = psycopg2.connect(dbname="postgres", connect_timeout=5, **pg)
    con.autocommit = True
    try:
        con.cursor().execute(sql)
    finally:
        con.close()


def _per_process(phases: dict, key: str) -> str:
    vals = [v.result[key] for v in phases.values() if v.result.get(key) is not None]
    return " + ".join(fmt_s(x) for x in vals) or "-"


def summarise(args, info: dict, phases: dict) -> tuple[dict, str]:
    ing, stg, bf, st, fl = (phases.get(k) for k in ("ingest", "staging", "backfill", "statements", "floor"))
    doc: dict = {"args": {"developers": args.developers, "days": args.days, "seed": args.seed,
                          "groups": args.groups, "dagster_storage": args.dagster_storage}, "machine": info,
                 "phases": {k: vars(v) for k, v in phases.items()}}
    lines = [f"## Backfill benchmark: {args.developers} developers x {args.days} days (seed {args.seed}), "
             f"Dagster storage {args.dagster_storage}", ""]
    lines.append(f"{info['date_utc']}; {info['cores']} cores ({info['cpu']}), {info['memory_gb']} GB RAM; "
                 f"Python {info['python']}, DuckDB {info.get('duckdb')}, Dagster {info.get('dagster')}; "
                 f"code: {info.get('code')}")
    lines.append("")
    if ing:
        r = ing.result["raw_rows"]
        lines.append(f"Data: {r.get('commits', 0):,} commits, {r.get('pull_requests', 0):,} PRs, "
                     f"{r.get('reviews', 0):,} reviews, {r.get('review_comments', 0):,} review comments, "
                     f"{r.get('commit_files', 0):,} commit files; warehouse {ing.result['database_size']}.")
        lines.append("")
    lines.append("| phase | wall | CPU (cores) | peak RSS in phase | load 1m start/mean/max | "
                 "other processes' CPU (cores) |")
    lines.append("|---|---|---|---|---|---|")
    for k, v in phases.items():
        ld = v.load
        lines.append(f"| {k} | {fmt_s(v.wall_seconds)} | {ld.get('own_cpu_cores')} | {fmt_mb(v.peak_rss_mb)} | "
                     f"{ld['loadavg_1m_start']} / {ld['loadavg_1m_mean']} / {ld['loadavg_1m_max']} | "
                     f"{ld.get('other_processes_cores')} |")
    lines.append("")
    procs: dict = {}
    for v in phases.values():
        procs.setdefault((v.process_wall_seconds, v.process_max_rss_mb), []).append(v.name)
    lines.append("Processes (imports and Definitions included): " + "; ".join(
        f"[{', '.join(names)}] {fmt_s(w)}, max RSS {fmt_mb(m)}" for (w, m), names in procs.items()) + ".")
    lines.append("")
    if ing:
        st_steps = ing.result["dagster"]["steps_seconds"]
        gen = sum(v for k, v in st_steps.items() if k.startswith("ingest"))
        stg_dag = sum(v for k, v in st_steps.items() if k.startswith("staging"))
        lines.append(f"Ingest through Dagster: {fmt_s(ing.result['ingest_seconds'])} "
                     f"(ingest steps incl. demo generation {fmt_s(gen)}, staging steps {fmt_s(stg_dag)}); "
                     f"peak RSS {fmt_mb(ing.result['ingest_peak_rss_mb'])}.")
    if stg:
        sm = stg.result["models"]
        lines.append(f"Staging (the {len(sm)} table models' asset bodies invoked directly, checks and previews "
                     f"included): {fmt_s(stg.result['total_seconds'])}, of which DuckDB statements "
                     f"{fmt_s(sum(m['statement_seconds'] for m in sm.values()))}; peak RSS "
                     f"{fmt_mb(stg.result['peak_rss_mb'])}; slowest: " + ", ".join(
                         f"{n} {fmt_s(m['seconds'])}" for n, m in sorted(sm.items(), key=lambda kv: -kv[1]["seconds"])[:5]))
        lines.append("")
    verdict: dict = {}
    if bf and st and fl:
        e2e = bf.result["total_seconds"]
        e2e_cpu = sum(v.get("cpu_seconds", 0.0) for v in bf.result["period_types"].values())
        recs = [m for p in st.result["period_types"].values() for m in p["models"].values()]
        body = sum(m["seconds"] for m in recs)
        body_cpu = sum(m["cpu"] for m in recs)
        stmt = sum(m["statement_seconds"] for m in recs)
        kinds: dict[str, list] = {}
        for m in recs:
            for k, (n, sec) in m["statements"].items():
                c = kinds.setdefault(k, [0, 0.0])
                c[0] += n
                c[1] += sec
        floor = fl.result["seconds_best"]
        peak = bf.peak_rss_mb
        snapshot_stmt = sum(m["statement_seconds"] for pt in PERIOD_TYPES
                            for name, m in st.result["period_types"][pt]["models"].items() if name in SNAPSHOT_MODELS)
        write_bound = sum(v["seconds"] for v in (fl.result.get("write_bound") or {}).values())
        verdict = {
            "e2e_seconds": e2e,
            "e2e_cpu_seconds": e2e_cpu,
            "asset_bodies_seconds": body,
            "asset_bodies_cpu_seconds": body_cpu,
            "statement_seconds": stmt,
            "statement_kinds": kinds,
            "dagster_overhead_seconds": e2e - body,
            "floor_seconds": floor,
            "floor_factor": stmt / floor if floor else None,
            "snapshot_statement_seconds": snapshot_stmt,
            "snapshot_write_bound_seconds": write_bound,
            "snapshot_floor_factor": snapshot_stmt / floor if floor else None,
            "meets_snapshot_floor_target": snapshot_stmt <= TARGET_FLOOR_FACTOR * floor,
            "backfill_peak_rss_mb": peak,
            "meets_floor_target": stmt <= TARGET_FLOOR_FACTOR * floor,
            "meets_e2e_target": e2e < TARGET_E2E_SECONDS,
            "meets_memory_target": peak < TARGET_PEAK_MB,
        }
        doc["verdict"] = verdict
        ok = lambda b: "yes" if b else "**NO**"  # noqa: E731
        lines += [
            "| measure | value | target | met |",
            "|---|---|---|---|",
            f"| backfill end to end through Dagster (4 single runs) | {fmt_s(e2e)} (CPU {fmt_s(e2e_cpu)}) | "
            f"< {TARGET_E2E_SECONDS} s | {ok(verdict['meets_e2e_target'])} |",
            f"| the same {len(recs)} asset bodies invoked directly (no run, no events) | {fmt_s(body)} "
            f"(CPU {fmt_s(body_cpu)}) | | |",
            f"| warehouse statements alone (every DuckDB statement of those bodies) | {fmt_s(stmt)} | "
            f"<= {TARGET_FLOOR_FACTOR} x floor = {fmt_s(TARGET_FLOOR_FACTOR * floor)} | "
            f"{ok(verdict['meets_floor_target'])} |",
            f"| ... of which the snapshot models ({', '.join(SNAPSHOT_MODELS)}: the five categories, teams, "
            f"workspace, bus factor) | {fmt_s(snapshot_stmt)} = {verdict['snapshot_floor_factor']:.1f}x floor | "
            f"<= {TARGET_FLOOR_FACTOR} x floor | {ok(verdict['meets_snapshot_floor_target'])} |",
            f"| ... the snapshot models' rows alone written to a scratch file (best of 3; no model writes them "
            f"for less) | {fmt_s(write_bound)} = {write_bound / floor:.1f}x floor | | |",
            f"| floor (one pass, raw by developer and day, best of 5) | {floor:.3f} s | ~0.15 s | |",
            f"| statements / floor | {verdict['floor_factor']:.1f}x | <= {TARGET_FLOOR_FACTOR}x | |",
            f"| Dagster overhead (end to end - asset bodies) | {fmt_s(verdict['dagster_overhead_seconds'])} | | |",
            f"| peak RSS of the backfill process | {fmt_mb(peak)} | < 4 GB | {ok(verdict['meets_memory_target'])} |",
            "",
            f"Not in the end-to-end figure: imports {_per_process(phases, 'import_seconds')} and "
            f"Definitions + instance {_per_process(phases, 'setup_seconds')} (once per process).",
            "",
            "Where the statement time goes (all period types and models):",
            "",
            "| statement kind | count | seconds | share |",
            "|---|---|---|---|",
        ]
        for k, (n, sec) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
            lines.append(f"| {k} | {n:,} | {sec:.2f} | {100 * sec / stmt:.0f}% |")
        lines.append("")
        # Per period type
        lines.append("| period type | partitions | through Dagster (CPU) | asset bodies (CPU) | statements | "
                     "Dagster overhead | Dagster events |")
        lines.append("|---|---|---|---|---|---|---|")
        for pt in PERIOD_TYPES:
            b = bf.result["period_types"].get(pt)
            s = st.result["period_types"].get(pt)
            if not b or not s:
                continue
            bsec = sum(m["seconds"] for m in s["models"].values())
            bcpu = sum(m["cpu"] for m in s["models"].values())
            ssec = sum(m["statement_seconds"] for m in s["models"].values())
            lines.append(f"| {pt} | {b['partitions']} | {fmt_s(b['seconds'])} ({fmt_s(b.get('cpu_seconds'))}) | "
                         f"{fmt_s(bsec)} ({fmt_s(bcpu)}) | {fmt_s(ssec)} | {fmt_s(b['seconds'] - bsec)} | "
                         f"{b['dagster']['events']:,} |")
        lines.append("")
        # Per model
        models = list(next(iter(st.result["period_types"].values()))["models"])
        sel = st.result.get("select_only") or {}
        lines.append("Statement seconds per model and period type: all statements / the statement that runs the "
                     "model's SELECT (inserting into the table; before 2026-11-29 into a temp table) (in brackets: "
                     "the rendered SELECT alone into a temp table, no writes):")
        lines.append("")
        lines.append("| model | " + " | ".join(PERIOD_TYPES) + " | total |")
        lines.append("|---|" + "---|" * (len(PERIOD_TYPES) + 1))
        for name in models:
            cells, tot = [], 0.0
            for pt in PERIOD_TYPES:
                m = st.result["period_types"][pt]["models"][name]
                tot += m["statement_seconds"]
                compute = sum(m["statements"].get(k, [0, 0.0])[1] for k in COMPUTE_KINDS)
                so = sel.get(pt, {}).get(name)
                cells.append(f"{m['statement_seconds']:.2f} / {compute:.2f}" + (f" ({so:.2f})" if so is not None else ""))
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {tot:.2f} |")
        lines.append("")
        lines.append("Dagster step durations (asset body + Dagster's per-step and per-partition work), seconds:")
        lines.append("")
        lines.append("| model | " + " | ".join(PERIOD_TYPES) + " |")
        lines.append("|---|" + "---|" * len(PERIOD_TYPES))
        for name in models:
            cells = []
            for pt in PERIOD_TYPES:
                steps = bf.result["period_types"].get(pt, {}).get("dagster", {}).get("steps_seconds", {})
                v = next((v for k, v in steps.items() if k.endswith(name)), None)
                cells.append(f"{v:.2f}" if v is not None else "-")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
        for pt in PERIOD_TYPES:
            d = bf.result["period_types"].get(pt, {}).get("dagster", {})
            if d.get("before_first_step_seconds") is not None:
                lines.append(f"- {pt}: {d['before_first_step_seconds']:.1f} s from run start to the first step "
                             f"(writing {d['event_kinds'].get('ASSET_MATERIALIZATION_PLANNED', 0):,} "
                             f"ASSET_MATERIALIZATION_PLANNED events), "
                             f"{d['event_kinds'].get('ASSET_MATERIALIZATION', 0):,} ASSET_MATERIALIZATION events "
                             f"inside the steps.")
        lines.append("")
    return doc, "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--developers", type=int, default=1000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--work", help="work dir (default bench/out/backfill-<developers>x<days>)")
    p.add_argument("--reuse", action="store_true",
                   help="keep an existing work dir's warehouse and skip the ingest phase")
    p.add_argument("--groups", default="ingest/staging,backfill,statements,floor",
                   help="phases in order; a comma runs phases in the same process, a slash starts a new "
                        "process (default: ingest alone, then the rest in one process)")
    p.add_argument("--no-select-only", action="store_true", help="skip the SELECT-alone timings")
    p.add_argument("--dagster-storage", choices=("sqlite", "postgres"), default="sqlite",
                   help="the Dagster instance's storage: sqlite (the embedded default, as `make demo`) or a "
                        "throwaway PostgreSQL database (production's storage; DEVLENS_PG_HOST/PORT/USER/PASSWORD, "
                        "default postgres@127.0.0.1:5432), dropped at the end")
    p.add_argument("--profile", action="store_true",
                   help="cProfile (CPU time) the Dagster backfill: <work>/backfill-profile.txt (slows it down)")
    p.add_argument("--code", metavar="REF",
                   help="benchmark a git ref (e.g. HEAD) extracted under bench/out/ instead of the working tree")
    p.add_argument("--summarise", action="store_true",
                   help="only re-render summary.md from the work dir's results.json")
    p.add_argument("--phase", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    suffix = "-pg" if args.dagster_storage == "postgres" else ""
    args.work = str(Path(args.work or OUT / f"backfill-{args.developers}x{args.days}{suffix}").resolve())

    if args.phase:
        run_child_phases(args.phase.split(","), PHASES, args)
        return 0

    work = Path(args.work)
    if args.summarise:
        from _common import PhaseResult

        doc = json.loads((work / "results.json").read_text())
        for k in ("developers", "days", "seed", "groups", "dagster_storage"):
            setattr(args, k, doc["args"].get(k, getattr(args, k)))
        phases = {k: PhaseResult(**v) for k, v in doc["phases"].items()}
        _, text = summarise(args, doc["machine"], phases)
        (work / "summary.md").write_text(text + "\n")
        print(text)
        return 0
    groups = [[x.strip() for x in g.split(",") if x.strip()] for g in args.groups.split("/")]
    for g in groups:
        for x in g:
            if x not in PHASES:
                raise SystemExit(f"unknown phase {x!r}; phases: {', '.join(PHASES)}")
    if args.reuse:
        if not (work / "warehouse.duckdb").exists():
            raise SystemExit(f"--reuse: no warehouse in {work}")
        groups = [[x for x in g if x != "ingest"] for g in groups]
    else:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        (work / "devlens.yaml").write_text(
            bench_config("backfill_bench.py", START, demo_source(args.developers, args.days, args.seed)))
    groups = [g for g in groups if g]
    pg_db = None
    if args.dagster_storage == "postgres":
        if args.reuse:
            raise SystemExit("--reuse works with the sqlite instance only")
        pg_db = f"devlens_bench_{os.getpid()}"
        _pg_admin(f"create database {pg_db}")
        (work / "dagster").mkdir(parents=True, exist_ok=True)
        (work / "dagster" / "dagster.yaml").write_text(POSTGRES_YAML.format(db=pg_db, **_pg_params()))
    code = None
    label = None
    if args.code:
        code, sha = snapshot_code(args.code)
        label = f"git {args.code} = {sha} (snapshot {code.relative_to(OUT.parent.parent)})"
    info = machine_info(label)
    print(f"backfill benchmark: {args.developers} developers x {args.days} days -> {work}", flush=True)
    child_args = ["--developers", str(args.developers), "--days", str(args.days), "--seed", str(args.seed),
                  "--work", str(work)] + (["--no-select-only"] if args.no_select_only else []) \
        + (["--profile"] if args.profile else [])
    phases = {}
    if args.reuse and (work / "results.json").exists():
        # keep the phases this run does not repeat (their figures stay those of the earlier run)
        from _common import PhaseResult

        earlier = json.loads((work / "results.json").read_text())
        phases = {k: PhaseResult(**v) for k, v in earlier["phases"].items()}
    t0 = time.perf_counter()
    try:
        for g in groups:
            print(f"  process: {', '.join(g)} ...", flush=True)
            for r in run_phases(Path(__file__), g, child_args, work / "logs" / f"{'+'.join(g)}.log",
                                env=child_env(code)):
                phases[r.name] = r
    finally:
        if pg_db:
            _pg_admin(f"drop database if exists {pg_db} with (force)")
    print(f"  all phases: {time.perf_counter() - t0:.1f} s", flush=True)
    doc, text = summarise(args, info, phases)
    (work / "results.json").write_text(json.dumps(doc, indent=2, default=str))
    (work / "summary.md").write_text(text + "\n")
    print()
    print(text)
    print(f"\nresults: {work / 'results.json'}, {work / 'summary.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

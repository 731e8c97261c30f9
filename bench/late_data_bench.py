#!/usr/bin/env python
"""Late-data benchmark (issue 5): the work after one late day's data vs one day's and the history's.

    .venv/bin/python bench/late_data_bench.py                             # 1,000 developers x 365 days
    .venv/bin/python bench/late_data_bench.py --developers 50 --days 120  # smoke size
    .venv/bin/python bench/late_data_bench.py --reuse                     # same warehouse, re-time the late path

Work dir ``bench/out/late-data-<developers>x<days>/``: its own config, warehouse
and Dagster instance (``DAGSTER_HOME`` inside it). Phases, each in a child
process with its wall and CPU time, peak RSS and the machine's load:

1. ``setup``    (not a result) ``Runner.ingest()`` of the demo organisation over
                ``days + 1`` days from 2024-01-01, through Dagster. Then two days'
                rows are held back (stored under ``held-back/``, taken out of the
                raw tables): the new day (the demo's last day) and the late day
                (``--late-weeks`` weeks before it): every commit authored, review
                submitted and review comment written that day, the PRs opened that
                day with nothing after it, and the day's merges and closes (those
                PRs stay open). The late day also gets one more change, a merge on
                that day of a PR opened ``--late-weeks`` weeks earlier and still open.
2. ``history``  an untimed ``Runner.ingest()`` (staging without the held-back
                days), then ``Runner.backfill`` of every ended period, one single
                run per period type: the history's cost. The warehouse and the
                Dagster instance are then copied to ``setup-state/``; ``--reuse``
                restores that copy instead of repeating 1-2.
3. ``one-day``  the nightly cost: the new day's rows upserted with
                ``pipelines.warehouse.raw_writer.upsert`` (as a source writes them),
                then ``Runner.ingest()`` and ``Runner.backfill(day, day, now=day + 1)``:
                what the closing schedules run after a normal night.
                (``--nightly sync``: ``Runner.sync(now)`` instead: the closing runs
                plus what the late-data sensor adds for the older periods the day's
                reviews and merges touch.)
4. ``late-day`` the late day's rows upserted the same way, then
                ``Runner.sync(now=day + 1)``: ingest + exactly the touched
                partitions. What it recomputed is listed per period type and model
                from the RunSummary objects (Dagster partitions) and from
                ``meta.partition_ledger``'s rows of those runs (periods), "as of"
                models (``late_data.following_periods`` in the model header)
                apart from the rest.
5. ``history-rerun`` (``--rerun-history``) the full backfill again, through the
                new day, in the same process as 3-4.

The timed phases run with the config's sources removed: the demo source
regenerates and re-upserts the whole organisation on every ingest, which
would cost the history's time and undo the held-back days. The upserts of
the delivered rows stand in for the source's writes and are part of the
end-to-end figures. ``--publish`` (default) also times one
``Runner.publish()`` after 3 and after 4 (not in the end-to-end figures; the
daemon's ``publish_after_success`` publishes once, after the last period run
of a late-data batch).

Results: <work>/results.json and summary.md, printed at the end;
``--summarise`` re-renders them.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
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
    PhaseResult,
    child_env,
    fmt_mb,
    fmt_s,
    machine_info,
    run_child_phases,
    run_phases,
    snapshot_code,
    step_times,
)

START = date(2024, 1, 1)
PERIOD_TYPES = ("daily", "weekly", "biweekly", "monthly")

SETUP_CONFIG = "devlens-setup.yaml"  # with the demo source
TIMED_CONFIG = "devlens.yaml"  # the same without sources
STATE_DIR = "setup-state"


def write_configs(work: Path, args) -> None:
    # the demo generates days + 1 days: the history's `days` and the new day after them
    demo = demo_source(args.developers, args.days + 1, args.seed)
    (work / SETUP_CONFIG).write_text(bench_config("late_data_bench.py", START, demo))
    (work / TIMED_CONFIG).write_text(bench_config("late_data_bench.py", START, " []"))


# ======================================================================================
# the days: withheld from the history, delivered later
# ======================================================================================


def days_of(args) -> dict[str, date]:
    last = START + timedelta(days=args.days - 1)
    new = last + timedelta(days=1)
    return {
        "first": START,
        "last": last,  # the history's last day
        "new": new,  # the new day of the one-day phase (the demo's last day)
        "now": new + timedelta(days=1),  # 'now' of the one-day and late-day phases (00:00 UTC)
        "late": new - timedelta(weeks=args.late_weeks),  # the late day
    }


def _dt(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time(), tzinfo=timezone.utc)


HELD_DIR = "held-back"
# What an ingest that missed one day would not have: every row whose event is on the day
# (commits authored, reviews submitted, review comments written), the PRs opened that day
# with nothing about them after it (with their files and commit lists), and the day's
# merges and closes (those PRs are stored as still open). Delivering them later (upserts of
# the stored rows) is the day's data arriving: inserts, and updates of the PRs it merged or
# closed. $day: the day.
WITHHOLD_SQL = """
create or replace temp table _w_commits as
    select repository, sha from raw.commits where cast(authored_at as date) = $day;
create or replace temp table _w_prs as
    select p.repository, p.number from raw.pull_requests p
    where cast(p.created_at as date) = $day
      and coalesce(cast(p.merged_at as date), $day) <= $day and coalesce(cast(p.closed_at as date), $day) <= $day
      and not exists (select 1 from raw.reviews r where r.repository = p.repository and r.pr_number = p.number
                      and cast(r.submitted_at as date) > $day)
      and not exists (select 1 from raw.review_comments c where c.repository = p.repository
                      and c.pr_number = p.number and cast(c.created_at as date) > $day);
create or replace temp table _w_endings as
    select p.repository, p.number from raw.pull_requests p
    where (cast(p.merged_at as date) = $day or cast(p.closed_at as date) = $day)
      and not exists (select 1 from _w_prs w where w.repository = p.repository and w.number = p.number);
"""
HELD_TABLES = {  # file -> (raw table, the rows to hold back)
    "commits": ("commits", "select t.* from raw.commits t semi join _w_commits w using (repository, sha)"),
    "commit_files": ("commit_files",
                     "select t.* from raw.commit_files t semi join _w_commits w using (repository, sha)"),
    "file_contents": ("file_contents",
                      "select t.* from raw.file_contents t semi join _w_commits w using (repository, sha)"),
    "pull_requests": ("pull_requests",
                      "select t.* from raw.pull_requests t semi join _w_prs w using (repository, number)"),
    "pull_request_endings": ("pull_requests",
                             "select t.* from raw.pull_requests t semi join _w_endings w using (repository, number)"),
    "pull_request_commits": ("pull_request_commits", "select t.* from raw.pull_request_commits t "
                             "semi join _w_prs w on w.repository = t.repository and w.number = t.pr_number"),
    "pull_request_files": ("pull_request_files", "select t.* from raw.pull_request_files t "
                           "semi join _w_prs w on w.repository = t.repository and w.number = t.pr_number"),
    "reviews": ("reviews", "select t.* from raw.reviews t where cast(t.submitted_at as date) = $day "
                "or exists (select 1 from _w_prs w where w.repository = t.repository and w.number = t.pr_number)"),
    "review_comments": ("review_comments",
                        "select t.* from raw.review_comments t where cast(t.created_at as date) = $day or exists "
                        "(select 1 from _w_prs w where w.repository = t.repository and w.number = t.pr_number)"),
}
KEYS = {"commits": "repository, sha", "commit_files": "repository, sha, path", "file_contents": "repository, path, sha",
        "pull_requests": "repository, number", "pull_request_commits": "repository, pr_number, sha",
        "pull_request_files": "repository, pr_number, path", "reviews": "review_id", "review_comments": "comment_id"}
DELIVERY_ORDER = ["commits", "commit_files", "file_contents", "pull_requests", "pull_request_commits",
                  "pull_request_files", "pull_request_endings", "reviews", "review_comments"]


def _arrow(res):
    return res.to_arrow_table() if hasattr(res, "to_arrow_table") else res.fetch_arrow_table()


def withhold(con, day: date, folder: Path) -> dict[str, int]:
    """Store the day's rows under ``folder`` and take them out of the raw tables."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for stmt in WITHHOLD_SQL.split(";"):
        if stmt.strip():
            con.execute(stmt, {"day": day})
    counts = {}
    for name, (_, sql) in HELD_TABLES.items():
        table = _arrow(con.execute(sql, {"day": day}) if "$day" in sql else con.execute(sql))
        pq.write_table(table, folder / f"{name}.parquet")
        counts[name] = table.num_rows
    con.execute("begin transaction")
    for name in ("review_comments", "reviews", "pull_request_files", "pull_request_commits", "pull_requests",
                 "file_contents", "commit_files", "commits"):
        raw, sql = HELD_TABLES[name]
        keys = KEYS[name]
        con.execute(f"delete from raw.{raw} where ({keys}) in (select ({keys}) from ({sql}))",
                    {"day": day} if "$day" in sql else None)
    # the day's merges and closes had not happened yet
    con.execute("""update raw.pull_requests p set
                       merged_at = case when cast(p.merged_at as date) = $day then null else p.merged_at end,
                       merged_by_login = case when cast(p.merged_at as date) = $day then null
                                              else p.merged_by_login end,
                       closed_at = case when cast(p.closed_at as date) = $day then null else p.closed_at end,
                       state = case when cast(p.closed_at as date) = $day then 'open' else p.state end
                   from _w_endings w where w.repository = p.repository and w.number = p.number""", {"day": day})
    con.execute("commit")
    return counts


def pick_late_merge(con, late: date, weeks: int) -> dict | None:
    """One more late change (the issue's example): a PR opened ``weeks`` weeks before the late
    day and still open at the end, merged on the late day. Picked before any day is held back."""
    want = late - timedelta(weeks=weeks)
    row = _arrow(con.execute(
        """select * from raw.pull_requests where state = 'open' and merged_at is null and closed_at is null
           and created_at < $late and author_login is not null
           order by abs(date_diff('day', cast(created_at as date), $want)), repository, number limit 1""",
        {"late": late, "want": want}))
    if row.num_rows == 0:
        return None
    d = row.to_pylist()[0]
    when = datetime.combine(late, datetime.min.time()) + timedelta(hours=15)
    d.update(state="closed", merged_at=when, closed_at=when, updated_at=when, merged_by_login=d["author_login"])
    return d


def add_late_merge(folder: Path, row: dict) -> None:
    """Append the merge to the late day's PR updates."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / "pull_request_endings.parquet"
    endings = pq.read_table(path)
    pq.write_table(pa.concat_tables([endings, pa.Table.from_pylist([row], schema=endings.schema)]), path)


def deliver(warehouse: Path, folder: Path, run_id: str) -> dict:
    """Upsert the held-back rows as a source would (one upsert per table): timed."""
    import duckdb
    import pyarrow.parquet as pq

    from pipelines.warehouse.raw_writer import ensure_raw_schema, upsert

    tables = {n: pq.read_table(folder / f"{n}.parquet") for n in DELIVERY_ORDER if (folder / f"{n}.parquet").exists()}
    con = duckdb.connect(str(warehouse))
    try:
        ensure_raw_schema(con)
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        written = {}
        for name in DELIVERY_ORDER:
            table = tables.get(name)
            if table is None or table.num_rows == 0:
                continue
            r = upsert(con, HELD_TABLES[name][0], table, run_id)
            written[name] = {"rows": table.num_rows, "inserted": r.inserted, "updated": r.updated}
        write_seconds = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        con.close()
    return {"write_seconds": write_seconds,
            "write_cpu_seconds": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime), "rows": written}


# ======================================================================================
# child phases
# ======================================================================================

_CACHE: dict = {}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _setup(work: Path, config: str):
    """(devlens, instance, runner), once per process (building the Definitions parses every model)."""
    import os

    if "runner" not in _CACHE:
        os.environ["DAGSTER_HOME"] = str(work / "dagster")
        os.environ["DEVLENS_CONFIG"] = str(work / config)
        (work / "dagster").mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        from pipelines.context import DevLens
        from pipelines.instance import get_instance
        from pipelines.runner import Runner

        t1 = time.perf_counter()
        devlens = DevLens.load(work / config)
        instance = get_instance()
        _CACHE.update(devlens=devlens, instance=instance, runner=Runner(devlens, instance))
        _CACHE["report"] = {"import_seconds": t1 - t0, "setup_seconds": time.perf_counter() - t1}
    return _CACHE["devlens"], _CACHE["instance"], _CACHE["runner"]


# Modules whose clock decided which periods had ended when an ingest recorded its
# late-data batch, before runs carried a 'devlens/now' tag (Runner.ingest(now) and
# Runner.sync(now) set it now; the patch finds nothing to patch in current code).
# ``--clock simulated`` (default) patches them in older code (--code REF).
CLOCK_MODULES = ("assets.late_data",)


def _simulate_clock(now: datetime) -> list[str]:
    import importlib

    class _Clock(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: D102
            return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)

    patched = []
    for name in CLOCK_MODULES:
        mod = importlib.import_module(name)
        if getattr(mod, "datetime", None) is datetime:
            mod.datetime = _Clock
            patched.append(name)
    return patched


def _timed_setup(work: Path, args):
    """The timed phases' (devlens, instance, runner), with the clock set (once per process)."""
    devlens, instance, runner = _setup(work, TIMED_CONFIG)
    if "clock" not in _CACHE:
        _CACHE["clock"] = (_simulate_clock(_dt(days_of(args)["now"])) if args.clock == "simulated" else [])
    return devlens, instance, runner


def _setup_report() -> dict:
    return _CACHE.pop("report", {})


def _ledger(warehouse: Path, run_ids: list[str]) -> dict[str, dict]:
    """run_id -> {asset_key: [periods, first, last]} from meta.partition_ledger (the periods each run wrote)."""
    import duckdb

    if not run_ids:
        return {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select run_id, asset_key, count(*), min(partition_key), max(partition_key) from meta.partition_ledger "
            "where run_id in (select unnest(?::varchar[])) group by 1, 2 order by 1, 2", [run_ids]).fetchall()
    except Exception as e:  # noqa: BLE001 - informative only
        return {"error": str(e)}
    finally:
        con.close()
    out: dict[str, dict] = {}
    for run_id, asset, n, first, last in rows:
        out.setdefault(run_id, {})[asset] = [n, first, last]
    return out


def _summary_record(instance, s, kind: str, seconds: float | None = None, cpu: float | None = None) -> dict:
    """One RunSummary with what the event log says about its run."""
    rec = {
        "kind": kind,
        "job": s.job,
        "run_id": s.run_id,
        "partitions": list(s.partitions),
        "periods": getattr(s, "periods", None),  # RunSummary.periods where the runner reports it
        "rows": dict(s.rows),
        "touched": dict(s.touched) if s.touched else {},
        "seconds": seconds,
        "cpu_seconds": cpu,
    }
    try:
        stats = instance.get_run_stats(s.run_id)
        rec["run_seconds"] = (stats.end_time - stats.start_time) if stats.end_time and stats.start_time else None
    except Exception:  # noqa: BLE001
        rec["run_seconds"] = None
    run = instance.get_run_by_id(s.run_id)
    sel = getattr(run, "asset_selection", None)
    rec["asset_selection"] = sorted(k.to_user_string() for k in sel) if sel else None
    rec["dagster"] = step_times(instance, s.run_id)
    return rec


def _following(devlens) -> dict[str, object]:
    return {m.name: m.late_data_following for m in devlens.project.period_models()}


def _attach_ledger(devlens, records: list[dict]) -> None:
    led = _ledger(devlens.warehouse_path, [r["run_id"] for r in records if r["kind"] == "period"])
    for r in records:
        if r["kind"] == "period":
            r["ledger"] = led.get(r["run_id"], {}) if "error" not in led else led


def _raw_counts(warehouse: Path) -> tuple[dict, str]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        raw = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0]
               for (t,) in con.execute("select table_name from information_schema.tables where table_schema='raw' "
                                       "order by 1").fetchall()}
        size = con.execute("select database_size from pragma_database_size()").fetchone()[0]
    finally:
        con.close()
    return raw, size


def phase_setup(args) -> dict:
    """Runner.ingest() of the demo (days + 1 days), then the new day and the late day held back."""
    import duckdb

    work = Path(args.work)
    devlens, instance, runner = _setup(work, SETUP_CONFIG)
    d = days_of(args)
    t, c = time.perf_counter(), _cpu()
    with PeakTracker() as p:
        s = runner.ingest()
    rec = _summary_record(instance, s, "ingest", time.perf_counter() - t, _cpu() - c)
    t = time.perf_counter()
    con = duckdb.connect(str(devlens.warehouse_path))
    try:
        merge = pick_late_merge(con, d["late"], args.late_weeks)
        held = {"new": withhold(con, d["new"], work / HELD_DIR / "new"),
                "late": withhold(con, d["late"], work / HELD_DIR / "late")}
        if merge:
            add_late_merge(work / HELD_DIR / "late", merge)
            merge = {k: merge[k] for k in ("repository", "number", "created_at", "merged_at")}
    finally:
        con.close()
    raw, size = _raw_counts(devlens.warehouse_path)
    return {**_setup_report(), "ingest": rec, "ingest_peak_rss_mb": p.peak_mb, "withhold_seconds":
            time.perf_counter() - t, "held": held, "late_merge": merge, "raw_rows": raw, "database_size": size}


def phase_history(args, rerun: bool = False) -> dict:
    """Runner.backfill over every ended period, one run per period type (first, on a fresh
    setup, an untimed Runner.ingest() that rebuilds staging without the held-back days)."""
    work = Path(args.work)
    devlens, instance, runner = _timed_setup(work, args)
    d = days_of(args)
    restage = None
    if not rerun:
        t, c = time.perf_counter(), _cpu()
        s = runner.ingest()
        restage = _summary_record(instance, s, "ingest", time.perf_counter() - t, _cpu() - c)
    last, now = (d["new"], _dt(d["now"])) if rerun else (d["last"], _dt(d["new"]))
    records = []
    with PeakTracker() as p:
        for pt in PERIOD_TYPES:
            t, c = time.perf_counter(), _cpu()
            summaries = runner.backfill(START, last, [pt], now=now)
            seconds, cpu = time.perf_counter() - t, _cpu() - c
            for s in summaries:
                records.append(_summary_record(instance, s, "period", seconds / len(summaries),
                                               cpu / len(summaries)))
    _attach_ledger(devlens, records)
    return {**_setup_report(), "restage": restage, "now": now, "through": last, "runs": records,
            "peak_rss_mb": p.peak_mb, "seconds": sum(r["seconds"] for r in records),
            "cpu_seconds": sum(r["cpu_seconds"] for r in records)}


def phase_history_rerun(args) -> dict:
    return phase_history(args, rerun=True)


def _publish(runner, instance, records: list[dict], args) -> None:
    if not args.publish:
        return
    t, c = time.perf_counter(), _cpu()
    s = runner.publish()
    records.append(_summary_record(instance, s, "publish", time.perf_counter() - t, _cpu() - c))


def phase_one_day(args) -> dict:
    """The new day's rows delivered, then what the closing schedules run (or Runner.sync)."""
    work = Path(args.work)
    devlens, instance, runner = _timed_setup(work, args)
    d = days_of(args)
    now = _dt(d["now"])
    records: list[dict] = []
    warmup = None
    if args.warmup:  # the process's first Dagster run pays one-time costs: not in the figures
        t, c = time.perf_counter(), _cpu()
        s = runner.ingest()
        warmup = _summary_record(instance, s, "warm-up ingest", time.perf_counter() - t, _cpu() - c)
    with PeakTracker() as p:
        inject = deliver(devlens.warehouse_path, work / HELD_DIR / "new", "late-data-bench-new-day")
        t, c = time.perf_counter(), _cpu()
        if args.nightly == "sync":
            ingest, runs = runner.sync(now=now)
        else:
            ingest = runner.ingest(now)
            ti, ci = time.perf_counter() - t, _cpu() - c
            runs = runner.backfill(d["new"], d["new"], now=now)
        seconds, cpu = time.perf_counter() - t, _cpu() - c
    if args.nightly == "sync":  # one call: per run, its span in the event log
        records.append(_summary_record(instance, ingest, "ingest"))
    else:
        records.append(_summary_record(instance, ingest, "ingest", ti, ci))
    records += [_summary_record(instance, s, "period") for s in runs]
    _attach_ledger(devlens, records)
    _publish(runner, instance, records, args)
    return {**_setup_report(), "clock": _CACHE.get("clock"), "warmup": warmup, "mode": args.nightly, "now": now,
            "inject": inject, "runner_seconds": seconds, "runner_cpu_seconds": cpu, "runs": records,
            "peak_rss_mb": p.peak_mb, "following": _following(devlens)}


def phase_late_day(args) -> dict:
    """The late day's rows delivered, then Runner.sync(now): ingest + exactly the touched partitions."""
    work = Path(args.work)
    devlens, instance, runner = _timed_setup(work, args)
    d = days_of(args)
    now = _dt(d["now"])
    records: list[dict] = []
    with PeakTracker() as p:
        inject = deliver(devlens.warehouse_path, work / HELD_DIR / "late", "late-data-bench-late-day")
        t, c = time.perf_counter(), _cpu()
        ingest, runs = runner.sync(now=now)
        seconds, cpu = time.perf_counter() - t, _cpu() - c
    records.append(_summary_record(instance, ingest, "ingest"))
    records += [_summary_record(instance, s, "period") for s in runs]
    _attach_ledger(devlens, records)
    _publish(runner, instance, records, args)
    return {**_setup_report(), "clock": _CACHE.get("clock"), "now": now, "inject": inject,
            "runner_seconds": seconds, "runner_cpu_seconds": cpu, "runs": records, "peak_rss_mb": p.peak_mb,
            "following": _following(devlens)}


PHASES = {
    "setup": phase_setup,
    "history": phase_history,
    "one-day": phase_one_day,
    "late-day": phase_late_day,
    "history-rerun": phase_history_rerun,
}


# ======================================================================================
# parent: orchestrate, summarise
# ======================================================================================


def _copy_state(src: Path, dst: Path) -> None:
    """The warehouse file(s) and the Dagster instance directory."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for f in src.glob("warehouse.duckdb*"):
        shutil.copy2(f, dst / f.name)
    shutil.copytree(src / "dagster", dst / "dagster")


def _restore_state(work: Path) -> None:
    state = work / STATE_DIR
    for f in work.glob("warehouse.duckdb*"):
        f.unlink()
    if (work / "dagster").exists():
        shutil.rmtree(work / "dagster")
    if (work / "serving").exists():
        shutil.rmtree(work / "serving")
    for f in state.glob("warehouse.duckdb*"):
        shutil.copy2(f, work / f.name)
    shutil.copytree(state / "dagster", work / "dagster")


def _period_type(job: str) -> str:
    return job.removesuffix("_models_job")


def _model(asset: str) -> str:
    return asset.split("/", 1)[-1]


def _runs_table(runs: list[dict], following: dict) -> dict:
    """Per period type: what the period runs recomputed, 'as of' models apart from the rest."""
    out: dict[str, dict] = {}
    for r in runs:
        if r["kind"] != "period":
            continue
        pt = _period_type(r["job"])
        led = r.get("ledger") or {}
        models = sorted({_model(a) for a in led} or {_model(a) for a in (r.get("asset_selection") or [])}
                        or {_model(a) for a in r["rows"]})
        groups = {"as of": [m for m in models if following.get(m)],
                  "other": [m for m in models if not following.get(m)]}
        e = out.setdefault(pt, {"runs": 0, "run_seconds": 0.0, "events": 0})
        e["runs"] += 1
        e["run_seconds"] += r.get("run_seconds") or 0.0
        e["events"] += r["dagster"]["events"]
        for g, ms in groups.items():
            if not ms:
                continue
            x = e.setdefault(g, {"models": set(), "partitions": set(), "periods": {}, "runs": 0,
                                 "run_seconds": 0.0, "step_seconds": 0.0})
            x["models"].update(ms)
            x["partitions"].update(r["partitions"])
            x["runs"] += 1
            for m in ms:
                n = (led.get(f"{pt}/{m}") or [0])[0]
                x["periods"][m] = x["periods"].get(m, 0) + n
            x["step_seconds"] += sum(v for k, v in r["dagster"]["steps_seconds"].items()
                                     if any(k.endswith(f"__{m}") for m in ms))
            x["run_seconds"] += (r.get("run_seconds") or 0.0) * len(ms) / len(models)
    return out


CHECKS = "(other steps)"  # steps that are not a model's (none since the period jobs leave out freshness checks)


def _per_model_steps(runs: list[dict]) -> dict[str, float]:
    out: dict[str, float] = {}
    for x in runs:
        if x["kind"] != "period":
            continue
        for k, v in x["dagster"]["steps_seconds"].items():
            m = k.split("__", 1)[1] if "__" in k else CHECKS
            out[m] = out.get(m, 0.0) + v
    return out


def _per_type(runs: list[dict], following: dict) -> dict[str, dict]:
    """period type -> {runs, partitions, periods per model ("other" / "as of"), run and step seconds}."""
    out: dict[str, dict] = {}
    for r in runs:
        if r["kind"] != "period":
            continue
        pt = _period_type(r["job"])
        e = out.setdefault(pt, {"runs": 0, "partitions": set(), "periods": {"other": {}, "as of": {}},
                                "run_seconds": 0.0, "step_seconds": 0.0})
        e["runs"] += 1
        e["partitions"].update(r["partitions"])
        e["run_seconds"] += r.get("run_seconds") or 0.0
        e["step_seconds"] += sum(r["dagster"]["steps_seconds"].values())
        for asset, v in (r.get("ledger") or {}).items():
            if isinstance(v, list):
                g = e["periods"]["as of" if following.get(_model(asset)) else "other"]
                g[_model(asset)] = g.get(_model(asset), 0) + v[0]
    return out


def _fmt_periods(periods: dict) -> str:
    vals = sorted(set(periods.values()))
    if not vals:
        return "-"
    return str(vals[0]) if len(vals) == 1 else f"{vals[0]}-{vals[-1]}"


def _fmt_keys(keys, limit: int = 6) -> str:
    keys = sorted(keys)
    if len(keys) <= limit:
        return ", ".join(keys)
    return ", ".join(keys[:3]) + f", ... ({len(keys) - 4} more), " + keys[-1]


def _totals(ph: PhaseResult | None) -> dict | None:
    """End-to-end wall and CPU of a timed phase: the raw writes + the Runner calls."""
    if ph is None:
        return None
    r = ph.result
    if "inject" in r:
        inj = r["inject"]
        period_runs = [x for x in r["runs"] if x["kind"] == "period"]
        ingest = next((x for x in r["runs"] if x["kind"] == "ingest"), None)
        return {
            "wall": inj["write_seconds"] + r["runner_seconds"],
            "cpu": inj["write_cpu_seconds"] + r["runner_cpu_seconds"],
            "write": inj["write_seconds"],
            "runner": r["runner_seconds"],
            "ingest_run": ingest.get("run_seconds") if ingest else None,
            "period_runs": sum(x.get("run_seconds") or 0.0 for x in period_runs),
            "period_run_count": len(period_runs),
            "events": sum(x["dagster"]["events"] for x in r["runs"] if x["kind"] != "publish"),
            "peak": r.get("peak_rss_mb", ph.peak_rss_mb),
        }
    if "seconds" not in r:  # setup
        return None
    return {"wall": r["seconds"], "cpu": r["cpu_seconds"], "write": 0.0, "runner": r["seconds"], "ingest_run": None,
            "period_runs": sum(x.get("run_seconds") or 0.0 for x in r["runs"]), "period_run_count": len(r["runs"]),
            "events": sum(x["dagster"]["events"] for x in r["runs"]), "peak": r.get("peak_rss_mb", ph.peak_rss_mb)}


def summarise(args, info: dict, phases: dict, days: dict) -> tuple[dict, str]:
    setup, hist, one, late, rerun = (phases.get(k) for k in ("setup", "history", "one-day", "late-day",
                                                             "history-rerun"))
    doc: dict = {"args": {k: getattr(args, k) for k in ("developers", "days", "seed", "late_weeks", "nightly",
                                                         "publish", "warmup", "clock")},
                 "days": {k: v.isoformat() for k, v in days.items()}, "machine": info,
                 "phases": {k: vars(v) for k, v in phases.items()}}
    L = [f"## Late-data benchmark: {args.developers} developers x {args.days} days (seed {args.seed})", ""]
    L.append(f"{info['date_utc']}; {info['cores']} cores ({info['cpu']}), {info['memory_gb']} GB RAM; "
             f"Python {info['python']}, DuckDB {info.get('duckdb')}, Dagster {info.get('dagster')}; "
             f"code: {info.get('code')}")
    L.append("")
    L.append(f"History {days['first']} .. {days['last']} ({args.days} days); new day {days['new']}; late day "
             f"{days['late']} ({args.late_weeks} weeks before it); 'now' {days['now']} 00:00 UTC. Both days' rows "
             f"were held back from the demo's {args.days + 1} days before the history's backfill.")
    timed = one or late
    if timed:
        clock = timed.result.get("clock")
        L.append("The late-data asset's clock: " + (f"'now' (set in {', '.join(clock)})" if clock else
                                                     "the wall clock") + ".")
    if setup:
        r = setup.result["raw_rows"]
        L.append(f"Data: {r.get('commits', 0):,} commits, {r.get('pull_requests', 0):,} PRs, "
                 f"{r.get('reviews', 0):,} reviews, {r.get('review_comments', 0):,} review comments, "
                 f"{r.get('commit_files', 0):,} commit files; warehouse {setup.result['database_size']}.")
    L.append("")
    if one or late:
        L.append("Rows delivered (upserted into raw) per day, against the history's average day:")
        L.append("")
        L.append("| raw table | one day | late day | history / days |")
        L.append("|---|---|---|---|")
        raw = setup.result["raw_rows"] if setup else {}
        for n in DELIVERY_ORDER:
            a = (one.result["inject"]["rows"].get(n) or {}).get("rows", 0) if one else "-"
            b = (late.result["inject"]["rows"].get(n) or {}).get("rows", 0) if late else "-"
            h = raw.get(n)
            label = "pull_requests (updates: the day's merges and closes)" if n == "pull_request_endings" else n
            L.append(f"| {label} | {a} | {b} | {round(h / args.days) if h else '-'} |")
        L.append("")
        merge = setup.result.get("late_merge") if setup else None
        if merge:
            L.append(f"The late day's updates include one extra merge: {merge['repository']}#{merge['number']}, "
                     f"opened {str(merge['created_at'])[:10]}, still open at the end, merged "
                     f"{str(merge['merged_at'])[:16]}.")
            L.append("")

    tot = {k: _totals(v) for k, v in (("history", hist), ("one-day", one), ("late-day", late),
                                     ("history-rerun", rerun))}
    doc["totals"] = tot
    L.append("| phase | end to end wall | CPU | raw writes | ingest run | period runs (count) | outside the runs "
             "| Dagster events | peak RSS | load 1m start/mean/max | other processes (cores) |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, ph in (("setup: ingest of the demo (not a result)", setup), ("history: full backfill", hist),
                     ("one day" + (" (sync)" if args.nightly == "sync" else " (ingest + backfill(day))"), one),
                     ("late day (sync)", late), ("history re-run", rerun)):
        if ph is None:
            continue
        t = _totals(ph)
        ld = ph.load
        if t is None:  # setup
            ing = ph.result["ingest"]
            cells = [fmt_s(ing["seconds"]), fmt_s(ing["cpu_seconds"]), "-", fmt_s(ing.get("run_seconds")), "-", "-",
                     f"{ing['dagster']['events']:,}", fmt_mb(ph.peak_rss_mb)]
        else:
            outside = t["runner"] - (t["ingest_run"] or 0.0) - t["period_runs"]
            cells = [f"**{fmt_s(t['wall'])}**", fmt_s(t["cpu"]), fmt_s(t["write"]), fmt_s(t["ingest_run"]),
                     f"{fmt_s(t['period_runs'])} ({t['period_run_count']})", fmt_s(outside), f"{t['events']:,}",
                     fmt_mb(t["peak"])]
        L.append(f"| {name} | " + " | ".join(cells) + f" | {ld['loadavg_1m_start']} / {ld['loadavg_1m_mean']} / "
                 f"{ld['loadavg_1m_max']} | {ld.get('other_processes_cores')} |")
    L.append("")
    L.append("End to end = the raw upserts of the day's rows + the Runner calls (imports and Definitions excluded). "
             "Ingest run / period runs: Dagster's run spans from the event log; outside the runs: the rest of the "
             "Runner calls (building each run's job and plan, creating the run, planning the late-data runs). "
             "Peak RSS: of those calls.")
    if setup and hist and hist.result.get("restage"):
        L.append(f"Setup besides the demo's ingest: holding the two days back "
                 f"{fmt_s(setup.result['withhold_seconds'])}, "
                 f"then an untimed Runner.ingest() rebuilding staging without them "
                 f"{fmt_s(hist.result['restage']['seconds'])}.")
    L.append("")

    hist_t = tot.get("history") or tot.get("history-rerun")
    ratios = {}
    if tot.get("one-day") and tot.get("late-day"):
        o, la = tot["one-day"], tot["late-day"]

        def ratio(a, b):
            return round(a / b, 2) if a is not None and b else None

        ratios = {
            "late_over_one_day_wall": ratio(la["wall"], o["wall"]),
            "late_over_one_day_cpu": ratio(la["cpu"], o["cpu"]),
            "late_over_one_day_period_runs": ratio(la["period_runs"], o["period_runs"]),
        }
        if hist_t:
            ratios.update({
                "late_over_history_wall": ratio(la["wall"], hist_t["wall"]),
                "late_over_history_cpu": ratio(la["cpu"], hist_t["cpu"]),
                "one_day_over_history_wall": ratio(o["wall"], hist_t["wall"]),
                "one_day_over_history_cpu": ratio(o["cpu"], hist_t["cpu"]),
            })
        doc["ratios"] = ratios
        L.append("| ratio | wall | CPU |")
        L.append("|---|---|---|")
        L.append(f"| late day / one day (end to end) | **{ratios['late_over_one_day_wall']}x** | "
                 f"**{ratios['late_over_one_day_cpu']}x** |")
        L.append(f"| late day / one day (period runs' spans only) | {ratios['late_over_one_day_period_runs']}x | |")
        if hist_t:
            L.append(f"| late day / history (full backfill) | **{ratios['late_over_history_wall']}x** | "
                     f"**{ratios['late_over_history_cpu']}x** |")
            L.append(f"| one day / history (full backfill) | {ratios['one_day_over_history_wall']}x | "
                     f"{ratios['one_day_over_history_cpu']}x |")
        L.append("")

    # per period type: history vs one day vs late day (periods per model from the ledger)
    following = next((ph.result.get("following") for ph in (late, one) if ph), None) or {}
    cols = [(n, ph) for n, ph in (("history", hist), ("one day", one), ("late day", late)) if ph is not None]
    if cols:
        per = {n: _per_type(ph.result["runs"], following) for n, ph in cols}
        L.append("Per period type: runs, Dagster partitions, periods recomputed per model (other models / \"as of\" "
                 "models), Dagster run time (of which steps):")
        L.append("")
        L.append("| period type | " + " | ".join(n for n, _ in cols) + " |")
        L.append("|---|" + "---|" * len(cols))
        for pt in PERIOD_TYPES:
            cells = []
            for n, _ in cols:
                e = per[n].get(pt)
                if not e:
                    cells.append("-")
                    continue
                cells.append(f"{e['runs']} run{'s' if e['runs'] > 1 else ''}, {len(e['partitions'])} part., "
                             f"{_fmt_periods(e['periods']['other'])} / {_fmt_periods(e['periods']['as of'])} periods, "
                             f"{fmt_s(e['run_seconds'])} ({fmt_s(e['step_seconds'])})")
            L.append(f"| {pt} | " + " | ".join(cells) + " |")
        L.append("")

    for title, ph in (("One day", one), ("Late day", late)):
        if ph is None:
            continue
        r = ph.result
        following = r.get("following", {})
        ingest = next((x for x in r["runs"] if x["kind"] == "ingest"), None)
        if ingest:
            steps = ingest["dagster"]["steps_seconds"]
            stg = sum(v for k, v in steps.items() if k.startswith("staging"))
            late_step = sum(v for k, v in steps.items() if "late_data" in k)
            ing = sum(v for k, v in steps.items() if k.startswith("ingest"))
            touched = ingest.get("touched") or {}
            L.append(f"**{title}**: ingest run {fmt_s(ingest.get('run_seconds'))} (ingest steps {fmt_s(ing)}, "
                     f"{sum(1 for k in steps if k.startswith('staging'))} staging steps {fmt_s(stg)}, "
                     f"meta/late_data {fmt_s(late_step)}); the batch touched " + ", ".join(
                         f"{pt} {len(touched.get(pt, []))}" for pt in PERIOD_TYPES) + " periods.")
            if title == "One day" and args.nightly != "sync":
                L.append(f"(Not recomputed here; the late-data sensor would request them after the closing runs: "
                         f"daily {_fmt_keys(touched.get('daily', []))}.)")
            elif touched:
                L.append(f"Touched daily periods: {_fmt_keys(touched.get('daily', []))}.")
            L.append("")
        table = _runs_table(r["runs"], following)
        if table:
            L.append("| period type | models | runs | Dagster partitions | periods per model (ledger) | "
                     "run time (share) | steps |")
            L.append("|---|---|---|---|---|---|---|")
            for pt in PERIOD_TYPES:
                e = table.get(pt)
                if not e:
                    continue
                for g in ("other", "as of"):
                    x = e.get(g)
                    if not x:
                        continue
                    L.append(f"| {pt} | {g}: {len(x['models'])} | {x['runs']} | {len(x['partitions'])}: "
                             f"{_fmt_keys(x['partitions'], 4)} | {_fmt_periods(x['periods'])} | "
                             f"{fmt_s(x['run_seconds'])} | {fmt_s(x['step_seconds'])} |")
            L.append("")
        pub = [x for x in r["runs"] if x["kind"] == "publish"]
        if pub:
            n = len([x for x in r["runs"] if x["kind"] == "period"])
            L.append(f"Publish after it: {fmt_s(pub[0]['seconds'])} ({fmt_s(pub[0]['cpu_seconds'])} CPU); the "
                     f"daemon's publish_after_success publishes once, after the last of the {n} period runs.")
            L.append("")
    # per model: Dagster step seconds summed over period types
    cols = [(n, ph) for n, ph in (("history", hist), ("one day", one), ("late day", late)) if ph is not None]
    if one or late:
        per = {n: _per_model_steps(ph.result["runs"]) for n, ph in cols}
        following = (late or one).result.get("following", {})
        models = sorted({m for v in per.values() for m in v}, key=lambda m: (m == CHECKS, -per.get(
            "late day", {}).get(m, 0.0), m))
        L.append("Dagster step seconds per model, all period types (\"as of\" models marked *):")
        L.append("")
        L.append("| model | " + " | ".join(n for n, _ in cols) + " |")
        L.append("|---|" + "---|" * len(cols))
        for m in models:
            L.append(f"| {m}{' *' if following.get(m) else ''} | "
                     + " | ".join(f"{per[n].get(m, 0.0):.2f}" for n, _ in cols) + " |")
        L.append("| **all steps** | " + " | ".join(f"{sum(per[n].values()):.2f}" for n, _ in cols) + " |")
        L.append("")
    procs: dict = {}
    for v in phases.values():
        procs.setdefault((round(v.process_wall_seconds, 1), round(v.process_max_rss_mb)), []).append(v)
    L.append("Processes: " + "; ".join(
        f"[{', '.join(x.name for x in vs)}] {fmt_s(w)}, max RSS {fmt_mb(m)}, imports "
        f"{fmt_s(next((x.result.get('import_seconds') for x in vs if x.result.get('import_seconds')), None))} + "
        f"Definitions and instance "
        f"{fmt_s(next((x.result.get('setup_seconds') for x in vs if x.result.get('setup_seconds')), None))}"
        for (w, m), vs in procs.items()) + " (once per process here; the Dagster daemon's default run launcher "
        "starts a process and loads the code location for every run).")
    if one and one.result.get("warmup"):
        w = one.result["warmup"]
        L.append(f"Warm-up before the one-day phase (not in the figures): Runner.ingest() with nothing new, "
                 f"{fmt_s(w['seconds'])} ({fmt_s(w['cpu_seconds'])} CPU).")
    return doc, "\n".join(L)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--developers", type=int, default=1000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--late-weeks", type=int, default=6, help="the late day: this many weeks before the new day")
    p.add_argument("--nightly", choices=("closing", "sync"), default="closing",
                   help="one day = ingest + backfill(day, day) as the closing schedules (default), or "
                        "Runner.sync (closing runs + what the late-data sensor adds)")
    p.add_argument("--publish", action=argparse.BooleanOptionalAction, default=True,
                   help="also time one Runner.publish() after the one-day and late-day phases")
    p.add_argument("--clock", choices=("simulated", "wall"), default="simulated",
                   help="the late-data asset's clock in the timed phases: the benchmark's 'now' (default), or the "
                        "wall clock (Runner.sync(now=...) does not pass now to its ingest: see README)")
    p.add_argument("--warmup", action=argparse.BooleanOptionalAction, default=True,
                   help="an untimed Runner.ingest() (nothing new) before the one-day phase, so that the process's "
                        "first Dagster run does not charge its one-time costs to the one-day figures")
    p.add_argument("--rerun-history", action="store_true",
                   help="re-time the full backfill after the late day (through the new day)")
    p.add_argument("--work", help="work dir (default bench/out/late-data-<developers>x<days>)")
    p.add_argument("--reuse", action="store_true",
                   help="restore the work dir's backfilled warehouse and Dagster instance (setup-state/) "
                        "instead of ingesting and backfilling again")
    p.add_argument("--code", metavar="REF",
                   help="benchmark a git ref (e.g. HEAD) extracted under bench/out/ instead of the working tree")
    p.add_argument("--summarise", action="store_true", help="only re-render summary.md from results.json")
    p.add_argument("--phase", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.days < 7 * args.late_weeks + 7:
        raise SystemExit(f"--days must be at least {7 * args.late_weeks + 7} for a late day {args.late_weeks} "
                         f"weeks back")
    args.work = str(Path(args.work or OUT / f"late-data-{args.developers}x{args.days}").resolve())
    if args.phase:
        run_child_phases(args.phase.split(","), PHASES, args)
        return 0

    work = Path(args.work)
    days = days_of(args)
    if args.summarise:
        doc = json.loads((work / "results.json").read_text())
        for k, v in doc["args"].items():
            setattr(args, k, v)
        phases = {k: PhaseResult(**v) for k, v in doc["phases"].items()}
        _, text = summarise(args, doc["machine"], phases, days_of(args))
        (work / "summary.md").write_text(text + "\n")
        print(text)
        return 0

    code = label = None
    if args.code:
        code, sha = snapshot_code(args.code)
        label = f"git {args.code} = {sha} (snapshot {code.relative_to(OUT.parent.parent)})"
    info = machine_info(label)
    child_args = ["--developers", str(args.developers), "--days", str(args.days), "--seed", str(args.seed),
                  "--late-weeks", str(args.late_weeks), "--nightly", args.nightly, "--work", str(work),
                  "--publish" if args.publish else "--no-publish", "--warmup" if args.warmup else "--no-warmup",
                  "--clock", args.clock]
    print(f"late-data benchmark: {args.developers} developers x {args.days} days -> {work}", flush=True)
    phases: dict[str, PhaseResult] = {}
    t0 = time.perf_counter()
    if args.reuse:
        if not (work / STATE_DIR / "dagster").exists():
            raise SystemExit(f"--reuse: no {STATE_DIR}/ in {work}; run once without --reuse")
        earlier = json.loads((work / "results.json").read_text()) if (work / "results.json").exists() else {}
        for k in ("developers", "days", "seed", "late_weeks"):  # the held-back days belong to the setup
            if k in earlier.get("args", {}) and earlier["args"][k] != getattr(args, k):
                raise SystemExit(f"--reuse: {work} was set up with {k} = {earlier['args'][k]}, not {getattr(args, k)}")
        for k in ("setup", "history"):
            if k in earlier.get("phases", {}):
                phases[k] = PhaseResult(**earlier["phases"][k])
        write_configs(work, args)
        print(f"  restoring {work / STATE_DIR} ...", flush=True)
        _restore_state(work)
    else:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        write_configs(work, args)
        for name in ("setup", "history"):  # the demo config, then the one without sources
            print(f"  process: {name} ...", flush=True)
            for r in run_phases(Path(__file__), [name], child_args, work / "logs" / f"{name}.log",
                                env=child_env(code)):
                phases[r.name] = r
        print(f"  saving the backfilled state to {work / STATE_DIR} ...", flush=True)
        _copy_state(work, work / STATE_DIR)
        doc, _ = summarise(args, info, phases, days)  # kept if the timed phases fail; --reuse reads it
        (work / "results.json").write_text(json.dumps(doc, indent=2, default=str))
    timed = ["one-day", "late-day"] + (["history-rerun"] if args.rerun_history else [])
    print(f"  process: {', '.join(timed)} ...", flush=True)
    for r in run_phases(Path(__file__), timed, child_args, work / "logs" / "timed.log", env=child_env(code)):
        phases[r.name] = r
    print(f"  all phases: {time.perf_counter() - t0:.1f} s", flush=True)
    doc, text = summarise(args, info, phases, days)
    (work / "results.json").write_text(json.dumps(doc, indent=2, default=str))
    (work / "summary.md").write_text(text + "\n")
    print()
    print(text)
    print(f"\nresults: {work / 'results.json'}, {work / 'summary.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

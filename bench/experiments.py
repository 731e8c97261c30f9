#!/usr/bin/env python
"""Experiments behind the proposed fixes in bench/README.md, on a copy of a benchmark warehouse.

    .venv/bin/python bench/experiments.py --from bench/out/backfill-1000x365 [--code REF] all

Copies ``<from>/warehouse.duckdb`` to ``bench/out/experiments/warehouse.duckdb``
(the benchmark's own warehouse is never written) and runs:

- ``ledger``      365 ledger rows: the current ``executemany`` vs one statement;
- ``write-path``  five daily models, whole write path (as ``build_period_range``):
                  current / ledger in one statement / also no sort / also direct insert
                  (no temp table); min of 3, wall and CPU;
- ``import-ctes`` every model and period type: as rendered vs its
                  ``x as (select * from ...)`` import CTEs marked ``not materialized``;
                  results compared (EXCEPT ALL both ways);
- ``day-grain``   the floor, a developer x UTC-day table with local-time flags from
                  ``stg_activity_events``, its roll-ups to weeks and months, and a join
                  of the daily spine: the cost of a day-grain design.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, from_backfill_arguments, use_code  # noqa: E402

START = date(2024, 1, 1)


def _project(days: int):
    from pipelines.calendar import PeriodCalendar
    from pipelines.modeling import load_project

    cal = PeriodCalendar(START)
    return cal, load_project(cal)


def _best(con, sql, params=None, n=3):
    out = (9e9, 9e9)
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        con.execute(sql, params or [])
        out = min(out, (time.perf_counter() - t, time.process_time() - c))
    return out


def exp_ledger(con, cal, proj, args) -> None:
    keys = [p.key for p in cal.iter_periods("daily", START, args.end)]
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for _ in range(2):
        con.execute("begin")
        t = time.perf_counter()
        con.executemany("insert or replace into meta.partition_ledger values (?, ?, ?, ?, ?, ?)",
                        [("daily/x", "daily", k, "r", now, 1) for k in keys])
        a = time.perf_counter() - t
        con.execute("rollback")
        con.execute("begin")
        t = time.perf_counter()
        con.execute("insert or replace into meta.partition_ledger "
                    "select ?, ?, unnest(?::varchar[]), ?, ?, unnest(?::bigint[])",
                    ["daily/x", "daily", keys, "r", now, [1] * len(keys)])
        b = time.perf_counter() - t
        con.execute("rollback")
        print(f"ledger, {len(keys)} rows: executemany {a:.3f} s, one statement {b:.4f} s", flush=True)


def exp_write_path(con, cal, proj, args) -> None:
    start, end = START, args.end
    keys = [p.key for p in cal.iter_periods("daily", start, end)]
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    # (before b145283 the five were developer_periods, developer_sustainability, developer_snapshot,
    # developer_quality and group_snapshot; the category models are ephemeral since)
    models = ("developer_snapshot", "group_snapshot", "repository_bus_factor", "developer_burnout",
              "activity_heatmap")

    def run(variant: str, name: str) -> None:
        model = proj.models[name]
        rel, key, ak = model.relation("daily"), ", ".join(model.unique_key), f"daily/{name}"
        sql = proj.render(name, "daily", start, end)
        con.execute("begin")
        if variant != "direct":
            order = "" if variant == "no sort" else f" order by {key}"
            con.execute(f"create temp table _model_rows as select * from ({sql}) as m{order}")
            con.execute("select count(*) from _model_rows where period_start < ? or period_start >= ?",
                        [start, end]).fetchall()
            con.execute(f"delete from {rel} where period_start >= ? and period_start < ?", [start, end])
            con.execute(f"insert into {rel} by name select * from _model_rows")
            counts = dict(con.execute(
                "select cast(period_start as varchar), count(*) from _model_rows group by 1").fetchall())
            con.execute("drop table _model_rows")
        else:
            con.execute(f"delete from {rel} where period_start >= ? and period_start < ?", [start, end])
            con.execute(f"insert into {rel} by name select * from ({sql}) as m")
            counts = dict(con.execute(
                f"select cast(period_start as varchar), count(*) from {rel} "
                "where period_start >= ? and period_start < ? group by 1", [start, end]).fetchall())
        rows = [counts.get(k, 0) for k in keys]
        if variant == "current":
            con.executemany("insert or replace into meta.partition_ledger values (?, ?, ?, ?, ?, ?)",
                            [(ak, "daily", k, "bench", now, n) for k, n in zip(keys, rows)])
        else:
            con.execute("insert or replace into meta.partition_ledger "
                        "select ?, ?, unnest(?::varchar[]), ?, ?, unnest(?::bigint[])",
                        [ak, "daily", keys, "bench", now, rows])
        con.execute("commit")

    variants = ("current", "ledger in one statement", "no sort", "direct")
    res: dict = {}
    for _ in range(3):
        for name in models:
            for v in variants:
                t, c = time.perf_counter(), time.process_time()
                run(v, name)
                w, cpu = time.perf_counter() - t, time.process_time() - c
                r = res.setdefault((name, v), [9e9, 9e9])
                r[0], r[1] = min(r[0], w), min(r[1], cpu)
    print("write path, daily, min of 3 (wall / CPU seconds); each variant includes the ones before it:")
    for name in models:
        print(f"  {name:26} " + "  ".join(f"{v}: {res[(name, v)][0]:.2f}/{res[(name, v)][1]:.2f}" for v in variants))
    print("  total                      " + "  ".join(
        f"{v}: {sum(res[(n, v)][0] for n in models):.2f}/{sum(res[(n, v)][1] for n in models):.2f}"
        for v in variants), flush=True)


def exp_import_ctes(con, cal, proj, args) -> None:
    ends = {"daily": args.end, "weekly": args.end, "biweekly": args.end, "monthly": args.end}
    tot0 = tot1 = 0.0
    for pt, end in ends.items():
        periods = [p for p in cal.iter_periods(pt, START, end) if p.end <= end]
        for m in [x.name for x in proj.period_models()]:
            sql = proj.render(m, pt, periods[0].start, periods[-1].end)
            nm = re.sub(r"^(\s*\w+) as \(select \* from ", r"\1 as not materialized (select * from ", sql, flags=re.M)
            t0 = _best(con, f"create or replace temp table _x as {sql}")[1]
            t1 = _best(con, f"create or replace temp table _x as {nm}")[1]
            con.execute(f"create or replace temp table _a as {sql}")
            con.execute(f"create or replace temp table _b as {nm}")
            same = all(con.execute(q).fetchone()[0] == 0 for q in (
                "select count(*) from (select * from _a except all select * from _b)",
                "select count(*) from (select * from _b except all select * from _a)"))
            tot0, tot1 = tot0 + t0, tot1 + t1
            print(f"  {pt:9} {m:26} CPU as rendered {t0:.2f} s, import CTEs not materialized {t1:.2f} s, "
                  f"same rows: {same}", flush=True)
    print(f"import CTEs: total CPU {tot0:.2f} s as rendered, {tot1:.2f} s not materialized")


def exp_day_grain(con, cal, proj, args) -> None:
    from backfill_bench import FLOOR_SQL

    w, c = _best(con, FLOOR_SQL, n=5)
    print(f"floor: {w:.3f} s wall, {c:.3f} s CPU, {con.execute('select count(*) from _floor').fetchone()[0]:,} rows")
    dd = """create or replace temp table _dd as
    select e.workspace_id, e.developer_id, cast(e.event_at as date) as day,
           count(*) filter (where e.event_type = 'commit') as commits,
           count(*) filter (where e.event_type = 'commit'
                            and not list_contains(s.working_days, lower(strftime(e.local_at, '%a')))) as weekend_commits,
           count(*) filter (where e.event_type = 'commit'
                            and (hour(e.local_at) >= 22 or hour(e.local_at) < 6)) as late_night_commits,
           count(distinct date_trunc('hour', e.local_at)) as active_hours,
           count(*) filter (where e.event_type = 'pr_merged') as prs_merged,
           count(*) filter (where e.event_type = 'review') as reviews
    from staging.stg_activity_events e join staging.stg_developer_settings s using (workspace_id, developer_id)
    group by all"""
    w, c = _best(con, dd)
    print(f"developer x day from stg_activity_events (local-time flags, distinct active hours): {w:.2f} s wall, "
          f"{c:.2f} s CPU, {con.execute('select count(*) from _dd').fetchone()[0]:,} rows")
    for unit in ("week", "month"):
        w, c = _best(con, f"""create or replace temp table _r as
            select workspace_id, developer_id, cast(date_trunc('{unit}', day) as date) as period_start,
                   sum(commits), sum(weekend_commits), sum(late_night_commits), sum(active_hours),
                   count(*) as active_days, sum(prs_merged), sum(reviews)
            from _dd group by all""", n=5)
        print(f"  roll-up to {unit}s: {w:.3f} s wall, {c:.3f} s CPU")
    w, c = _best(con, """create or replace temp table _r as
        select d.workspace_id, d.developer_id, d.period_start, coalesce(r.commits, 0) as commits
        from daily.developer_snapshot d
        left join (select workspace_id, developer_id, day as period_start, commits from _dd) r
        using (workspace_id, developer_id, period_start)""", n=5)
    print(f"  daily spine (the rows of daily.developer_snapshot) joined to it: {w:.3f} s wall, {c:.3f} s CPU", flush=True)


EXPERIMENTS = {"ledger": exp_ledger, "write-path": exp_write_path, "import-ctes": exp_import_ctes,
               "day-grain": exp_day_grain}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("which", nargs="*", default=["all"], help=f"all or any of: {', '.join(EXPERIMENTS)}")
    from_backfill_arguments(p, "warehouse")
    p.add_argument("--days", type=int, default=365)
    args = p.parse_args(argv)
    use_code(args.code)
    from datetime import timedelta

    import duckdb

    args.end = START + timedelta(days=args.days)  # exclusive end of the last ended daily period
    dest = OUT / "experiments"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(args.src) / "warehouse.duckdb", dest / "warehouse.duckdb")
    con = duckdb.connect(str(dest / "warehouse.duckdb"))
    con.execute("set TimeZone = 'UTC'")
    cal, proj = _project(args.days)
    names = list(EXPERIMENTS) if "all" in args.which else args.which
    for name in names:
        print(f"== {name}", flush=True)
        EXPERIMENTS[name](con, cal, proj, args)
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

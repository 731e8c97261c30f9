#!/usr/bin/env python
"""Publish benchmark: a full publish, then nightly incremental ones, on a copy of a backfill warehouse.

    .venv/bin/python bench/publish_bench.py [--from bench/out/backfill-1000x365] [--nights 5] [--code REF]

Copies ``<from>/warehouse.duckdb`` to ``bench/out/publish/`` (the benchmark's own
warehouse is never written), publishes it (a full copy), then for each night
recomputes the next daily period of every daily model with the real write path
(``build_period_range``, as a nightly run does) and publishes again (an
incremental publish). Prints seconds and the serving file's size per publish.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, from_backfill_arguments, use_code  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    from_backfill_arguments(p, "devlens.yaml and warehouse")
    p.add_argument("--nights", type=int, default=5)
    args = p.parse_args(argv)
    use_code(args.code)
    import duckdb

    from pipelines.config import load_config
    from pipelines.context import DevLens
    from pipelines.modeling.materialize import build_period_range
    from pipelines.publish import publish

    src = Path(args.src)
    dest = OUT / "publish"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copyfile(src / "warehouse.duckdb", dest / "warehouse.duckdb")
    devlens = DevLens(load_config(src / "devlens.yaml"))
    serving = dest / "serving"
    con = duckdb.connect(str(dest / "warehouse.duckdb"))
    con.execute("set TimeZone = 'UTC'")
    last = con.execute("select max(period_start) from daily.developer_snapshot").fetchone()[0]
    first_night = last - timedelta(days=args.nights - 1)

    def timed_publish(label: str) -> None:
        t0 = time.perf_counter()
        r = publish(con, devlens.project, serving, run_id=label, keep=args.nights + 2)
        seconds = time.perf_counter() - t0
        kinds = {m: sum(1 for v in r.modes.values() if v == m) for m in ("copied", "updated", "kept")}
        print(f"| {label} | {'incremental' if r.incremental else 'full copy'} | {seconds:.2f} s | "
              f"{r.path.stat().st_size / 2**20:.0f} MiB | {kinds['copied']} / {kinds['updated']} / {kinds['kept']} |",
              flush=True)

    print(f"publish benchmark on a copy of {src / 'warehouse.duckdb'} "
          f"({os.path.getsize(src / 'warehouse.duckdb') / 2**20:.0f} MiB)\n")
    print("| publish | kind | seconds | serving file | tables copied / updated / kept |")
    print("|---|---|---|---|---|")
    timed_publish("first")
    for night in range(args.nights):
        day = first_night + timedelta(days=night)
        t0 = time.perf_counter()
        for model in devlens.project.period_models():
            build_period_range(con, devlens.project, model.name, "daily", day, day + timedelta(days=1), f"night-{night}")
        print(f"|   (night {night + 1}: the daily models recomputed for {day} in {time.perf_counter() - t0:.2f} s) "
              "| | | | |", flush=True)
        timed_publish(f"night {night + 1}")
    con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

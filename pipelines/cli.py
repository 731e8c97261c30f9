"""``devlens``: the command line over the same Dagster definitions.

Each command prints what it did (runs, partitions, rows); ``--json`` prints
the same as one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .calendar import PERIOD_TYPES
from .config import ConfigError, config_path, load_config

DEMO_KEY = "devlens-demo-key"  # the key devlens.yaml's demo hash stands for; never use it beyond the demo


def _print(args, human: str, doc: dict) -> None:
    if getattr(args, "json", False):
        print(json.dumps(doc, indent=2, default=str))
    else:
        print(human)


def _devlens(args):
    from .context import DevLens

    return DevLens.load(args.config)


def _runner(devlens):
    from .instance import get_instance
    from .runner import Runner

    return Runner(devlens, get_instance())


def cmd_config_check(args) -> int:
    cfg = load_config(args.config)
    doc = {
        "config": str(Path(args.config or config_path()).resolve()),
        "calendar": {"start": cfg.calendar.start, "biweekly_anchor": cfg.calendar.biweekly_anchor},
        "warehouse": str(cfg.resolve(cfg.warehouse.path)),
        "serving_dir": str(cfg.resolve(cfg.warehouse.serving_dir)),
        "workspaces": [
            {
                "id": w.id,
                "sources": [s.model_dump(exclude_none=True) for s in w.sources],
                "teams": {t.id: t.members for t in w.teams},
                "teams_from_github": w.teams_from_github,
                "bots": w.bots,
                "working_schedules": sorted(w.working_schedules),
                "default_timezone": w.settings.default_timezone,
            }
            for w in cfg.workspaces
        ],
        "api_keys": len(cfg.api.keys),
    }
    lines = [f"config OK: {doc['config']}", f"  calendar: start {cfg.calendar.start}, biweekly anchor {cfg.calendar.biweekly_anchor}",
             f"  warehouse: {doc['warehouse']}", f"  serving store: {doc['serving_dir']}"]
    for w in doc["workspaces"]:
        lines.append(f"  workspace {w['id']}: {len(w['sources'])} source(s), {len(w['teams'])} team(s), "
                     f"{len(w['bots'])} bot(s), {len(w['working_schedules'])} working schedule(s), tz {w['default_timezone']}")
    lines.append(f"  api keys: {doc['api_keys']}")
    _print(args, "\n".join(lines), doc)
    return 0


def cmd_api_key_create(args) -> int:
    from serve.auth import hash_key, new_key

    cfg = load_config(args.config)
    if args.workspace not in {w.id for w in cfg.workspaces}:
        raise ConfigError(f"unknown workspace {args.workspace!r}; known: {[w.id for w in cfg.workspaces]}")
    key = new_key()
    line = f'    - {{sha256: "{hash_key(key)}", workspaces: [{args.workspace}]}}'
    _print(args, f"API key (shown once, store it now): {key}\nAdd under api.keys in {args.config or config_path()}:\n{line}",
           {"key": key, "sha256": hash_key(key), "workspaces": [args.workspace], "config_line": line})
    return 0


def cmd_ingest(args) -> int:
    devlens = _devlens(args)
    summary = _runner(devlens).ingest()
    _print(args, f"ingest run {summary.run_id}: " + ", ".join(f"{k}={v}" for k, v in summary.rows.items()),
           summary.as_dict())
    return 0


def _parse_date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not an ISO date (YYYY-MM-DD)") from None


def _partitions(summary) -> str:
    """'12 partitions 2024-01-01 .. 2024-12-01 (366 periods)': daily partitions are months."""
    keys = summary.partitions
    span = f"{keys[0]} .. {keys[-1]}" if len(keys) > 1 else keys[0]
    return f"{len(keys)} partition{'s' * (len(keys) != 1)} {span} ({summary.periods} periods)"


def _backfill(runner, date_from: date, date_to: date, period_types, log) -> list:
    summaries = runner.backfill(date_from, date_to, period_types)
    for s in summaries:
        pt = s.job.removesuffix("_models_job")
        log(f"  {pt}: {_partitions(s)} in run {s.run_id} ({sum(s.rows.values())} rows)")
    return summaries


def cmd_backfill(args) -> int:
    if args.date_to < args.date_from:
        raise SystemExit(f"devlens backfill: --to {args.date_to} is before --from {args.date_from}")
    devlens = _devlens(args)
    runner = _runner(devlens)
    lines: list[str] = [f"backfill {args.date_from} .. {args.date_to}"]
    summaries = _backfill(runner, args.date_from, args.date_to, args.period_type or PERIOD_TYPES, lines.append)
    pub = runner.publish()
    lines.append(f"published data version {pub.rows['data_version']}")
    _print(args, "\n".join(lines), {"runs": [s.as_dict() for s in summaries], "publish": pub.as_dict()})
    return 0


def cmd_sync(args) -> int:
    devlens = _devlens(args)
    runner = _runner(devlens)
    ingest, runs = runner.sync()
    lines = [f"ingest run {ingest.run_id}: touched "
             + (", ".join(f"{pt} {len(k)}" for pt, k in ingest.touched.items() if k) or "no ended period")]
    for r in runs:
        pt = r.job.removesuffix("_models_job")
        lines.append(f"  {pt}: {_partitions(r)} in run {r.run_id}")
    pub = runner.publish() if runs else None
    lines.append(f"published data version {pub.rows['data_version']}" if pub else "nothing to recompute")
    # "periods": the touched ones; "partitions": the Dagster partitions holding
    # them, recomputed for every model; "runs" also shows the later partitions
    # that "as of" models redid
    calendar = devlens.calendar
    doc = {"ingest": ingest.as_dict(),
           "periods": {pt: keys for pt, keys in ingest.touched.items() if keys},
           "partitions": {pt: calendar.partition_keys(pt, keys) for pt, keys in ingest.touched.items() if keys},
           "runs": [r.as_dict() for r in runs], "publish": pub.as_dict() if pub else None}
    _print(args, "\n".join(lines), doc)
    return 0


def cmd_publish(args) -> int:
    pub = _runner(_devlens(args)).publish()
    _print(args, f"published data version {pub.rows['data_version']} (run {pub.run_id})", pub.as_dict())
    return 0


def cmd_prune(args) -> int:
    from .modeling.prune import find_orphans, prune

    devlens = _devlens(args)
    with devlens.writer() as con:
        orphans = find_orphans(con, devlens.project)
        if args.apply and orphans:
            prune(con, orphans)
    verb = "dropped" if args.apply else "would drop (run with --apply)"
    lines = [f"{verb}: {o.relation}" + ("" if o.table_exists else " (no table left)")
             + f", {o.ledger_rows} ledger rows" for o in orphans] or ["nothing to prune"]
    _print(args, "\n".join(lines), {"applied": bool(args.apply), "orphans": [
        {"asset_key": o.asset_key, "table": o.relation, "table_exists": o.table_exists, "ledger_rows": o.ledger_rows}
        for o in orphans]})
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    from serve.app import create_app

    uvicorn.run(create_app(args.config), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_demo(args) -> int:
    from .context import DevLens
    from .instance import ensure_dagster_home

    cfg = load_config(args.config)
    demo_sources = [(w, s.demo) for w in cfg.workspaces for s in w.sources if s.demo is not None]
    if not demo_sources:
        raise ConfigError(f"{args.config or config_path()}: no workspace has a 'demo' source; `devlens demo` needs one")
    overrides = {k: v for k, v in (("developers", args.developers), ("days", args.days), ("seed", args.seed)) if v is not None}
    if overrides:
        cfg = _with_demo_overrides(cfg, overrides)
        demo_sources = [(w, s.demo) for w in cfg.workspaces for s in w.sources if s.demo is not None]
    devlens = DevLens(cfg)
    home = ensure_dagster_home()
    runner = _runner(devlens)
    say = (lambda m: None) if args.json else print
    say(f"DevLens demo — Dagster instance: {home}, warehouse: {devlens.warehouse_path}")
    ingest = runner.ingest()
    say(f"ingested demo data (run {ingest.run_id}): "
        + ", ".join(f"{k.split('/')[-1]}={v}" for k, v in ingest.rows.items() if k.startswith("staging/")))
    days = max(d.days for _, d in demo_sources)
    last_day = cfg.calendar.start + timedelta(days=days - 1)
    say(f"backfilling every period type over {cfg.calendar.start} .. {last_day}")
    summaries = _backfill(runner, cfg.calendar.start, last_day, PERIOD_TYPES, say)
    pub = runner.publish()
    version = pub.rows["data_version"]
    say(f"published data version {version}")
    doc = {"ingest": ingest.as_dict(), "backfill": [s.as_dict() for s in summaries], "publish": pub.as_dict()}
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
    if args.no_serve:
        return 0
    return _serve_demo(args, devlens, demo_sources[0][0].id)


def _with_demo_overrides(cfg, overrides: dict):
    workspaces = []
    for w in cfg.workspaces:
        sources = [s.model_copy(update={"demo": s.demo.model_copy(update=overrides)}) if s.demo else s for s in w.sources]
        workspaces.append(w.model_copy(update={"sources": sources}))
    new = cfg.model_copy(update={"workspaces": workspaces})
    object.__setattr__(new, "_base_dir", cfg.base_dir)
    return new


def _serve_demo(args, devlens, workspace_id: str) -> int:
    """Run the API and the Dagster UI until Ctrl-C."""
    env = dict(os.environ)
    api = subprocess.Popen([sys.executable, "-m", "pipelines.cli", *(["--config", args.config] if args.config else []),
                            "serve", "--host", args.host, "--port", str(args.port)], env=env)
    dagster_bin = shutil.which("dagster", path=str(Path(sys.executable).parent)) or "dagster"
    ui = subprocess.Popen([dagster_bin, "dev", "-w", "workspace.yaml", "-h", args.host, "-p", str(args.dagster_port)],
                          env=env)
    with_period = f"?period_type=weekly&period_start={devlens.calendar.start_of('weekly', devlens.cfg.calendar.start)}"
    developer = "alice"
    print(
        "\nDevLens is running:\n"
        f"  API          http://{args.host}:{args.port}/docs\n"
        f"  Dagster UI   http://{args.host}:{args.dagster_port}\n\n"
        "Try:\n"
        f"  curl -H 'Authorization: Bearer {DEMO_KEY}' "
        f"'http://{args.host}:{args.port}/workspaces/{workspace_id}/insights/developers/{developer}/velocity{with_period}'\n\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
    try:
        api.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for p in (api, ui):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in (api, ui):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devlens", description="DevLens: GitHub activity to engineering metrics.")
    parser.add_argument("--config", help="config file (default: $DEVLENS_CONFIG or devlens.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name, fn, help_text, json_flag=True):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(fn=fn)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print one JSON document")
        return p

    p = add("demo", cmd_demo, "generate demo data, ingest, backfill every period type, publish, then serve")
    p.add_argument("--no-serve", action="store_true", help="exit after publishing")
    p.add_argument("--developers", type=int, help="override the demo source's developer count")
    p.add_argument("--days", type=int, help="override the demo source's days of history")
    p.add_argument("--seed", type=int, help="override the demo source's seed")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="API port")
    p.add_argument("--dagster-port", type=int, default=3000, help="Dagster UI port")

    add("ingest", cmd_ingest, "run the ingest assets and rebuild the staging tables")

    p = add("backfill", cmd_backfill, "materialize every period model over a date range, one run per period type, then publish")
    p.add_argument("--from", dest="date_from", type=_parse_date, required=True, help="first date (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", type=_parse_date, required=True, help="last date, inclusive")
    p.add_argument("--period-type", action="append", choices=PERIOD_TYPES, help="repeatable; default: all four")

    add("sync", cmd_sync, "ingest, then recompute exactly the partitions the new data touched, then publish")

    add("publish", cmd_publish, "publish the served tables as a new data version")

    p = add("prune", cmd_prune, "list (or with --apply drop) the tables and ledger rows of period models "
                                "that no longer exist, e.g. after an upgrade")
    p.add_argument("--apply", action="store_true", help="drop them (default: only list them)")

    p = add("serve", cmd_serve, "serve the read-only API", json_flag=False)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)

    cfg = sub.add_parser("config", help="configuration commands").add_subparsers(dest="config_command", required=True)
    p = cfg.add_parser("check", help="validate the config and print what it resolved")
    p.set_defaults(fn=cmd_config_check)
    p.add_argument("--json", action="store_true")

    keys = sub.add_parser("api-key", help="API key commands").add_subparsers(dest="key_command", required=True)
    p = keys.add_parser("create", help="print a new key and the hash line for devlens.yaml")
    p.set_defaults(fn=cmd_api_key_create)
    p.add_argument("--workspace", required=True)
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except ConfigError as e:
        print(f"devlens: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # a clear one-line cause instead of a traceback for known failures
        from .modeling.model import ModelError
        from .runner import RunFailed
        from .warehouse.connection import WarehouseLocked

        if isinstance(e, (ModelError, RunFailed, WarehouseLocked)):
            print(f"devlens: {e}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())

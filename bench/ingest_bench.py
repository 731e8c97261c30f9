#!/usr/bin/env python
"""Ingest benchmark (issue 3): the real ``ingest_github`` against a large generated organisation.

    .venv/bin/python bench/ingest_bench.py                                   # smoke: 5 repos x 5,000 commits
    .venv/bin/python bench/ingest_bench.py --repos 200 --commits 500000      # the issue's organisation
    .venv/bin/python bench/ingest_bench.py --memory-check                    # 1 repo x 50k vs 1 repo x 200k
    .venv/bin/python bench/ingest_bench.py --memory-check --memory-sizes 20000,80000   # the same, quicker

A loopback server (``bench/github_sim.py``, its own process: its CPU and
memory are not the client's) serves the organisation in GitHub REST shapes,
computed on demand. The ingest runs in a child process against a fresh
warehouse under bench/out/, opened with ``connect_writer`` and called exactly
as the ``ingest/github`` asset calls it
(``ingest_github(con, workspace, settings, since=calendar start, ...)``,
teams from GitHub, commit details on). Reported: wall time, rows written per
second (all raw tables), requests per second, the client's and the server's
CPU, peak RSS, and a timeline (RSS, Python's allocated blocks, DuckDB's
buffer memory, requests served) to see whether memory or throughput drift as
the warehouse grows. ``--rerun`` times a second, incremental run with nothing
changed (cursors, overlap window, ETags/304s, open-PR re-reads).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    BENCH,
    OUT,
    PeakTracker,
    child_env,
    fmt_mb,
    fmt_s,
    machine_info,
    rss_mb,
    run_child_phases,
    run_phases,
    snapshot_code,
)

START = date(2024, 1, 1)
RAW_TABLES = ("repositories", "workspace_repositories", "users", "commits", "commit_files", "pull_requests",
              "pull_request_commits", "pull_request_files", "reviews", "review_comments", "team_members")


def _server_stats(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/_bench/stats", timeout=10) as r:
        return json.loads(r.read())


class Timeline:
    """Samples RSS, Python's allocated blocks, DuckDB memory and the server's request count."""

    def __init__(self, con, server: str, every: float):
        self.con = con.cursor()  # its own connection to the same database
        self.server = server
        self.every = every
        self.points: list[dict] = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        t0 = time.perf_counter()
        while not self._stop.is_set():
            p = {"t": round(time.perf_counter() - t0, 1), "rss_mb": round(rss_mb(), 1),
                 "py_blocks": sys.getallocatedblocks()}
            try:
                tags = {tag: round(b / 2**20, 1) for tag, b in self.con.execute(
                    "select tag, memory_usage_bytes from duckdb_memory() where memory_usage_bytes > 0").fetchall()}
                p["duckdb_mb"] = round(sum(tags.values()), 1)
                p["duckdb_tags_mb"] = tags
            except Exception:
                pass
            try:
                p["requests"] = _server_stats(self.server)["requests"]
            except Exception:
                pass
            self.points.append(p)
            self._stop.wait(self.every)

    def __enter__(self) -> "Timeline":
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()
        self.con.close()


class UpsertTimer:
    """Counts the GitHub writer's ``upsert`` calls and the wall and process CPU seconds
    spent in them (DuckDB's worker threads included: ``time.process_time``)."""

    def __init__(self):
        from pipelines.sources.github import writer as writer_module

        self.module = writer_module
        self.original = writer_module.upsert
        self.calls = 0
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.by_table: dict[str, list[float]] = {}
        self.each: list[tuple] = []  # (table, rows in, inserted, updated, wall s, CPU s) per call

    def __enter__(self) -> "UpsertTimer":
        def timed(con, table, rows, run_id):
            t0, c0 = time.perf_counter(), time.process_time()
            result = None
            try:
                result = self.original(con, table, rows, run_id)
                return result
            finally:
                dt, dc = time.perf_counter() - t0, time.process_time() - c0
                self.each.append((table, rows.num_rows, getattr(result, "inserted", None),
                                  getattr(result, "updated", None), round(dt, 4), round(dc, 4)))
                self.calls += 1
                self.seconds += dt
                self.cpu_seconds += dc
                n, s, c = self.by_table.get(table, [0, 0.0, 0.0])
                self.by_table[table] = [n + 1, s + dt, c + dc]

        self.module.upsert = timed
        return self

    def __exit__(self, *exc) -> None:
        self.module.upsert = self.original

    def result(self) -> dict:
        return {"calls": self.calls, "seconds": self.seconds, "cpu_seconds": self.cpu_seconds,
                "by_table": {t: {"calls": v[0], "seconds": v[1], "cpu_seconds": v[2]}
                             for t, v in sorted(self.by_table.items())},
                "each": self.each}


class StatementTimer:
    """A stand-in for the ingest's DuckDB connection that times every ``execute``
    (process CPU, DuckDB's threads included), grouped by the statement's first
    words. A ``commit`` includes DuckDB's automatic checkpoint when the WAL has
    grown past ``checkpoint_threshold``."""

    def __init__(self, con):
        self._con = con
        self.by_statement: dict[str, list[float]] = {}

    def __getattr__(self, name):
        return getattr(self._con, name)

    def execute(self, sql, *args, **kwargs):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            key = " ".join(str(sql).split())[:70]
            n, s, c, m = self.by_statement.get(key, [0, 0.0, 0.0, 0.0])
            self.by_statement[key] = [n + 1, s + dt, c + dc, max(m, dc)]

    def result(self) -> list[dict]:
        rows = sorted(self.by_statement.items(), key=lambda kv: -kv[1][2])
        return [{"statement": k, "calls": v[0], "seconds": v[1], "cpu_seconds": v[2], "max_cpu_seconds": v[3]}
                for k, v in rows]


def phase_ingest(args) -> dict:
    import logging

    from pipelines.config import GithubSettings, Workspace
    from pipelines.sources.github import ingest_github
    from pipelines.warehouse.connection import connect_writer

    work = Path(args.work)
    db = work / "warehouse.duckdb"
    log = logging.getLogger("devlens.bench.ingest")
    log.setLevel(logging.INFO)
    handler = logging.FileHandler(work / "ingest.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    ws = Workspace.model_validate({"id": "bench", "sources": [{"github": {"org": "bench-org"}}],
                                   "teams_from_github": True})
    settings = GithubSettings(concurrency=args.concurrency)
    con = connect_writer(db)  # as production opens it (memory_limit included, where the code sets one)
    if args.duckdb_memory_limit:  # an experiment: override the code's memory_limit
        con.execute(f"set memory_limit = '{args.duckdb_memory_limit}'")
    memory_limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
    runs = []
    for n in range(2 if args.rerun else 1):
        s0 = _server_stats(args.server)
        with Timeline(con, args.server, args.sample_every) as tl, UpsertTimer() as upserts:
            t0 = time.perf_counter()
            ru0 = os.times()
            timed_con = StatementTimer(con) if args.statements else None

            def go():
                return ingest_github(timed_con or con, ws, settings, since=START, run_id=f"bench-{n + 1}", log=log,
                                     token="bench-token-not-secret", api_url=args.server,
                                     commit_details=not args.no_details)

            with PeakTracker() as peak:  # the ingest call alone (not the counts and checkpoint after it)
                if args.profile and n == 0:
                    import cProfile

                    prof = cProfile.Profile(time.process_time)  # CPU time: robust to a loaded machine
                    report = prof.runcall(go)
                    prof.dump_stats(str(work / "profile.pstats"))
                else:
                    report = go()
            seconds = time.perf_counter() - t0
            ru1 = os.times()
        s1 = _server_stats(args.server)
        ins, upd = report.rows_inserted(), report.rows_updated()
        runs.append({
            "seconds": seconds,
            "peak_rss_mb": peak.peak_mb,
            "cpu_seconds": (ru1.user - ru0.user) + (ru1.system - ru0.system),
            "requests": report.requests,
            "not_modified": report.not_modified,
            "pages": report.pages,
            "gaps": len(report.gaps),
            "gaps_by_kind": report.gap_counts(),
            "rows_inserted": ins,
            "rows_updated": upd,
            "rows_written": sum(ins.values()) + sum(upd.values()),
            "server_requests": s1["requests"] - s0["requests"] - 1,
            "server_by_kind": {k: v - s0["by_kind"].get(k, 0) for k, v in s1["by_kind"].items()
                               if v - s0["by_kind"].get(k, 0)},
            "server_cpu_seconds": s1["cpu_seconds"] - s0["cpu_seconds"],
            "server_bytes": s1["bytes"] - s0["bytes"],
            "timeline": tl.points,
            "upserts": upserts.result(),
            "statements": timed_con.result() if timed_con else None,
            "completed": report.completed,
        })
    handler.flush()
    counts = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in RAW_TABLES}
    counts["change_log"] = con.execute("select count(*) from raw.change_log").fetchone()[0]
    con.execute("checkpoint")
    size = con.execute("select database_size from pragma_database_size()").fetchone()[0]
    con.close()
    out = {"runs": runs, "raw_rows": counts, "database_size": size, "db_file_mb": db.stat().st_size / 2**20,
           "memory_limit": memory_limit}
    if args.profile:
        import io
        import pstats

        buf = io.StringIO()
        st = pstats.Stats(str(work / "profile.pstats"), stream=buf)
        st.sort_stats("tottime").print_stats(30)
        st.sort_stats("cumulative").print_stats(40)
        (work / "profile.txt").write_text(buf.getvalue())
        out["profile"] = str(work / "profile.txt")
    return out


def phase_http_floor(args) -> dict:
    """The client's HTTP floor: plain httpx GETs of commit details (what dominates an
    ingest's requests) with the ingest's concurrency, JSON parsed, nothing written."""
    import asyncio

    import httpx

    import github_sim

    n = args.http_floor
    org = github_sim.Org(repos=args.repos, commits=args.commits, developers=1, start=0, days=args.days,
                         pr_ratio=args.pr_ratio, base="")
    paths = [f"/repos/{org.full(i % args.repos)}/commits/{org.sha(i % args.repos, (i // args.repos) % org.n_commits(i % args.repos))}"
             for i in range(n)]

    async def main() -> tuple[float, float]:
        sem = asyncio.Semaphore(args.concurrency)
        limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            async def one(path: str) -> None:
                async with sem:
                    r = await client.get(args.server + path)
                    json.loads(r.content)

            t0, c0 = time.perf_counter(), time.process_time()
            await asyncio.gather(*(one(p) for p in paths))
            return time.perf_counter() - t0, time.process_time() - c0

    wall, cpu = asyncio.run(main())
    return {"requests": n, "seconds": wall, "cpu_seconds": cpu, "requests_per_second": n / wall,
            "cpu_ms_per_request": 1000 * cpu / n}


PHASES = {"ingest": phase_ingest, "http_floor": phase_http_floor}


def start_server(args, code) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-u", str(BENCH / "github_sim.py"), "--repos", str(args.repos),
           "--commits", str(args.commits), "--days", str(args.days), "--start", START.isoformat(),
           "--pr-ratio", str(args.pr_ratio)]
    if args.developers:
        cmd += ["--developers", str(args.developers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=child_env(code))
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("LISTENING "):
        proc.kill()
        raise SystemExit(f"the simulated GitHub server did not start: {line!r}")
    return proc, line.split()[1]


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def run_case(args, code, label: str) -> dict:
    suffix = ("-nodetails" if args.no_details else "") + (f"-mem{args.duckdb_memory_limit}" if args.duckdb_memory_limit else "")
    work = Path(args.work_root) / f"ingest-{args.repos}x{args.commits}{suffix}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    print(f"ingest benchmark [{label}]: {args.repos} repositories, {args.commits:,} commits -> {work}", flush=True)
    server, url = start_server(args, code)
    try:
        child = ["--work", str(work), "--server", url, "--concurrency", str(args.concurrency),
                 "--sample-every", str(args.sample_every)]
        child += ["--rerun"] if args.rerun else []
        child += ["--no-details"] if args.no_details else []
        child += ["--profile"] if args.profile else []
        child += ["--statements"] if args.statements else []
        child += ["--duckdb-memory-limit", args.duckdb_memory_limit] if args.duckdb_memory_limit else []
        phases = (["http_floor"] if args.http_floor else []) + ["ingest"]
        results = run_phases(Path(__file__), phases, child + ["--http-floor", str(args.http_floor)],
                             work / "phase.log", env=child_env(code))
        res = results[-1]
        floor = results[0] if args.http_floor else None
        final = _server_stats(url)
    finally:
        stop_server(server)
    out = {"label": label, "repos": args.repos, "commits": args.commits, "concurrency": args.concurrency,
           "work": str(work), "wall_seconds": res.wall_seconds, "cpu_seconds": res.cpu_seconds,
           "peak_rss_mb": res.peak_rss_mb, "process_max_rss_mb": res.process_max_rss_mb, "load": res.load,
           "server_max_rss_mb": final["max_rss_mb"], "result": res.result,
           "http_floor": floor.result if floor else None}
    (work / "results.json").write_text(json.dumps(out, indent=2, default=str))
    return out


def _stages(work: Path) -> dict[str, float]:
    """Seconds per stage of the first repository, from the ingest log (meaningful for one repository)."""
    import re
    from datetime import datetime as dt

    marks: dict[str, float] = {}
    pats = [("start", r": collecting \(default branch"), ("pulls", r": pull requests page 1:"),
            ("comments_or_details", r": fetching \d+ commit details|review comments page"),
            ("done", r"\]\s+\S+: done in ")]
    try:
        text = (work / "ingest.log").read_text().splitlines()
    except OSError:
        return {}
    for line in text:
        for name, pat in pats:
            if name not in marks and re.search(pat, line):
                marks[name] = dt.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    out = {}
    if {"start", "pulls"} <= marks.keys():
        out["default-branch commits"] = marks["pulls"] - marks["start"]
    if {"pulls", "comments_or_details"} <= marks.keys():
        out["pull requests (+ PR commits, files, reviews)"] = marks["comments_or_details"] - marks["pulls"]
    if {"comments_or_details", "done"} <= marks.keys():
        out["review comments + commit details"] = marks["done"] - marks["comments_or_details"]
    return out


def _rate_drift(run: dict) -> str:
    """Requests/s in the first and the last fifth of the run (from the timeline)."""
    pts = [p for p in run["timeline"] if "requests" in p]
    if len(pts) < 6:
        return "-"
    n = len(pts)
    a, b = pts[0], pts[n // 5]
    c, d = pts[n - 1 - n // 5], pts[-1]

    def rate(x, y):
        return (y["requests"] - x["requests"]) / max(1e-9, y["t"] - x["t"])

    return f"{rate(a, b):.0f} -> {rate(c, d):.0f}"


def describe(cases: list[dict], info: dict, args) -> str:
    lines = ["## Ingest benchmark", "",
             f"{info['date_utc']}; {info['cores']} cores ({info['cpu']}), {info['memory_gb']} GB RAM; "
             f"Python {info['python']}, DuckDB {info.get('duckdb')}, httpx {info.get('httpx')}; code: {info.get('code')}; "
             f"client concurrency {args.concurrency}", ""]
    lines.append("| case | commits | PRs | reviews | rows written | requests | wall | rows/s | requests/s | "
                 "req/s first->last fifth | client CPU | server CPU | peak RSS | load 1m mean/max | other procs |")
    lines.append("|---" * 15 + "|")
    for c in cases:
        r = c["result"]
        first = r["runs"][0]
        raw = r["raw_rows"]
        ld = c["load"]
        lines.append(
            f"| {c['label']} | {raw['commits']:,} | {raw['pull_requests']:,} | {raw['reviews']:,} | "
            f"{first['rows_written']:,} | {first['requests']:,} | {fmt_s(first['seconds'])} | "
            f"{first['rows_written'] / first['seconds']:,.0f} | {first['requests'] / first['seconds']:,.0f} | "
            f"{_rate_drift(first)} | {first['cpu_seconds'] / first['seconds']:.2f} cores | "
            f"{first['server_cpu_seconds'] / first['seconds']:.2f} cores | {fmt_mb(first.get('peak_rss_mb'))} | "
            f"{ld['loadavg_1m_mean']} / {ld['loadavg_1m_max']} | {ld.get('other_processes_cores')} |")
    lines.append("")
    if args.memory_check:
        lines.append("| case | rows written | requests | wall | rows/s | requests/s (first -> last fifth) | "
                     "client CPU per request | upsert CPU | peak RSS of the ingest call | DuckDB memory (max) | "
                     "Python allocated blocks | memory_limit | load 1m mean/max | other procs |")
        lines.append("|---" * 14 + "|")
        for c in cases:
            first = c["result"]["runs"][0]
            tl = first["timeline"]
            ld = c["load"]
            duck = max((p["duckdb_mb"] for p in tl if "duckdb_mb" in p), default=None)
            blocks = [p["py_blocks"] for p in tl] or [0]
            up = first.get("upserts") or {}
            lines.append(
                f"| {c['label']} | {first['rows_written']:,} | {first['requests']:,} | {fmt_s(first['seconds'])} | "
                f"{first['rows_written'] / first['seconds']:,.0f} | {first['requests'] / first['seconds']:,.0f} "
                f"({_rate_drift(first)}) | {1000 * first['cpu_seconds'] / max(1, first['requests']):.2f} ms | "
                f"{fmt_s(up.get('cpu_seconds'))} | {fmt_mb(first.get('peak_rss_mb'))} | {fmt_mb(duck)} | "
                f"{min(blocks) / 1e6:.2f}-{max(blocks) / 1e6:.2f} million | {c['result'].get('memory_limit', '-')} | "
                f"{ld['loadavg_1m_mean']} / {ld['loadavg_1m_max']} | {ld.get('other_processes_cores')} |")
        lines.append("")
    for c in cases:
        r = c["result"]
        first = r["runs"][0]
        tl = first["timeline"]
        if c.get("http_floor"):
            f = c["http_floor"]
            first_cpu_ms = 1000 * first["cpu_seconds"] / max(1, first["requests"])
            lines.append(f"**{c['label']}** HTTP floor (plain httpx GETs of commit details, same concurrency, JSON "
                         f"parsed, nothing written): {f['requests_per_second']:,.0f} requests/s, "
                         f"{f['cpu_ms_per_request']:.2f} ms client CPU per request; the ingest used "
                         f"{first_cpu_ms:.2f} ms per request ({first_cpu_ms / f['cpu_ms_per_request']:.1f}x).")
        lines.append(f"**{c['label']}**: raw rows {json.dumps(r['raw_rows'])}; warehouse {r['database_size']} "
                     f"({r['db_file_mb']:.0f} MB file); requests by kind {json.dumps(first['server_by_kind'])}; "
                     f"gaps {first['gaps']}; DuckDB memory_limit {r.get('memory_limit', '-')}.")
        up = first.get("upserts")
        if up:
            tables = sorted(up["by_table"].items(), key=lambda kv: -kv[1]["cpu_seconds"])[:3]
            lines.append(f"Upserts: {up['calls']:,} calls, {fmt_s(up['seconds'])} wall, {fmt_s(up['cpu_seconds'])} CPU "
                         f"({100 * up['cpu_seconds'] / max(1e-9, first['cpu_seconds']):.0f}% of the ingest's CPU); "
                         "heaviest: " + ", ".join(
                             f"{t} {v['calls']:,} calls {fmt_s(v['cpu_seconds'])} CPU" for t, v in tables) + ".")
        if first.get("statements"):
            st = first["statements"]
            lines.append("DuckDB statements by CPU (calls, CPU, max CPU of one): " + "; ".join(
                f"`{x['statement'][:45]}` {x['calls']:,}, {fmt_s(x['cpu_seconds'])}, {fmt_s(x['max_cpu_seconds'])}"
                for x in st[:6]) + f"; all statements {fmt_s(sum(x['cpu_seconds'] for x in st))} CPU.")
        if tl:
            marks = [tl[int(i * (len(tl) - 1) / 4)] for i in range(5)]
            lines.append("Timeline (t s: RSS MB / Python blocks / DuckDB MB / requests): " + "; ".join(
                f"{p['t']}: {p['rss_mb']:.0f} / {p['py_blocks']:,} / {p.get('duckdb_mb', '-')} / "
                f"{p.get('requests', '-')}" for p in marks))
        if c["repos"] == 1:
            st = _stages(Path(c["work"]))
            if st:
                lines.append("Stages of the repository (from the ingest log): " + "; ".join(
                    f"{k} {fmt_s(v)}" for k, v in st.items()) + ".")
        if len(r["runs"]) > 1:
            rr = r["runs"][1]
            lines.append(f"Incremental re-run (nothing changed): {fmt_s(rr['seconds'])}, {rr['requests']:,} requests "
                         f"({rr['not_modified']:,} answered 304), rows inserted {sum(rr['rows_inserted'].values())}, "
                         f"updated {sum(rr['rows_updated'].values())}; by kind {json.dumps(rr['server_by_kind'])}.")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repos", type=int, default=5)
    p.add_argument("--commits", type=int, default=5_000, help="total over all repositories")
    p.add_argument("--developers", type=int, default=0, help="default: commits / 430")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--pr-ratio", type=float, default=0.2)
    p.add_argument("--concurrency", type=int, default=4, help="github.concurrency (the config default is 4)")
    p.add_argument("--no-details", action="store_true", help="skip /commits/{sha} (commit_details=False)")
    p.add_argument("--rerun", action="store_true", help="also time an incremental re-run with nothing changed")
    p.add_argument("--memory-check", action="store_true",
                   help="run 1 repo x 50,000 commits and 1 repo x 200,000 commits and compare peak RSS")
    p.add_argument("--memory-sizes", default="50000,200000", metavar="A,B",
                   help="--memory-check: the two repository sizes in commits (default 50000,200000; "
                        "20000,80000 takes about a quarter of the time)")
    p.add_argument("--sample-every", type=float, default=2.0)
    p.add_argument("--duckdb-memory-limit", metavar="SIZE",
                   help="experiment: SET memory_limit on the ingest's connection (e.g. 512MB) after connect_writer; "
                        "default: whatever connect_writer of the code under test sets")
    p.add_argument("--http-floor", type=int, default=3000,
                   help="first time this many plain httpx GETs of commit details (0: skip)")
    p.add_argument("--profile", action="store_true",
                   help="cProfile the (first) ingest run: bench/out/ingest-*/profile.txt (slows the run)")
    p.add_argument("--statements", action="store_true",
                   help="time every DuckDB statement of the ingest (grouped by its first words; a commit "
                        "includes DuckDB's automatic checkpoints)")
    p.add_argument("--code", metavar="REF", help="benchmark a git ref extracted under bench/out/")
    p.add_argument("--work-root", default=str(OUT))
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("--work", help=argparse.SUPPRESS)
    p.add_argument("--server", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.phase:
        run_child_phases(args.phase.split(","), PHASES, args)
        return 0

    code, label = None, None
    if args.code:
        code, sha = snapshot_code(args.code)
        label = f"git {args.code} = {sha}"
    info = machine_info(label)
    cases = []
    lim = f", memory_limit {args.duckdb_memory_limit}" if args.duckdb_memory_limit else ""
    sizes = [int(x) for x in args.memory_sizes.split(",")]
    if args.memory_check:
        for commits in sizes:
            a = argparse.Namespace(**{**vars(args), "repos": 1, "commits": commits})
            cases.append(run_case(a, code, f"1 repo x {commits:,}{lim}"))
    else:
        cases.append(run_case(args, code, f"{args.repos} repos x {args.commits:,}{lim}"))
    text = describe(cases, info, args)
    if args.memory_check and len(cases) == 2:
        pa, pb = (c["result"]["runs"][0]["peak_rss_mb"] for c in cases)
        ta, tb = (max(p["duckdb_mb"] for p in c["result"]["runs"][0]["timeline"] if "duckdb_mb" in p) for c in cases)
        text += (f"\nMemory vs history: peak RSS of the ingest call {fmt_mb(pa)} at {sizes[0]:,} commits, {fmt_mb(pb)} "
                 f"at {sizes[1]:,} (x{pb / pa:.2f} for {sizes[1] / sizes[0]:g}x the history); DuckDB's own memory at "
                 f"most {ta:.0f} MB and {tb:.0f} MB.\n")
    name = ("memory-check" + ("" if sizes == [50_000, 200_000] else f"-{sizes[0]}-{sizes[1]}")
            if args.memory_check else f"{args.repos}x{args.commits}") + (
        f"-mem{args.duckdb_memory_limit}" if args.duckdb_memory_limit else "")
    out = Path(args.work_root) / f"ingest-summary-{name}.md"
    out.write_text(text + "\n")
    (Path(args.work_root) / f"ingest-summary-{name}.json").write_text(
        json.dumps({"machine": info, "cases": cases}, indent=2, default=str))
    print()
    print(text)
    print(f"summary: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

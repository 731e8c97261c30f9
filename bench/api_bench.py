"""API load test: a single-developer rollup lookup and a leaderboard under wrk,
against a trivial FastAPI route on the same server as the ceiling.

    .venv/bin/python bench/api_bench.py                 # 1,000 developers x 365 days, 8 connections, 30 s
    .venv/bin/python bench/api_bench.py --duration 5    # a quick look

The data: ``devlens demo --no-serve --developers 1000 --days 365`` in its own
work dir (``bench/out/api/``: its own devlens.yaml, warehouse, serving store
and DAGSTER_HOME), generated on the first run and reused afterwards.

The server: the same app as ``devlens serve`` (``serve.app.create_app``,
uvicorn, one process, log level info: request logs on) plus one route,
``GET /bench/ping`` -> ``{"status": "ok"}`` (async, no auth, no store), added
only in this script: the ceiling of FastAPI + uvicorn + the app's middleware
on this machine. Each scenario's wrk script walks a list of URLs so the load
is spread over developers and periods rather than one cached row:

- ``rollup``: ``/workspaces/demo/insights/developers/{id}?period_type=weekly&period_start=W``
  over every developer and 52 weeks;
- ``leaderboard``: ``/workspaces/demo/insights/leaderboards/{category}?metric=M&period_start=W&limit=50``
  over every category's first two metrics and every week.

Needs ``wrk`` (Debian package ``wrk``). Prints a Markdown table and writes
``bench/out/api-bench.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
KEY = "devlens-demo-key"  # the demo key of devlens.yaml
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --- the server (run in a child process) ----------------------------------------------------
def serve(config: Path, port: int, quiet: bool = False) -> None:
    import logging

    import uvicorn

    from serve.app import create_app

    app = create_app(config)
    if quiet:  # --no-request-logs: neither uvicorn's access log nor the API's request log
        logging.getLogger("devlens.api").setLevel(logging.WARNING)

    @app.get("/bench/ping", include_in_schema=False)
    async def ping():
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning" if quiet else "info")


# --- data -------------------------------------------------------------------------------------
def ensure_data(work: Path, developers: int, days: int) -> Path:
    config = work / "devlens.yaml"
    if (work / ".devlens" / "serving" / "CURRENT").exists():
        return config
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "devlens.yaml", config)
    env = dict(os.environ, DAGSTER_HOME=str(work / "dagster"))
    env.pop("DEVLENS_CONFIG", None)
    print(f"generating {developers} developers x {days} days into {work} (takes a while)...", flush=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "pipelines.cli", "--config", str(config), "demo", "--no-serve",
                    "--developers", str(developers), "--days", str(days)],
                   cwd=work, env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"generated in {time.monotonic() - started:.0f} s", flush=True)
    return config


def url_lists(work: Path) -> dict[str, list[str]]:
    import duckdb

    serving = work / ".devlens" / "serving"
    current = json.loads((serving / "CURRENT").read_text())["file"]
    con = duckdb.connect(str(serving / current), read_only=True)
    try:
        devs = [r[0] for r in con.execute(
            "select developer_id from staging.stg_developers where workspace_id = 'demo' and developer_id not like '%@%' "
            "order by 1").fetchall()]
        weeks = [r[0] for r in con.execute(
            "select partition_key from meta.partition_ledger where asset_key = 'weekly/developer_snapshot' "
            "order by 1").fetchall()]
    finally:
        con.close()
    from serve.routes.insights import DEVELOPER_KEYS

    rng = random.Random(7)
    base = "/workspaces/demo/insights"
    rollup = [f"{base}/developers/{d}?period_type=weekly&period_start={w}" for d in devs for w in weeks[-52:]]
    rng.shuffle(rollup)
    boards = [f"{base}/leaderboards/{c}?metric={m}&period_type=weekly&period_start={w}&limit=50"
              for c, keys in DEVELOPER_KEYS.items() for m in keys[:2] for w in weeks]
    rng.shuffle(boards)
    return {"ceiling": ["/bench/ping"], "rollup": rollup[:20000], "leaderboard": boards,
            "_meta": [f"{len(devs)} developers", f"{len(weeks)} weeks"]}


# --- wrk --------------------------------------------------------------------------------------
LUA = """
local paths = {%s}
local i = 0
init = function(args)
  i = math.random(#paths)
end
request = function()
  i = (i %% #paths) + 1
  return wrk.format("GET", paths[i], {["Authorization"] = "Bearer %s"})
end
"""


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    n, unit = float(m.group(1)), m.group(2)
    return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(base: str, name: str, paths: list[str], duration: int, connections: int, threads: int,
            server_pid: int) -> dict:
    script = OUT / f"api-bench-{name}.lua"
    script.write_text(LUA % (", ".join(json.dumps(p) for p in paths), KEY))
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency", "-s", str(script),
           base]
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds(server_pid)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    server_cpu = cpu_seconds(server_pid) - cpu_before
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"scenario": name, "requests": total, "rps": rps, "p50_ms": _ms(pct["50"]), "p90_ms": _ms(pct["90"]),
            "p99_ms": _ms(pct["99"]), "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1) if errors else None, "urls": len(paths),
            "server_cpu_s": round(server_cpu, 2), "server_cpu_us_per_request": round(server_cpu / total * 1e6, 1),
            "load_avg_before": round(load_before, 2), "wrk": out}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", type=Path, default=OUT / "api", help="work dir with the 1,000-developer year")
    p.add_argument("--developers", type=int, default=1000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--duration", type=int, default=30, help="seconds per scenario")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--no-request-logs", action="store_true",
                   help="run the server without request logs (both uvicorn's and the API's), for comparison")
    p.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # internal: run the server for this config
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.no_request_logs)
        return 0
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    OUT.mkdir(parents=True, exist_ok=True)
    config = ensure_data(args.work, args.developers, args.days)
    urls = url_lists(args.work)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(OUT / "api-bench-server.log", "w")
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(config), "--port", str(port),
                               *(["--no-request-logs"] if args.no_request_logs else [])],
                              cwd=args.work, stdout=log, stderr=subprocess.STDOUT)
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"the API did not start; see {OUT / 'api-bench-server.log'}")
            time.sleep(0.2)
        auth = {"Authorization": f"Bearer {KEY}"}
        cold = {}
        for name in ("rollup", "leaderboard"):
            # The first request for a period (and metric) reads it from the file into the data
            # version's row cache: time a few such cold requests, then warm every period.
            seen, times = set(), []
            for path in urls[name]:
                key = re.sub(r"developers/[^?]+", "developers/*", path)
                if key in seen:
                    continue
                seen.add(key)
                started = time.perf_counter()
                r = httpx.get(base + path, headers=auth, timeout=30)
                times.append((time.perf_counter() - started) * 1000)
                if r.status_code != 200:
                    raise SystemExit(f"{path}: {r.status_code} {r.text[:200]}")
            cold[name] = {"first_requests": len(times), "median_ms": round(sorted(times)[len(times) // 2], 2),
                          "max_ms": round(max(times), 2)}
        r = httpx.get(base + "/bench/ping", timeout=10)
        assert r.status_code == 200
        results = []
        for name in ("ceiling", "rollup", "leaderboard", "ceiling"):
            print(f"wrk {name}: {args.connections} connections, {args.duration} s ...", flush=True)
            results.append(run_wrk(base, name, urls[name], args.duration, args.connections, args.threads,
                                   server.pid))
        rss_mb = next(int(line.split()[1]) for line in Path(f"/proc/{server.pid}/status").read_text().splitlines()
                      if line.startswith("VmRSS:")) / 1024
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    ceiling = max(r["rps"] for r in results if r["scenario"] == "ceiling")
    ceiling_cpu = min(r["server_cpu_us_per_request"] for r in results if r["scenario"] == "ceiling")
    rows = []
    for r in results:
        r["share_of_ceiling"] = round(r["rps"] / ceiling, 3)
        # The same ratio from the server's own CPU time per request: what the share would be with the
        # server alone on its core, unaffected by whatever else the machine runs meanwhile.
        r["share_of_ceiling_by_cpu"] = round(ceiling_cpu / r["server_cpu_us_per_request"], 3)
        rows.append(f"| {r['scenario']} | {r['rps']:.0f} | {r['share_of_ceiling']:.0%} | {r['p50_ms']:.2f} | "
                    f"{r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['server_cpu_us_per_request']:.0f} | "
                    f"{r['share_of_ceiling_by_cpu']:.0%} | {r['requests']} | {r['non_2xx']} |")
    doc = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.platform(),
           "cpus": os.cpu_count(), "data": urls["_meta"], "connections": args.connections,
           "duration_s": args.duration, "wrk_threads": args.threads, "request_logs": not args.no_request_logs, "cold_first_requests": cold,
           "server_rss_mb_after": round(rss_mb),
           "results": results}
    (OUT / ("api-bench-nologs.json" if args.no_request_logs else "api-bench.json")).write_text(json.dumps(doc, indent=2))
    rollup = next(r for r in results if r["scenario"] == "rollup")
    print("\n| scenario | req/s | of ceiling | p50 ms | p90 ms | p99 ms | server CPU µs/req | of ceiling by CPU "
          "| requests | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print(f"\ndata: {', '.join(urls['_meta'])}; {os.cpu_count()} CPUs; wrk and the server share them; "
          f"load average before each run: {', '.join(str(r['load_avg_before']) for r in results)}")
    for name, c in cold.items():
        print(f"cold (first request of a period{' and metric' if name == 'leaderboard' else ''}, before the runs): "
              f"{name} median {c['median_ms']} ms, max {c['max_ms']} ms over {c['first_requests']} requests")
    print(f"server resident memory after the runs (every weekly period and ranking cached): {rss_mb:.0f} MB")
    ok = rollup["share_of_ceiling"] >= 0.5 and rollup["p99_ms"] < 25
    print(f"targets (rollup >= 50% of ceiling req/s, p99 < 25 ms): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

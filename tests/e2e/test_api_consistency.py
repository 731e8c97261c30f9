"""The API under load while a backfill rewrites partitions and publishes.

A copy of the demo deployment gets its own API; ``devlens backfill`` over
the demo range (weekly periods; ``BACKFILLS`` times, each ending with a
publish) runs in another process while four threads hammer the API for the
backfill's whole duration. Every answer
must be a 200 whose values are exactly those of the data version it names
in ``X-DevLens-Data-Version`` (the test keeps every version file to compare
against), and the API process must only ever hold serving files, read-only.
"""

import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import httpx
import pytest

from .conftest import DEMO_KEY, ApiServer, cli_env

AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}
WS = "/workspaces/demo/insights"
VELOCITY = ("commits_count", "prs_merged", "lines_added", "lines_removed", "net_lines", "commit_frequency",
            "pr_throughput", "avg_commit_size")
REQUESTS = [
    ("velocity", f"{WS}/developers/alice/velocity", {"period_type": "weekly", "period_start": "2024-01-08"}),
    ("velocity", f"{WS}/developers/carol/velocity", {"period_type": "daily", "period_start": "2024-01-10"}),
    ("rollup", f"{WS}/developers/bob", {}),
    ("leaderboard", f"{WS}/leaderboards/velocity", {"metric": "commits_count", "period_start": "2024-01-15",
                                                     "limit": "5"}),
    ("sync", f"{WS}/sync-status", {"period_type": "weekly"}),
]
MAX_REQUESTS = 500_000  # a safety bound; the hammer stops when the backfills end
BACKFILLS = 1  # each one rewrites every weekly partition and publishes a new version


def _rows(con, sql, params=()):
    cur = con.execute(sql, list(params))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _iso(ts):
    return ts.replace(microsecond=0).isoformat() + "Z"


def _open_duckdb_files(pid: int) -> list[tuple[str, int]]:
    """(path, open flags) of every DuckDB file the process holds."""
    out = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
            if ".duckdb" not in target:
                continue
            flags = next(int(line.split()[1], 8) for line in Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
                         .splitlines() if line.startswith("flags:"))
        except (FileNotFoundError, StopIteration):
            continue  # closed meanwhile
        out.append((target, flags))
    return out


class Versions:
    """What each kept data version file says, read once per (version, question)."""

    def __init__(self, serving: Path):
        self.serving = serving
        self._cache: dict = {}

    def _ask(self, version: int, key, compute):
        if (version, key) not in self._cache:
            con = duckdb.connect(str(self.serving / f"v{version:06d}.duckdb"), read_only=True)
            try:
                self._cache[(version, key)] = compute(con)
            finally:
                con.close()
        return self._cache[(version, key)]

    def ledger(self, version: int) -> dict:
        return self._ask(version, "ledger", lambda con: {
            (r["asset_key"], r["partition_key"]): r["computed_at"]
            for r in _rows(con, "select asset_key, partition_key, computed_at from meta.partition_ledger")})

    def velocity(self, version: int, pt: str, developer: str, start: str) -> dict:
        def compute(con):
            row = _rows(con, f"select * from {pt}.developer_snapshot where workspace_id = 'demo' "
                             "and developer_id = ? and period_start = ?", [developer, start])
            return {k: (row[0][k] if row else 0) for k in VELOCITY}
        return self._ask(version, ("velocity", pt, developer, start), compute)

    def leaderboard(self, version: int) -> list:
        return self._ask(version, "leaderboard", lambda con: _rows(
            con, "select developer_id, commits_count as value from weekly.developer_snapshot "
                 "where workspace_id = 'demo' and period_start = date '2024-01-15' "
                 "order by value desc, developer_id limit 5"))

    def check(self, version: int, kind: str, body: dict) -> None:
        ledger = self.ledger(version)
        if kind in ("velocity", "rollup"):
            pt, start = body["period_type"], body["period_start"]
            metrics = body["metrics"] if kind == "velocity" else body["velocity"]
            assert metrics == self.velocity(version, pt, body["developer_id"], start)
            assert body["computed_at"] == _iso(ledger[(f"{pt}/developer_snapshot", start)])
            if kind == "rollup":
                assert start == max(k for a, k in ledger if a == "weekly/developer_snapshot")
        elif kind == "leaderboard":
            assert [{"developer_id": i["developer_id"], "value": i["value"]} for i in body["items"]] == \
                self.leaderboard(version)
            assert body["computed_at"] == _iso(ledger[("weekly/developer_snapshot", "2024-01-15")])
        elif kind == "sync":
            assert body["data_version"] == version
            for a in body["assets"]:
                latest = max(k for asset, k in ledger if asset == a["asset"])
                assert a["latest_partition"] == latest and a["computed_at"] == _iso(ledger[(a["asset"], latest)])


@pytest.mark.timeout(900)  # a backfill in a subprocess while four threads hammer the API: CPU-bound on 2 cores
def test_answers_stay_consistent_while_a_backfill_publishes(demo_deployment, tmp_path):
    src, config, _ = demo_deployment
    work = tmp_path / "deployment"
    shutil.copytree(src, work, ignore=shutil.ignore_patterns("*.log", "*.tmp"))
    cfg = work / "devlens.yaml"
    text = config.read_text()
    assert "  serving_dir: .devlens/serving\n" in text
    cfg.write_text(text.replace("  serving_dir: .devlens/serving\n",
                                "  serving_dir: .devlens/serving\n  keep_versions: 50\n"))
    serving = work / ".devlens" / "serving"
    warehouse = (work / ".devlens" / "warehouse.duckdb").resolve()
    first_version = max(int(p.stem[1:]) for p in serving.glob("v*.duckdb"))

    server = ApiServer(work, cfg)
    done = threading.Event()
    backfill_errors: list[str] = []

    def backfill_loop():
        try:
            for _ in range(BACKFILLS):
                proc = subprocess.run(
                    [sys.executable, "-m", "pipelines.cli", "--config", str(cfg), "backfill", "--from", "2024-01-01",
                     "--to", "2024-01-21", "--period-type", "weekly"],
                    cwd=work, env=cli_env(work), capture_output=True, text=True, timeout=600)
                if proc.returncode != 0:
                    backfill_errors.append(proc.stdout + proc.stderr)
                    return
        finally:
            done.set()

    # Every answer is counted; identical ones (same version, route and body) are checked once.
    answers: dict[tuple[int, str, str], dict] = {}
    counted = [0]
    failures: list[str] = []
    fd_problems: list[str] = []
    lock = threading.Lock()

    def hammer(worker: int):
        with httpx.Client(base_url=server.base, headers=AUTH, timeout=30) as client:
            i = worker
            while not done.is_set() and counted[0] + len(failures) < MAX_REQUESTS:
                kind, path, params = REQUESTS[i % len(REQUESTS)]
                i += 1
                try:
                    r = client.get(path, params=params)
                except httpx.HTTPError as e:
                    with lock:
                        failures.append(f"{path}: {e!r}")
                    continue
                with lock:
                    if r.status_code != 200:
                        failures.append(f"{path} {params}: {r.status_code} {r.text[:300]}")
                    else:
                        counted[0] += 1
                        answers.setdefault((int(r.headers["X-DevLens-Data-Version"]), kind, r.text), r.json())

    def watch_files():
        while not done.is_set():
            for path, flags in _open_duckdb_files(server.proc.pid):
                resolved = Path(path).resolve()
                if resolved == warehouse or resolved.parent != serving.resolve() or flags & os.O_ACCMODE:
                    fd_problems.append(f"{path} flags {oct(flags)}")
            time.sleep(0.2)

    try:
        writer = threading.Thread(target=backfill_loop)
        writer.start()
        with ThreadPoolExecutor(5) as pool:
            workers = [pool.submit(hammer, w) for w in range(4)] + [pool.submit(watch_files)]
            writer.join(timeout=900)
            done.set()
            for w in workers:
                w.result()
        final = httpx.get(server.base + REQUESTS[0][1], params=REQUESTS[0][2], headers=AUTH, timeout=30)
        answers.setdefault((int(final.headers["X-DevLens-Data-Version"]), REQUESTS[0][0], final.text), final.json())
        assert int(final.headers["X-DevLens-Data-Version"]) == first_version + BACKFILLS
    finally:
        done.set()
        server.stop()

    assert not backfill_errors, backfill_errors[0][-3000:]
    assert not failures, f"{len(failures)} failed requests, e.g. {failures[:5]}"
    assert not fd_problems, fd_problems[:5]
    versions = sorted({v for v, _, _ in answers})
    last_version = max(int(p.stem[1:]) for p in serving.glob("v*.duckdb"))
    assert last_version == first_version + BACKFILLS
    # The API followed the publishes without a restart.
    assert len(versions) >= 2, versions
    assert counted[0] >= 100
    print(f"{counted[0]} answers ({len(answers)} distinct) from data versions {versions}, backfills: {BACKFILLS}")
    kept = Versions(serving)
    for (version, kind, _), body in answers.items():
        kept.check(version, kind, body)
    # The computed_at of every rewritten partition moved, so matching them above tells versions apart.
    assert kept.ledger(versions[0])[("weekly/developer_snapshot", "2024-01-15")] != \
        kept.ledger(versions[-1])[("weekly/developer_snapshot", "2024-01-15")]

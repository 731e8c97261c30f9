"""Shared helpers for the DevLens benchmarks (not part of the test suite).

- Peak memory: ``VmHWM`` of ``/proc/self/status`` (the process's peak RSS),
  which can be reset between phases by writing ``5`` to
  ``/proc/self/clear_refs``; ``resource.getrusage`` gives the same number
  without a reset.
- Load: phases run in child processes (:func:`run_phases`); each phase samples
  the 1-minute load average while it runs and reads ``/proc/stat`` at both
  ends, so the CPU used by *other* processes (tests running beside the
  benchmark) is the machine's busy time minus the phase's own user+system
  time (``getrusage``, all threads).
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
OUT = BENCH / "out"
RESULT_MARK = "@@BENCH-RESULT@@ "

# The code under test: the working tree, or a snapshot of a git ref
# (``--code REF``: ``git archive`` into bench/out/code-<sha>/), so that a
# benchmark measures one known commit while others edit the working tree.
CODE = Path(os.environ.get("DEVLENS_BENCH_CODE") or ROOT)
if str(CODE) not in sys.path:
    sys.path.insert(0, str(CODE))


def snapshot_code(ref: str) -> tuple[Path, str]:
    """Extract ``ref`` of the repository into bench/out/code-<sha>; (path, sha)."""
    sha = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    dest = OUT / f"code-{sha}"
    if not (dest / "pipelines").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest, sha


# A benchmark deployment's devlens.yaml: one workspace with the demo's bots,
# identities and schedules; ``sources`` is the YAML after ``sources:``.
_CONFIG_TEMPLATE = """\
# Written by bench/{script}: a deployment of its own for one benchmark run.
calendar:
  start: {start}
  biweekly_anchor: {start}
warehouse:
  path: warehouse.duckdb
  serving_dir: serving
workspaces:
  - id: bench
    name: Benchmark organisation
    sources:{sources}
    teams_from_github: true
    bots: [ci-runner]
    identities:
      alice: [alice@old.example.com]
    working_schedules:
      alice: {{timezone: Europe/Berlin}}
      bob: {{timezone: America/New_York}}
      carol: {{timezone: Asia/Kolkata}}
      grace: {{timezone: Asia/Tokyo, working_days: [mon, tue, wed, thu]}}
    settings:
      default_timezone: UTC
      working_days: [mon, tue, wed, thu, fri]
"""


def bench_config(script: str, start, sources: str) -> str:
    """The config text; ``sources`` e.g. ``demo_source(...)`` or ``" []"``."""
    return _CONFIG_TEMPLATE.format(script=script, start=start.isoformat(), sources=sources)


def demo_source(developers: int, days: int, seed: int) -> str:
    return f"\n      - demo: {{developers: {developers}, days: {days}, seed: {seed}}}"


def from_backfill_arguments(p, what: str) -> None:
    """``--from`` (a backfill benchmark's work dir) and ``--code`` for a script that works on a copy of it."""
    p.add_argument("--from", dest="src", default=str(OUT / "backfill-1000x365"),
                   help=f"a backfill benchmark work dir whose {what} to copy")
    p.add_argument("--code", metavar="REF", help="benchmark a git ref (default: the working tree)")


def use_code(ref: str | None) -> None:
    """Import ``pipelines`` from a snapshot of ``ref`` (None: the working tree)."""
    if ref:
        code, _ = snapshot_code(ref)
        sys.path.insert(0, str(code))


# -- memory -----------------------------------------------------------------------


def _status_kb(field_name: str) -> int:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    m = re.search(rf"^{field_name}:\s+(\d+)\s+kB", text, re.M)
    return int(m.group(1)) if m else 0


def rss_mb() -> float:
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    """Peak RSS since the process started or the last :func:`reset_peak`."""
    hwm = _status_kb("VmHWM")
    if hwm:
        return hwm / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_carried_peak_mb = 0.0  # peaks seen before resets inside the current section


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if not possible.

    The peak before the reset is carried into :func:`section_peak_mb`, so an
    inner reset never hides an outer section's peak."""
    global _carried_peak_mb
    _carried_peak_mb = max(_carried_peak_mb, peak_rss_mb())
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def start_section() -> None:
    """Begin an outer section: forget carried peaks and reset VmHWM."""
    global _carried_peak_mb
    reset_peak()
    _carried_peak_mb = 0.0


def section_peak_mb() -> float:
    return max(_carried_peak_mb, peak_rss_mb())


class PeakTracker:
    """Peak RSS of a code section: ``with PeakTracker() as p: ...; p.peak_mb``."""

    def __enter__(self) -> "PeakTracker":
        self.resettable = reset_peak()
        self.start_mb = rss_mb()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.t0
        self.peak_mb = peak_rss_mb()
        self.end_mb = rss_mb()


# -- load and CPU ----------------------------------------------------------------------


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    vals = [int(v) for v in first[:8]]
    idle = vals[3] + vals[4]  # idle + iowait
    total = sum(vals)
    return total - idle, total


class LoadSampler:
    """Samples the 1-minute load average every ``every`` seconds in a thread."""

    def __init__(self, every: float = 2.0):
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(self.every)

    def __enter__(self) -> "LoadSampler":
        self.start = os.getloadavg()
        self.busy0, self.total0 = _cpu_jiffies()
        self.t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.end = os.getloadavg()
        self.seconds = time.perf_counter() - self.t0
        busy1, total1 = _cpu_jiffies()
        self.busy_jiffies = busy1 - self.busy0
        self.total_jiffies = total1 - self.total0

    def summary(self, own_cpu_seconds: float | None = None) -> dict:
        ticks = os.sysconf("SC_CLK_TCK")
        busy_s = self.busy_jiffies / ticks
        out = {
            "loadavg_1m_start": round(self.start[0], 2),
            "loadavg_1m_end": round(self.end[0], 2),
            "loadavg_1m_mean": round(sum(self.samples) / len(self.samples), 2) if self.samples else None,
            "loadavg_1m_max": round(max(self.samples), 2) if self.samples else None,
            "machine_busy_cores": round(busy_s / self.seconds, 2) if self.seconds else None,
        }
        if own_cpu_seconds is not None and self.seconds:
            out["own_cpu_cores"] = round(own_cpu_seconds / self.seconds, 2)
            out["other_processes_cores"] = round(max(0.0, busy_s - own_cpu_seconds) / self.seconds, 2)
        return out


# -- child phases --------------------------------------------------------------------------


@dataclass
class PhaseResult:
    name: str
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float  # peak RSS during this phase (VmHWM reset at its start)
    result: dict
    load: dict = field(default_factory=dict)
    process_max_rss_mb: float = 0.0  # ru_maxrss of the whole child process (wait4)
    process_wall_seconds: float = 0.0  # the child process, start to exit (imports included)


def child_env(code: Path | None) -> dict:
    env = dict(os.environ)
    if code is not None:
        env["DEVLENS_BENCH_CODE"] = str(code)
    return env


def run_phases(script: Path, names: list[str], args: list[str], log_path: Path,
               env: dict | None = None) -> list[PhaseResult]:
    """Run ``script --phase a,b args`` as one child process; one result per phase."""
    cmd = [sys.executable, "-u", str(script), "--phase", ",".join(names), *args]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results: list[PhaseResult] = []
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=str(ROOT))
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(RESULT_MARK):
                d = json.loads(line[len(RESULT_MARK):])
                results.append(PhaseResult(d["phase"], d["wall_seconds"], d["cpu_seconds"], d["peak_rss_mb"],
                                           d["result"], d["load"]))
                print(f"  phase {d['phase']}: {d['wall_seconds']:.1f} s, peak RSS {d['peak_rss_mb']:.0f} MB, "
                      f"load {d['load']}", flush=True)
            else:
                log.write(line)
                log.flush()
                print(f"    {line.rstrip()}", flush=True)
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if code != 0:
        tail = log_path.read_text()[-4000:]
        raise SystemExit(f"phases {names} failed (exit {code}); log {log_path}:\n{tail}")
    for r in results:
        r.process_max_rss_mb = usage.ru_maxrss / 1024
        r.process_wall_seconds = wall
    return results


def emit(result: dict) -> None:
    """Called by a child phase: hand the result to the parent."""
    print(RESULT_MARK + json.dumps(result, default=str), flush=True)


def run_child_phases(names: list[str], phases: dict, args) -> None:
    """In the child: run phases in order, each measured on its own (wall, CPU,
    peak RSS since the phase began, load), and emit one result per phase."""
    for name in names:
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        start_section()
        with LoadSampler() as load:
            result = phases[name](args)
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        emit({"phase": name, "wall_seconds": load.seconds, "cpu_seconds": cpu, "peak_rss_mb": section_peak_mb(),
              "load": load.summary(cpu), "result": result})


# -- environment ---------------------------------------------------------------------------


def machine_info(code_label: str | None = None) -> dict:
    cpu = "?"
    try:
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = m.group(1) if m else cpu
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    info = {
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }
    for mod in ("duckdb", "dagster", "httpx", "pyarrow"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:
            pass
    if code_label:
        info["code"] = code_label
    else:
        try:
            sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                 text=True).stdout.strip()
            dirty = subprocess.run(["git", "status", "--porcelain", "--", "pipelines", "sql_models", "assets"],
                                   cwd=ROOT, capture_output=True, text=True).stdout.strip()
            info["code"] = f"working tree at {sha}" + (" with uncommitted changes" if dirty else "")
        except OSError:
            pass
    return info


def fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def fmt_mb(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.0f} MB" if x < 2048 else f"{x / 1024:.2f} GB"


def step_times(instance, run_id: str) -> dict:
    """Per-step durations and event counts of one run, from the instance's event log."""
    import dagster as dg

    logs = instance.all_logs(run_id)
    starts: dict[str, float] = {}
    steps: dict[str, float] = {}
    kinds: dict[str, int] = {}
    first = last = None
    for e in logs:
        first = e.timestamp if first is None else first
        last = e.timestamp
        ev = e.dagster_event
        if ev is None:
            kinds["log_message"] = kinds.get("log_message", 0) + 1
            continue
        kinds[ev.event_type_value] = kinds.get(ev.event_type_value, 0) + 1
        if ev.event_type == dg.DagsterEventType.STEP_START:
            starts[e.step_key] = e.timestamp
        elif ev.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            steps[e.step_key] = e.timestamp - starts.get(e.step_key, e.timestamp)
    return {
        "events": len(logs),
        "event_kinds": dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
        "materializations": kinds.get("ASSET_MATERIALIZATION", 0),
        "planned": kinds.get("ASSET_MATERIALIZATION_PLANNED", 0),
        "run_span_seconds": (last - first) if first is not None else None,
        "before_first_step_seconds": (min(starts.values()) - first) if starts and first is not None else None,
        "steps_seconds": steps,
    }

"""End-to-end fixtures: a small demo deployment built through the real CLI."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO_KEY = "devlens-demo-key"
OTHER_KEY = "other-workspace-key"


def demo_config(tmp: Path, developers: int = 10, days: int = 21, extra_workspace: bool = True) -> Path:
    """The repository's devlens.yaml, made small and pointed at ``tmp``."""
    from serve.auth import hash_key

    text = (REPO / "devlens.yaml").read_text()
    text = text.replace("demo: {developers: 24, days: 120, seed: 42}", f"demo: {{developers: {developers}, days: {days}, seed: 7}}")
    if extra_workspace:
        text = text.replace(
            "api:\n  keys:\n",
            "  - id: other\n    sources: []\n"
            "api:\n  keys:\n"
            f"    - {{name: other, sha256: \"{hash_key(OTHER_KEY)}\", workspaces: [other]}}\n",
        )
    path = tmp / "devlens.yaml"
    path.write_text(text)
    return path


def cli_env(tmp: Path) -> dict:
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(tmp / "dagster")
    env.pop("DEVLENS_CONFIG", None)
    return env


def run_cli(tmp: Path, config: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "--config", str(config), *args],
        cwd=tmp, env=cli_env(tmp), capture_output=True, text=True, timeout=600,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"devlens {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiServer:
    def __init__(self, tmp: Path, config: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / "api.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "--config", str(config), "serve", "--port", str(self.port)],
            cwd=tmp, env=cli_env(tmp), stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"API did not start; log: {(tmp / 'api.log').read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="session")
def demo_deployment(tmp_path_factory):
    """`devlens demo --no-serve --json` on a small demo org; returns (dir, config, json doc)."""
    tmp = tmp_path_factory.mktemp("demo")
    config = demo_config(tmp)
    proc = run_cli(tmp, config, "demo", "--no-serve", "--json")
    doc = json.loads(proc.stdout[proc.stdout.index("{"):])
    return tmp, config, doc


@pytest.fixture(scope="session")
def api(demo_deployment):
    tmp, config, _ = demo_deployment
    server = ApiServer(tmp, config)
    yield server
    server.stop()

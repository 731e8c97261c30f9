from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import duckdb
import pytest

from pipelines.config import GithubSettings, Workspace
from pipelines.sources.github import ClientOptions, IngestReport, ingest_github

# A token shaped like a real one: long enough that "redacted" means something.
TOKEN = "ghp_T3stT0kenDoNotLeak0123456789abcdefABCD"
SINCE = datetime(2018, 1, 1)
RAW_TABLES = (
    "repositories",
    "workspace_repositories",
    "users",
    "commits",
    "commit_files",
    "pull_requests",
    "pull_request_commits",
    "pull_request_files",
    "reviews",
    "review_comments",
    "team_members",
)


class FakeTime:
    """An injectable clock and sleep: waits are recorded and advance the clock."""

    def __init__(self, start: float = 1_700_000_000.0):
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    @property
    def text(self) -> str:
        return "\n".join(self.messages)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def captured() -> Captured:
    """Every log line of the source *and* of httpx (which logs request URLs)."""
    handler = Captured()
    names = ["devlens.test.github", "httpx", "httpcore"]
    saved = []
    for name in names:
        lg = logging.getLogger(name)
        saved.append((lg, lg.level))
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield handler
    for lg, level in saved:
        lg.removeHandler(handler)
        lg.setLevel(level)


def workspace(*sources: dict, teams_from_github: bool = False, wid: str = "w") -> Workspace:
    return Workspace.model_validate(
        {"id": wid, "sources": [{"github": s} for s in sources], "teams_from_github": teams_from_github}
    )


ANTS_WS = {"repo": "panjf2000/ants"}


def run(
    con: duckdb.DuckDBPyConnection,
    server_url: str,
    *,
    ws: Workspace | None = None,
    run_id: str = "r1",
    since: datetime = SINCE,
    fake: FakeTime | None = None,
    settings: GithubSettings | None = None,
    token: str | None = TOKEN,
    commit_details: bool = True,
    **options: Any,
) -> IngestReport:
    fake = fake or FakeTime()
    opts = ClientOptions(sleep=fake.sleep, clock=fake.clock, **options)
    return ingest_github(
        con,
        ws or workspace(ANTS_WS),
        settings or GithubSettings(),
        since=since,
        run_id=run_id,
        log=logging.getLogger("devlens.test.github"),
        token=token,
        api_url=server_url,
        options=opts,
        commit_details=commit_details,
    )


def snapshot(con: duckdb.DuckDBPyConnection, server_url: str | None = None) -> dict[str, list[tuple]]:
    """Every raw row (JSON as text), sorted: what two runs must agree on.

    ``server_url`` (the replay server's, which it wrote into the JSON in place
    of https://api.github.com) is put back, so runs against two servers compare.
    """
    out = {}
    for t in RAW_TABLES:
        cols = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema='raw' and table_name=? "
            "order by ordinal_position", [t]).fetchall()]
        sel = ", ".join(f"cast({c} as varchar)" for c in cols)
        rows = con.execute(f"select {sel} from raw.{t}").fetchall()
        if server_url:
            rows = [tuple(x.replace(server_url, "https://api.github.com") if isinstance(x, str) else x for x in r)
                    for r in rows]
        out[t] = sorted(rows, key=lambda r: tuple(str(x) for x in r))
    return out


def count(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> Any:
    return con.execute(sql, list(params)).fetchone()[0]

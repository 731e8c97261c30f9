"""Row builders shared by the metric tests (METRICS.md §1-§8).

Each builder returns one raw row as a dict for ``Warehouse.add(table, rows)``;
the readers return one snapshot row. Timestamps are naive UTC, written
'YYYY-MM-DD HH:MM[:SS]'.

Most tests use the week of Monday 2024-03-04: Europe/Berlin is still on
winter time (UTC+1, DST starts 2024-03-31), Saturday is 03-09, Sunday 03-10.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from datetime import date

import yaml

from tests.warehouse_builder import Warehouse, ts

WEEK = date(2024, 3, 4)        # Monday
NEXT_WEEK = date(2024, 3, 11)  # the following Monday
PREV_WEEK = date(2024, 2, 26)


def config(*, teams=None, bots=None, identities=None, schedules=None, settings=None) -> str:
    """The YAML of a one-workspace ('acme') config.

    teams: {team_id: [members]}; bots: [logins]; identities: {login: [emails]};
    schedules: {login: {timezone, working_days}}; settings: {default_timezone, working_days}.
    """
    ws: dict = {"id": "acme"}
    if teams:
        ws["teams"] = [{"id": team, "members": list(members)} for team, members in teams.items()]
    if bots:
        ws["bots"] = list(bots)
    if identities:
        ws["identities"] = identities
    if schedules:
        ws["working_schedules"] = schedules
    if settings:
        ws["settings"] = settings
    doc = {"calendar": {"start": "2024-01-01", "biweekly_anchor": "2024-01-01"}, "workspaces": [ws]}
    return yaml.safe_dump(doc, sort_keys=False)


@contextmanager
def shared_warehouse(tmp_path_factory, config_yaml: str):
    """A warehouse for a module-scoped fixture (built once, read by several tests)."""
    wh = Warehouse(tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb", config_yaml)
    try:
        yield wh
    finally:
        wh.con.close()


# --- raw rows -------------------------------------------------------------

def user(user_id: int, login: str, type: str = "User") -> dict:
    return dict(user_id=user_id, login=login, type=type)


def commit(sha, login, at, add=1, dele=0, repo="acme/api", parents=1, email=None, user_id=None,
           offset=None, message=None) -> dict:
    """A raw commit; ``offset`` is the recorded author UTC offset in minutes (git keeps it)."""
    return dict(repository=repo, sha=sha, author_login=login, author_user_id=user_id, author_email=email,
                authored_at=ts(at), author_utc_offset_minutes=offset, additions=add, deletions=dele,
                parent_count=parents, message=message)


def pr(number, login, created, merged=None, closed=None, repo="acme/api", add=None, dele=None,
       user_id=None, merged_by=None) -> dict:
    """A raw pull request; a merged PR is closed at its merge time unless ``closed`` says otherwise."""
    closed = closed or merged
    return dict(repository=repo, number=number, author_login=login, author_user_id=user_id,
                created_at=ts(created), merged_at=ts(merged) if merged else None,
                closed_at=ts(closed) if closed else None, state="closed" if closed else "open",
                additions=add, deletions=dele, merged_by_login=merged_by)


def review(review_id, number, login, state, at=None, repo="acme/api", user_id=None) -> dict:
    """A raw review; ``at`` is submitted_at (None for a PENDING review)."""
    return dict(review_id=review_id, repository=repo, pr_number=number, reviewer_login=login,
                reviewer_user_id=user_id, state=state, submitted_at=ts(at) if at else None)


def comment(comment_id, number, login, at, review_id=None, repo="acme/api") -> dict:
    """A raw inline review comment."""
    return dict(comment_id=comment_id, repository=repo, pr_number=number, author_login=login,
                created_at=ts(at), review_id=review_id)


def pr_commits(number, shas, repo="acme/api") -> list[dict]:
    """The commits GitHub lists for a PR."""
    return [dict(repository=repo, pr_number=number, sha=sha) for sha in shas]


def repos(wh: Warehouse, *names: str) -> None:
    for name in names:
        wh.repo(name)


# --- readers ----------------------------------------------------------------

def snapshot(wh: Warehouse, developer_id: str, start: date = WEEK, period: str = "weekly") -> dict:
    """The developer_snapshot row (all five categories) of one developer and period."""
    return wh.one(f"{period}.developer_snapshot", developer_id=developer_id, period_start=start)


def group(wh: Warehouse, group_id: str, start: date = WEEK, period: str = "weekly", group_type: str = "team") -> dict:
    return wh.one(f"{period}.group_snapshot", group_type=group_type, group_id=group_id, period_start=start)


def developer_ids(wh: Warehouse, start: date = WEEK, period: str = "weekly") -> set[str]:
    rows = wh.rows(f"select developer_id from {period}.developer_snapshot where period_start = ?", [start])
    return {r["developer_id"] for r in rows}


def bus_factors(wh: Warehouse, start: date = WEEK, period: str = "weekly") -> dict[str, tuple[int, int]]:
    """{repository: (bus_factor, commits_count)} for one period."""
    rows = wh.rows(f"select repository, bus_factor, commits_count from {period}.repository_bus_factor "
                   "where period_start = ?", [start])
    return {r["repository"]: (r["bus_factor"], r["commits_count"]) for r in rows}


def assert_no_null_or_nan(row: dict) -> None:
    bad = [k for k, v in row.items() if v is None or (isinstance(v, float) and math.isnan(v))]
    assert bad == [], f"NULL/NaN in {bad}"

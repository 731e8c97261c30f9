"""Velocity (METRICS.md §1) on hand-built data; expected values by hand."""

from datetime import date

from tests.warehouse_builder import ts

CONFIG = """
calendar: {start: 2024-01-01, biweekly_anchor: 2024-01-01}
workspaces:
  - id: acme
    bots: [ci-runner]
    identities: {alice: [alice@old.example.com]}
    teams:
      - {id: platform, members: [alice, carol]}
    working_schedules:
      alice: {timezone: Europe/Berlin, working_days: [mon, tue, wed, thu]}
"""


def commit(sha, login, at, add, dele, repo="acme/api", parents=1, email=None, user_id=None):
    return dict(repository=repo, sha=sha, author_login=login, author_user_id=user_id, author_email=email,
                authored_at=ts(at), additions=add, deletions=dele, parent_count=parents)


def test_weekly_velocity_by_hand(warehouse):
    wh = warehouse(CONFIG)
    wh.repo("acme/api")
    wh.repo("acme/api-fork", is_fork=True, parent="acme/api")
    wh.add("users", [dict(user_id=1, login="Alice", type="User"), dict(user_id=2, login="dependabot[bot]", type="Bot")])
    wh.add("commits", [
        commit("a1", "Alice", "2024-03-04 09:00", 10, 2, user_id=1),           # counted
        commit("a1", "Alice", "2024-03-04 09:00", 10, 2, repo="acme/api-fork", user_id=1),  # same SHA in the fork: once
        commit("a2", None, "2024-03-05 10:00", 5, 5, email="Alice@Old.Example.com"),  # unlinked email -> alias
        commit("a3", "Alice", "2024-03-06 11:00", 100, 0, parents=2, user_id=1),  # merge commit: not counted
        commit("a4", "alice", "2024-03-11 00:00", 7, 0, user_id=1),            # next week (Monday 00:00)
        commit("b1", "dependabot[bot]", "2024-03-05 12:00", 3, 3, user_id=2),  # bot: excluded
        commit("b2", "ci-runner", "2024-03-05 12:00", 3, 3),                   # configured bot: excluded
        commit("c1", "bob", "2024-03-07 23:59", 1, 4),
    ])
    wh.add("pull_requests", [
        dict(repository="acme/api", number=1, author_login="Alice", author_user_id=1, created_at=ts("2024-03-01 09:00"),
             merged_at=ts("2024-03-06 12:00"), closed_at=ts("2024-03-06 12:00")),
        dict(repository="acme/api", number=2, author_login="Alice", author_user_id=1, created_at=ts("2024-03-04 09:00"),
             merged_at=ts("2024-03-11 00:00"), closed_at=ts("2024-03-11 00:00")),  # merged next week
        dict(repository="acme/api", number=3, author_login="dependabot[bot]", author_user_id=2,
             created_at=ts("2024-03-04 09:00"), merged_at=ts("2024-03-05 00:00")),
    ])
    wh.build("weekly", date(2024, 3, 4), date(2024, 3, 18))

    alice = wh.one("weekly.developer_velocity", developer_id="alice", period_start=date(2024, 3, 4))
    # counted commits: a1 (once, though in two repos) and a2 (alias) -> 2; a3 is a merge
    assert alice["commits_count"] == 2
    assert alice["lines_added"] == 10 + 5 and alice["lines_removed"] == 2 + 5
    assert alice["net_lines"] == 15 - 7
    assert alice["prs_merged"] == 1                      # PR 1; PR 2 merged the next week
    # alice works mon-thu: 4 working days in the week -> 2 / 4
    assert alice["commit_frequency"] == 2 / 4
    assert alice["pr_throughput"] == 1 / (7 / 7)
    assert alice["avg_commit_size"] == (15 + 7) / 2
    assert alice["period_end"] == date(2024, 3, 11)

    bob = wh.one("weekly.developer_velocity", developer_id="bob", period_start=date(2024, 3, 4))
    assert (bob["commits_count"], bob["commit_frequency"]) == (1, 1 / 5)  # default mon-fri

    # carol is a team member with no activity: a row of zeros, no NaN
    carol = wh.one("weekly.developer_velocity", developer_id="carol", period_start=date(2024, 3, 4))
    assert carol["commits_count"] == 0 and carol["avg_commit_size"] == 0.0 and carol["pr_throughput"] == 0.0

    bots = wh.rows("select * from weekly.developer_velocity where developer_id like '%bot%' or developer_id = 'ci-runner'")
    assert bots == []

    next_week = wh.one("weekly.developer_velocity", developer_id="alice", period_start=date(2024, 3, 11))
    assert (next_week["commits_count"], next_week["prs_merged"]) == (1, 1)

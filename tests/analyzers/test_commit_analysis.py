"""Commit analyzer (METRICS.md §7; docs/metrics.md "Commit analyzer"), worked by hand.

alice's counted commits in the week of Mon 2024-03-04 (lines = additions + deletions).
Quality points: 40 conventional prefix + 30 subject of 10-72 characters + 30 body unless the
commit changes over 100 lines and has no body (trailers are not a body).

  sha  subject                                      lines body          type      conv len  body  points
  c1   feat(api): add pagination to list endpoints     20  -             feat      40   30   30    100
  c2   fix(api,db)!: drop legacy token format         150  yes           fix  (!)  40   30   30    100
  c3   Fix flaky login test                              5  -             fix       -    30   30     60  (fix before test)
  c4   WIP                                             300  -             chore     -    -    -       0
  c5   refactor(api): split the query builder          40  BREAKING ...  refactor  40   30   30    100  (breaking by body)
  c6   Update README.md                                 10  -             docs      -    30   30     60  (docs before chore)
  c7   Add tests for refunds                            10  -             test      -    30   30     60  (test before feat)
  c10  oops                                              1  -             other     -    -    30     30
  c11  Revert "feat(api): add pagination"               20  -             revert    -    30   30     60
  c12  perf: cache the user lookup                     200  trailer only  perf      40   30   -      70
  c13  chore: + 66 x (73 characters)                     5  -             chore     40   -    30     70
  c14  docs: typo (10 characters)                        2  -             docs      40   30   30    100
  c15  test: add refund cases                          100  -             test      40   30   30    100  (100 lines: not large)
  c16  ci: pin runner images                           101  -             ci        40   30   -      70
  c18  build: + 65 y (72 characters)                     5  -             build     40   30   30    100
                                                                                               sum   1080
  -> 15 commits, average quality 1080 / (100 * 15) = 0.72; conventional 9; breaking c2, c5 = 2;
     scopes api (c1, c2, c5) = 3, db (c2) = 1.
Not analyzed: a merge commit, a dependabot[bot] commit, and alice's commit of the previous week.
"""

from datetime import date

import pytest

from tests.analyzers.helpers import build, rows
from tests.metrics.builders import NEXT_WEEK, WEEK, commit, config, repos, shared_warehouse

MODEL = "developer_commit_analysis"
LONG_73 = "chore: " + "x" * 66
LONG_72 = "build: " + "y" * 65


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, config()) as wh:
        repos(wh, "acme/api")
        wh.add("commits", [
            commit("c1", "alice", "2024-03-04 09:00", add=15, dele=5, message="feat(api): add pagination to list endpoints"),
            commit("c2", "alice", "2024-03-04 10:00", add=100, dele=50,
                   message="fix(api,db)!: drop legacy token format\n\nTokens issued before 2023 stop working."),
            commit("c3", "alice", "2024-03-04 11:00", add=5, message="Fix flaky login test"),
            commit("c4", "alice", "2024-03-05 09:00", add=300, message="WIP"),
            commit("c5", "alice", "2024-03-05 10:00", add=40,
                   message="refactor(api): split the query builder\n\nBREAKING CHANGE: builder API renamed"),
            commit("c6", "alice", "2024-03-05 11:00", add=10, message="Update README.md"),
            commit("c7", "alice", "2024-03-06 09:00", add=10, message="Add tests for refunds"),
            commit("c10", "alice", "2024-03-06 10:00", add=1, message="oops"),
            commit("c11", "alice", "2024-03-06 11:00", add=20, message='Revert "feat(api): add pagination"'),
            commit("c12", "alice", "2024-03-07 09:00", add=200,
                   message="perf: cache the user lookup\n\nCo-authored-by: Bob <bob@users.noreply.github.com>"),
            commit("c13", "alice", "2024-03-07 10:00", add=5, message=LONG_73),
            commit("c14", "alice", "2024-03-07 11:00", add=2, message="docs: typo"),
            commit("c15", "alice", "2024-03-08 09:00", add=60, dele=40, message="test: add refund cases"),
            commit("c16", "alice", "2024-03-08 10:00", add=101, message="ci: pin runner images"),
            commit("c18", "alice", "2024-03-08 11:00", add=5, message=LONG_72),
            # not analyzed
            commit("m1", "alice", "2024-03-08 12:00", parents=2, message="Merge branch 'main' into x"),
            commit("b1", "dependabot[bot]", "2024-03-08 12:00", message="chore(deps): bump x from 1 to 2"),
            commit("old", "alice", "2024-03-01 12:00", message="feat: earlier"),
            commit("n1", "bob", "2024-03-11 09:00", message="feat(ui): next week"),
        ])
        build(wh, "weekly", WEEK, date(2024, 3, 18), MODEL)
        build(wh, "daily", WEEK, NEXT_WEEK, MODEL, staging=False)
        yield wh


def test_distribution_tags_quality_and_breaking(wh):
    assert len(LONG_73) == 73 and len(LONG_72) == 72
    row = rows(wh, f"weekly.{MODEL}", developer_id="alice", period_start=WEEK)[0]
    assert row["commits_analyzed"] == 15
    assert {t: row[f"n_{t}"] for t in ("feat", "fix", "refactor", "chore", "docs", "test", "style", "perf", "build",
                                        "ci", "revert", "other")} == {
        "feat": 1, "fix": 2, "refactor": 1, "chore": 2, "docs": 2, "test": 2, "style": 0, "perf": 1, "build": 1,
        "ci": 1, "revert": 1, "other": 1}
    assert row["conventional_count"] == 9
    assert row["top_tags"] == [{"tag": "api", "count": 3}, {"tag": "db", "count": 1}]
    assert row["average_quality_score"] == pytest.approx(1080 / 1500)
    assert row["breaking_changes_count"] == 2


def test_only_developers_with_counted_commits_have_rows(wh):
    weekly = {(r["developer_id"], r["period_start"]) for r in rows(wh, f"weekly.{MODEL}")}
    # dependabot is a bot; alice's 03-01 commit falls in the week of 02-26, before the range
    assert weekly == {("alice", WEEK), ("bob", NEXT_WEEK)}


def test_daily_counts_add_up_to_the_week(wh):
    daily = rows(wh, f"daily.{MODEL}", developer_id="alice")
    # Mon 3, Tue 3, Wed 3, Thu 3, Fri 3 counted commits
    assert [r["commits_analyzed"] for r in sorted(daily, key=lambda r: r["period_start"])] == [3, 3, 3, 3, 3]
    assert sum(r["n_fix"] for r in daily) == 2 and sum(r["breaking_changes_count"] for r in daily) == 2
    # Monday: c1 100 + c2 100 + c3 60 = 260 points over 3 commits
    monday = next(r for r in daily if r["period_start"] == WEEK)
    assert monday["average_quality_score"] == pytest.approx(260 / 300)

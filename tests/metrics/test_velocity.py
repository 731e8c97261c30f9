"""Velocity (METRICS.md §1) on hand-built data; expected values by hand."""

from datetime import date

import pytest

from tests.metrics.builders import (NEXT_WEEK, WEEK, commit, config, developer_ids, pr, review, snapshot)
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

    alice = wh.one("weekly.developer_snapshot", developer_id="alice", period_start=date(2024, 3, 4))
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

    bob = wh.one("weekly.developer_snapshot", developer_id="bob", period_start=date(2024, 3, 4))
    assert (bob["commits_count"], bob["commit_frequency"]) == (1, 1 / 5)  # default mon-fri

    # carol is a team member with no activity: a row of zeros, no NaN
    carol = wh.one("weekly.developer_snapshot", developer_id="carol", period_start=date(2024, 3, 4))
    assert carol["commits_count"] == 0 and carol["avg_commit_size"] == 0.0 and carol["pr_throughput"] == 0.0

    bots = wh.rows("select * from weekly.developer_snapshot where developer_id like '%bot%' or developer_id = 'ci-runner'")
    assert bots == []

    next_week = wh.one("weekly.developer_snapshot", developer_id="alice", period_start=date(2024, 3, 11))
    assert (next_week["commits_count"], next_week["prs_merged"]) == (1, 1)


def test_biweekly_period_straddling_a_month_end(warehouse):
    wh = warehouse(config())
    wh.repo("acme/api")
    wh.add("commits", [
        commit("j28", "alice", "2024-01-28 23:59", 2, 2),   # biweekly 01-15..01-29, January
        commit("j30", "alice", "2024-01-30 10:00", 3, 1),   # biweekly 01-29..02-12, January
        commit("f02", "alice", "2024-02-02 10:00", 5, 0),   # biweekly 01-29..02-12, February
        commit("f12", "alice", "2024-02-12 00:00", 1, 1),   # biweekly 02-12..02-26, February
    ])
    wh.add("pull_requests", [pr(1, "alice", "2024-01-25 00:00", merged="2024-02-01 00:00")])
    wh.build("biweekly", date(2024, 1, 15), date(2024, 2, 26))
    wh.build("monthly", date(2024, 1, 1), date(2024, 3, 1))

    straddling = snapshot(wh, "alice", date(2024, 1, 29), "biweekly")
    assert straddling["period_end"] == date(2024, 2, 12)
    assert (straddling["commits_count"], straddling["lines_added"], straddling["lines_removed"]) == (2, 8, 1)
    # 14 days, Mon-Fri -> 10 working days; 1 PR in 2 weeks
    assert straddling["commit_frequency"] == pytest.approx(2 / 10)
    assert straddling["pr_throughput"] == pytest.approx(1 / (14 / 7))
    assert snapshot(wh, "alice", date(2024, 1, 15), "biweekly")["commits_count"] == 1
    assert snapshot(wh, "alice", date(2024, 2, 12), "biweekly")["commits_count"] == 1

    january = snapshot(wh, "alice", date(2024, 1, 1), "monthly")
    february = snapshot(wh, "alice", date(2024, 2, 1), "monthly")
    assert (january["commits_count"], february["commits_count"]) == (2, 2)   # j28, j30 | f02, f12
    # January 2024 has 23 weekdays (Mon 01-01 .. Wed 01-31), February 2024 has 21 (29 days from a Thursday)
    assert january["commit_frequency"] == pytest.approx(2 / 23)
    assert february["commit_frequency"] == pytest.approx(2 / 21)
    assert (january["prs_merged"], february["prs_merged"]) == (0, 1)
    assert february["pr_throughput"] == pytest.approx(1 / (29 / 7))
    assert february["avg_commit_size"] == pytest.approx((5 + 0 + 1 + 1) / 2)


ADDITIVE_KEYS = ("commits_count", "prs_merged", "lines_added", "lines_removed", "net_lines",
                 "review_given_count", "review_received_count")


def test_daily_additive_counts_sum_to_weekly(warehouse):
    wh = warehouse(config(teams={"platform": ["alice", "carol"]}))
    wh.repo("acme/api")
    wh.add("commits", [
        commit("a1", "alice", "2024-03-04 00:00", 10, 2),
        commit("a2", "alice", "2024-03-06 23:59", 3, 3),
        commit("a3", "alice", "2024-03-10 12:00", 1, 0),
        commit("b1", "bob", "2024-03-05 09:00", 4, 4),
        commit("x", "alice", "2024-03-11 00:00", 9, 9),   # next week
    ])
    wh.add("pull_requests", [
        pr(1, "alice", "2024-03-04 09:00", merged="2024-03-05 09:00"),
        pr(2, "bob", "2024-03-04 09:00", merged="2024-03-08 09:00"),
        pr(3, "erin", "2024-02-28 09:00"),   # erin's only PR, opened the week before
        # dora's PR, merged by zed: the merge is dora's activity (her PR's merged_at), not zed's
        pr(4, "dora", "2024-02-20 09:00", merged="2024-03-08 09:00", merged_by="zed"),
    ])
    wh.add("reviews", [
        review(1, 1, "bob", "APPROVED", "2024-03-04 12:00"),
        review(2, 2, "alice", "COMMENTED", "2024-03-06 12:00"),
        review(3, 2, "alice", "APPROVED", "2024-03-07 12:00"),
        review(4, 3, "bob", "COMMENTED", "2024-03-06 15:00"),   # erin only *receives* this review
    ])
    wh.build("daily", WEEK, NEXT_WEEK)
    wh.build("weekly", WEEK, NEXT_WEEK)

    # by hand, for the week
    expected = {
        "alice": dict(commits_count=3, prs_merged=1, lines_added=14, lines_removed=5, net_lines=9,
                      review_given_count=2, review_received_count=1),
        "bob": dict(commits_count=1, prs_merged=1, lines_added=4, lines_removed=4, net_lines=0,
                    review_given_count=2, review_received_count=2),
        "carol": dict.fromkeys(ADDITIVE_KEYS, 0),   # a team member with no activity
        "erin": dict(commits_count=0, prs_merged=0, lines_added=0, lines_removed=0, net_lines=0,
                     review_given_count=0, review_received_count=1),
        "dora": dict(commits_count=0, prs_merged=1, lines_added=0, lines_removed=0, net_lines=0,
                     review_given_count=0, review_received_count=0),
    }
    for dev, values in expected.items():
        assert {k: snapshot(wh, dev)[k] for k in ADDITIVE_KEYS} == values, dev
    # erin has a daily row on 03-06 only because she received a review (METRICS.md §8.7)
    assert snapshot(wh, "erin", date(2024, 3, 6), "daily")["review_received_count"] == 1
    assert "erin" not in developer_ids(wh, date(2024, 3, 5), "daily")
    # ... but receiving a review is not activity: on 03-06 alice (a2, review 2) and bob (review 4) are the
    # active ones among the 4 developers with a row (alice, bob, carol the team member, erin)
    workspace_0306 = wh.one("daily.group_snapshot", group_type="workspace", period_start=date(2024, 3, 6))
    assert (workspace_0306["member_count"], workspace_0306["active_member_count"]) == (4, 2)
    # on 03-08 dora has a row through her PR's merge (bob through his; alice and carol are team members);
    # zed, who merged dora's PR, has none
    assert developer_ids(wh, date(2024, 3, 8), "daily") == {"alice", "bob", "carol", "dora"}
    # the daily rows add up to the weekly ones, developer by developer
    sums = wh.rows(f"""select developer_id, {', '.join(f'sum({k}) as {k}' for k in ADDITIVE_KEYS)}
                       from daily.developer_snapshot group by developer_id""")
    assert {r.pop("developer_id"): r for r in sums} == expected

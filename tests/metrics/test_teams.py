"""Team and workspace snapshots and bus factor (METRICS.md §6, §8.12, §8.13); expected values by hand.

Teams: platform = {alice, bob, carol, ci-runner (a configured bot)}, web = {bob, dave}: bob is in both.
alice's schedule works mon-thu (UTC); erin has no team. Week Mon 2024-03-04 .. 03-11; 03-11 is empty.

commits (counted)                       PRs (all merged in the week)
  a1 alice api 03-04 10:00 +10/-0         api#1 alice  03-04 00:00 -> 03-05 00:00 (24 h) +10/-0  commits [a1]
     (and the same SHA in acme/api-fork)  web#2 dave   03-06 00:00 -> 03-06 10:00 (10 h) +4/-0   commits [d1]
  a2 alice api 03-05 23:00 +20/-5 late    web#3 bob    03-04 00:00 -> 03-05 06:00 (30 h) +1/-1   commits [m0]
  a3 alice api 03-09 10:00 +30/-5 Sat     web#4 bob    03-06 00:00 -> 03-06 20:00 (20 h) +2/-0   commits [m4]
  b1 bob   web 03-06 10:00 +4/-4
  d1 dave  web 03-05 20:00 +1/-1        reviews
  d2 dave  web 03-07 10:00 +2/-2          401 bob  APPROVED  api#1 03-04 12:00
  e1 erin  web 03-07 11:00 +5/-0          402 bob  APPROVED  web#2 03-06 05:00
not counted: x1 (ci-runner, a bot),       403 dave COMMENTED web#3 03-05 00:00
  m0 bob web 03-05 01:00 and              404 dave COMMENTED api#1 03-04 18:00 (+ 2 inline comments)
  m4 bob web 03-06 12:00 (merge commits)

Per member: workload = commits_count + prs_merged + review_given_count
  alice 3 + 1 + 0 = 4, bob 1 + 2 + 2 = 5, carol 0, dave 2 + 1 + 2 = 5, erin 1 + 0 + 0 = 1
"""

from datetime import date

import pytest

from tests.metrics.builders import (NEXT_WEEK, WEEK, assert_no_null_or_nan, bus_factors, comment, commit, config,
                                    group, pr, pr_commits, repos, review, shared_warehouse, snapshot)

CONFIG = config(
    teams={"platform": ["alice", "bob", "carol", "ci-runner"], "web": ["bob", "dave"]},
    bots=["ci-runner"],
    schedules={"alice": {"working_days": ["mon", "tue", "wed", "thu"]}},
)
VELOCITY_KEYS = ("commits_count", "prs_merged", "lines_added", "lines_removed", "net_lines", "commit_frequency",
                 "pr_throughput", "avg_commit_size")
POOLED_KEYS = ("avg_pr_cycle_time_hours", "avg_time_to_first_review_hours", "avg_pr_size", "pr_merge_rate",
               "first_commit_to_merge_hours", "rework_ratio", "review_participation_rate", "avg_review_depth",
               "review_turnaround_hours", "self_merge_rate", "weekend_commit_ratio", "late_night_commit_ratio",
               "cross_team_pr_ratio", "review_given_count", "review_received_count", "knowledge_sharing_score")


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, CONFIG) as wh:
        repos(wh, "acme/api", "acme/web", "acme/empty")
        wh.repo("acme/api-fork", is_fork=True, parent="acme/api")
        wh.add("commits", [
            commit("a1", "alice", "2024-03-04 10:00", 10, 0),
            commit("a1", "alice", "2024-03-04 10:00", 10, 0, repo="acme/api-fork"),
            commit("a2", "alice", "2024-03-05 23:00", 20, 5),
            commit("a3", "alice", "2024-03-09 10:00", 30, 5),
            commit("b1", "bob", "2024-03-06 10:00", 4, 4, repo="acme/web"),
            commit("d1", "dave", "2024-03-05 20:00", 1, 1, repo="acme/web"),
            commit("d2", "dave", "2024-03-07 10:00", 2, 2, repo="acme/web"),
            commit("e1", "erin", "2024-03-07 11:00", 5, 0, repo="acme/web"),
            commit("x1", "ci-runner", "2024-03-05 10:00", 50, 50),
            commit("m0", "bob", "2024-03-05 01:00", 9, 9, repo="acme/web", parents=2),
            commit("m4", "bob", "2024-03-06 12:00", 9, 9, repo="acme/web", parents=2),
        ])
        wh.add("pull_requests", [
            pr(1, "alice", "2024-03-04 00:00", merged="2024-03-05 00:00", add=10, dele=0),
            pr(2, "dave", "2024-03-06 00:00", merged="2024-03-06 10:00", add=4, dele=0, repo="acme/web"),
            pr(3, "bob", "2024-03-04 00:00", merged="2024-03-05 06:00", add=1, dele=1, repo="acme/web"),
            pr(4, "bob", "2024-03-06 00:00", merged="2024-03-06 20:00", add=2, dele=0, repo="acme/web"),
        ])
        wh.add("pull_request_commits", pr_commits(1, ["a1"]) + pr_commits(2, ["d1"], repo="acme/web")
               + pr_commits(3, ["m0"], repo="acme/web") + pr_commits(4, ["m4"], repo="acme/web"))
        wh.add("reviews", [
            review(401, 1, "bob", "APPROVED", "2024-03-04 12:00"),
            review(402, 2, "bob", "APPROVED", "2024-03-06 05:00", repo="acme/web"),
            review(403, 3, "dave", "COMMENTED", "2024-03-05 00:00", repo="acme/web"),
            review(404, 1, "dave", "COMMENTED", "2024-03-04 18:00"),
        ])
        wh.add("review_comments", [comment(501, 1, "dave", "2024-03-04 18:00", review_id=404),
                                   comment(502, 1, "dave", "2024-03-04 18:00", review_id=404)])
        wh.build("weekly", WEEK, date(2024, 3, 18))
        yield wh


def test_platform_team(wh):
    platform = group(wh, "platform")
    # configured non-bot members alice, bob, carol; carol had no activity
    assert (platform["member_count"], platform["active_member_count"]) == (3, 2)
    assert {k: platform[k] for k in VELOCITY_KEYS} == {
        "commits_count": 3 + 1,
        "prs_merged": 1 + 2,
        "lines_added": 10 + 20 + 30 + 4,
        "lines_removed": 0 + 5 + 5 + 4,
        "net_lines": 64 - 14,
        # the workspace default working days (Mon-Fri: 5), not alice's mon-thu
        "commit_frequency": pytest.approx(4 / 5),
        "pr_throughput": pytest.approx(3 / (7 / 7)),
        "avg_commit_size": pytest.approx((64 + 14) / 4),
    }
    assert {k: platform[k] for k in POOLED_KEYS} == {
        "avg_pr_cycle_time_hours": pytest.approx((24 + 30 + 20) / 3),        # api#1, web#3, web#4
        "avg_time_to_first_review_hours": pytest.approx((12 + 24) / 2),      # api#1 401 at 12:00; web#3 403; web#4 none
        "avg_pr_size": pytest.approx((10 + 2 + 2) / 3),
        "pr_merge_rate": 1.0,
        "first_commit_to_merge_hours": pytest.approx((14 + 5 + 8) / 3),     # a1 10:00, m0 01:00, m4 12:00
        "rework_ratio": pytest.approx((0 + 1 + 0) / 3),                      # m0 after 403 (web#3's first review)
        # alice: no PR by others reviewed in acme/api (0/0); bob: api#1, web#2 of 2; carol 0/0 -> 2 / 2
        "review_participation_rate": 1.0,
        "avg_review_depth": 0.0,                                             # bob wrote no inline comment
        "review_turnaround_hours": pytest.approx((12 + 5) / 2),             # bob: api#1 12 h, web#2 5 h
        "self_merge_rate": pytest.approx(2 / 3),                             # web#3 (COMMENTED only), web#4
        "weekend_commit_ratio": pytest.approx(1 / 4),                        # a3 (Saturday; alice works mon-thu)
        "late_night_commit_ratio": pytest.approx(1 / 4),                     # a2 23:00 UTC
        "cross_team_pr_ratio": 0.0,                                          # bob's api#1 (alice) and web#2 (dave)
        "review_given_count": 2,
        "review_received_count": 2 + 1,                                      # alice 401, 404; bob 403
        "knowledge_sharing_score": pytest.approx(2 / (2 + 3)),
    }
    # workloads alice 4, bob 5, carol 0: sum|xi - xj| over ordered pairs = 2 * (1 + 4 + 5) = 20;
    # 20 / (2 * 3^2 * mean 3) = 20 / 54
    assert platform["workload_gini"] == pytest.approx(20 / 54)


def test_developer_in_two_teams_counts_fully_in_both(wh):
    web = group(wh, "web")
    assert (web["member_count"], web["active_member_count"]) == (2, 2)
    assert {k: web[k] for k in VELOCITY_KEYS} == {
        "commits_count": 1 + 2, "prs_merged": 2 + 1, "lines_added": 4 + 3, "lines_removed": 4 + 3,
        "net_lines": 0, "commit_frequency": pytest.approx(3 / 5), "pr_throughput": pytest.approx(3.0),
        "avg_commit_size": pytest.approx(14 / 3)}
    assert {k: web[k] for k in POOLED_KEYS} == {
        # pooled: (30 + 20 + 10) / 3 = 20, not the mean of the members' means (25 + 10) / 2 = 17.5
        "avg_pr_cycle_time_hours": pytest.approx((30 + 20 + 10) / 3),
        "avg_time_to_first_review_hours": pytest.approx((24 + 5) / 2),      # web#3 24 h, web#2 5 h
        "avg_pr_size": pytest.approx((2 + 2 + 4) / 3),
        "pr_merge_rate": 1.0,
        "first_commit_to_merge_hours": pytest.approx((5 + 8 + 14) / 3),
        "rework_ratio": pytest.approx(1 / 3),
        "review_participation_rate": pytest.approx((2 + 2) / (2 + 2)),      # bob 2/2, dave api#1 + web#3 of 2
        "avg_review_depth": pytest.approx(2 / (2 + 2)),                      # dave's 2 comments / 4 reviews
        "review_turnaround_hours": pytest.approx((12 + 5 + 24 + 18) / 4),
        "self_merge_rate": pytest.approx(2 / 3),
        "weekend_commit_ratio": 0.0,
        "late_night_commit_ratio": 0.0,
        # bob: 0 / 2; dave: api#1 (alice shares no team with him) cross, web#3 (bob, web) not -> 1 / 4
        "cross_team_pr_ratio": pytest.approx(1 / 4),
        "review_given_count": 4,
        "review_received_count": 2,                                          # 403 to bob, 402 to dave
        "knowledge_sharing_score": pytest.approx(4 / 6),
    }
    assert web["workload_gini"] == 0.0   # equal workloads 5 and 5


def test_workspace_rollup(wh):
    ws = group(wh, "acme", group_type="workspace")
    # every developer with a row: alice, bob, carol (member), dave, erin; carol inactive
    assert (ws["member_count"], ws["active_member_count"]) == (5, 4)
    assert {k: ws[k] for k in VELOCITY_KEYS} == {
        "commits_count": 7, "prs_merged": 4, "lines_added": 60 + 4 + 3 + 5, "lines_removed": 10 + 4 + 3 + 0,
        "net_lines": 72 - 17, "commit_frequency": pytest.approx(7 / 5), "pr_throughput": pytest.approx(4.0),
        "avg_commit_size": pytest.approx(89 / 7)}
    assert {k: ws[k] for k in POOLED_KEYS} == {
        "avg_pr_cycle_time_hours": pytest.approx((24 + 10 + 30 + 20) / 4),
        "avg_time_to_first_review_hours": pytest.approx((12 + 5 + 24) / 3),
        "avg_pr_size": pytest.approx((10 + 4 + 2 + 2) / 4),
        "pr_merge_rate": 1.0,
        "first_commit_to_merge_hours": pytest.approx((14 + 14 + 5 + 8) / 4),
        "rework_ratio": pytest.approx(1 / 4),
        # erin is active in acme/web where web#2 and web#3 were reviewed: 0 / 2 -> (2 + 2 + 0) / (2 + 2 + 2)
        "review_participation_rate": pytest.approx(4 / 6),
        "avg_review_depth": pytest.approx(2 / 4),
        "review_turnaround_hours": pytest.approx((12 + 5 + 24 + 18) / 4),
        "self_merge_rate": pytest.approx(2 / 4),
        "weekend_commit_ratio": pytest.approx(1 / 7),
        "late_night_commit_ratio": pytest.approx(1 / 7),
        "cross_team_pr_ratio": pytest.approx(1 / 4),
        "review_given_count": 4,
        "review_received_count": 4,
        "knowledge_sharing_score": pytest.approx(4 / 8),
    }
    # [4, 5, 0, 5, 1]: unordered |differences| 1+4+1+3 + 5+0+4 + 5+1 + 4 = 28; 2 * 28 / (2 * 25 * mean 3)
    assert ws["workload_gini"] == pytest.approx(56 / 150)
    # per-person notions are not rolled up
    assert not {"longest_streak_days", "avg_daily_active_hours", "focus_score", "unique_collaborators"} & set(ws)


def test_empty_period_gives_zeros(wh):
    platform = group(wh, "platform", NEXT_WEEK)
    assert_no_null_or_nan(platform)
    assert (platform["member_count"], platform["active_member_count"]) == (3, 0)
    metrics = {k: v for k, v in platform.items() if isinstance(v, (int, float)) and k != "member_count"}
    assert metrics and set(metrics.values()) == {0}
    # the workspace in an empty week: the configured members have rows, nobody is active
    ws = group(wh, "acme", NEXT_WEEK, group_type="workspace")
    assert_no_null_or_nan(ws)
    assert (ws["member_count"], ws["active_member_count"], ws["workload_gini"]) == (4, 0, 0.0)
    # carol's developer row in the active week: all zeros, no NaN/NULL
    carol = snapshot(wh, "carol")
    assert_no_null_or_nan(carol)
    assert {v for k, v in carol.items() if isinstance(v, (int, float))} == {0}


def test_bus_factor_per_repository(wh):
    assert bus_factors(wh) == {
        "acme/api": (1, 3),        # alice a1, a2, a3 (the bot's x1 is not counted)
        "acme/web": (1, 4),        # dave 2 of 4 commits is exactly 50% -> 1 (bob 1, erin 1)
        "acme/api-fork": (0, 0),   # a1 belongs to the non-fork acme/api
        "acme/empty": (0, 0),
    }
    assert set(bus_factors(wh, NEXT_WEEK).values()) == {(0, 0)}


def test_gini_examples(warehouse):
    wh = warehouse(config(teams={"quad": ["p1", "p2", "p3", "p4"], "solo": ["p4"], "idle": ["p1", "p2"],
                                 "even": ["p4", "p5"]},
                          settings={"working_days": ["mon", "tue", "wed", "thu", "fri", "sat"]}))
    wh.repo("acme/api")
    wh.add("commits", [commit(f"p4-{i}", "p4", f"2024-03-0{4 + i} 10:00") for i in range(4)]
           + [commit(f"p5-{i}", "p5", f"2024-03-0{4 + i} 11:00") for i in range(4)])
    wh.build("weekly", WEEK, NEXT_WEEK)
    # [0, 0, 0, 4]: ordered |differences| 2 * 3 * 4 = 24; 24 / (2 * 16 * mean 1) = 0.75
    assert group(wh, "quad")["workload_gini"] == pytest.approx(0.75)
    assert group(wh, "solo")["workload_gini"] == 0.0     # one member
    assert group(wh, "idle")["workload_gini"] == 0.0     # all zero
    assert group(wh, "even")["workload_gini"] == 0.0     # equal workloads
    # workspace [0, 0, 0, 4, 4]: ordered |differences| 2 * 6 * 4 = 48; 48 / (2 * 25 * 1.6) = 0.6
    assert group(wh, "acme", group_type="workspace")["workload_gini"] == pytest.approx(0.6)
    # team commit_frequency divides by the configured workspace working days (mon-sat: 6 in a week)
    assert group(wh, "even")["commit_frequency"] == pytest.approx((4 + 4) / 6)


def test_bus_factor_examples(warehouse):
    wh = warehouse(config())
    repos(wh, "acme/one", "acme/two")
    rows = []
    for login, n in {"u1": 3, "u2": 3, "u3": 2, "u4": 2}.items():
        rows += [commit(f"one-{login}-{i}", login, f"2024-03-05 0{i}:00", repo="acme/one") for i in range(n)]
    rows += [commit(f"two-{login}", login, "2024-03-05 10:00", repo="acme/two") for login in ("u1", "u2", "u3")]
    wh.add("commits", rows)
    wh.build("weekly", WEEK, NEXT_WEEK)
    # acme/one [3, 3, 2, 2] of 10: 3 < 5, 3 + 3 = 6 >= 5 -> 2; acme/two [1, 1, 1]: 1 < 1.5, 2 >= 1.5 -> 2
    assert bus_factors(wh) == {"acme/one": (2, 10), "acme/two": (2, 3)}


def test_configured_team_without_human_members_has_a_zero_row(warehouse):
    wh = warehouse(config(teams={"real": ["alice"], "robots": ["ci-runner"], "new": []}, bots=["ci-runner"]))
    wh.repo("acme/api")
    wh.add("commits", [commit("a1", "alice", "2024-03-05 10:00")])
    wh.build("weekly", WEEK, NEXT_WEEK)
    assert group(wh, "real")["member_count"] == 1
    # reading of §6/§8.12: every configured team has a row per period; the bot is not a member -> 0 members
    for team in ("robots", "new"):
        row = group(wh, team)
        assert (row["member_count"], row["active_member_count"], row["commits_count"]) == (0, 0, 0)
        assert_no_null_or_nan(row)

"""Efficiency (METRICS.md §2, §8.3, §8.4) on hand-built data; expected values by hand.

alice's PRs in acme/api (the week is Mon 2024-03-04 .. Mon 2024-03-11):

  PR1  created 03-01 10:00, merged 03-05 10:00, +30/-10
       reviews: bob COMMENTED 03-02 10:00 (first review), carol APPROVED 03-04 10:00
       commits: c1 02-29 10:00, c2 03-01 12:00, c3 03-03 09:00, m1 03-04 12:00 (merge commit)
  PR2  created 03-04 09:00, merged 03-06 09:00, +5/-5
       reviews: alice's own APPROVED (self), dependabot[bot] APPROVED (bot), bob PENDING,
                carol DISMISSED 03-04 12:00, bob APPROVED 03-06 10:00 (after the merge)
       -> no counted review at or before the merge
       commits: c4 03-04 08:00, c5 03-05 08:00
  PR3  created 03-05 00:00, closed unmerged 03-07 00:00
  PR4  created 03-06 00:00, still open
  PR5  created 03-07 00:00, merged 03-12 00:00 (next week), +100/-20, commit c6 03-06 00:00
  PR6  created 02-26 00:00, closed unmerged 03-01 00:00 (previous week, but March)
  PR7  by dependabot[bot], merged in the week (nobody's PR)
dave's PR8: created 03-04 00:00, merged 03-04 06:00, +2/-0, bob APPROVED at exactly 03-04 06:00;
  commits d1 03-03 18:00, d2 03-04 06:00 (same instant as the review: not "strictly after").
"""

from datetime import date

import pytest

from tests.metrics.builders import WEEK, commit, config, pr, pr_commits, review, shared_warehouse, snapshot, user

EFFICIENCY_KEYS = ("avg_pr_cycle_time_hours", "avg_time_to_first_review_hours", "avg_pr_size",
                   "pr_merge_rate", "first_commit_to_merge_hours", "rework_ratio")


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, config(bots=["ci-runner"])) as wh:
        populate(wh)
        wh.build("weekly", WEEK, date(2024, 3, 18))
        wh.build("monthly", date(2024, 3, 1), date(2024, 4, 1))
        yield wh


def populate(wh):
    wh.repo("acme/api")
    wh.add("users", [user(99, "dependabot[bot]", "Bot")])
    wh.add("commits", [
        commit("c1", "alice", "2024-02-29 10:00"),
        commit("c2", "alice", "2024-03-01 12:00"),
        commit("c3", "alice", "2024-03-03 09:00"),
        commit("m1", "alice", "2024-03-04 12:00", parents=2),
        commit("c4", "alice", "2024-03-04 08:00"),
        commit("c5", "alice", "2024-03-05 08:00"),
        commit("c6", "alice", "2024-03-06 00:00"),
        commit("d1", "dave", "2024-03-03 18:00"),
        commit("d2", "dave", "2024-03-04 06:00"),
    ])
    wh.add("pull_requests", [
        pr(1, "alice", "2024-03-01 10:00", merged="2024-03-05 10:00", add=30, dele=10),
        pr(2, "alice", "2024-03-04 09:00", merged="2024-03-06 09:00", add=5, dele=5),
        pr(3, "alice", "2024-03-05 00:00", closed="2024-03-07 00:00", add=1000, dele=0),
        pr(4, "alice", "2024-03-06 00:00"),
        pr(5, "alice", "2024-03-07 00:00", merged="2024-03-12 00:00", add=100, dele=20),
        pr(6, "alice", "2024-02-26 00:00", closed="2024-03-01 00:00"),
        pr(7, "dependabot[bot]", "2024-03-04 00:00", merged="2024-03-05 00:00", add=1, dele=1, user_id=99),
        pr(8, "dave", "2024-03-04 00:00", merged="2024-03-04 06:00", add=2, dele=0),
        pr(9, "erin", "2024-03-05 10:00:00", merged="2024-03-05 11:00:36"),
    ])
    wh.add("pull_request_commits",
           pr_commits(1, ["c1", "c2", "c3", "m1"]) + pr_commits(2, ["c4", "c5"]) + pr_commits(5, ["c6"])
           + pr_commits(8, ["d1", "d2"]))
    wh.add("reviews", [
        review(1, 1, "bob", "COMMENTED", "2024-03-02 10:00"),
        review(2, 1, "carol", "APPROVED", "2024-03-04 10:00"),
        review(3, 2, "alice", "APPROVED", "2024-03-04 10:00"),                  # self-review
        review(4, 2, "dependabot[bot]", "APPROVED", "2024-03-04 11:00", user_id=99),  # bot
        review(5, 2, "bob", "PENDING"),                                          # never submitted
        review(6, 2, "carol", "DISMISSED", "2024-03-04 12:00"),
        review(7, 2, "bob", "APPROVED", "2024-03-06 10:00"),                     # after the merge
        review(8, 8, "bob", "APPROVED", "2024-03-04 06:00"),                     # exactly at merged_at
        review(9, 7, "carol", "APPROVED", "2024-03-04 12:00"),                   # on a bot's PR
    ])


def test_weekly_efficiency_by_hand(wh):
    alice = snapshot(wh, "alice")
    # merged in the week: PR1 (96 h: 03-01 10:00 -> 03-05 10:00) and PR2 (48 h) -> (96 + 48) / 2
    assert alice["avg_pr_cycle_time_hours"] == pytest.approx((96 + 48) / 2)
    # only PR1 has a counted review at or before its merge: 03-02 10:00 - 03-01 10:00 = 24 h.
    # PR2's self, bot, PENDING and DISMISSED reviews count nowhere; bob's approval came after the merge.
    assert alice["avg_time_to_first_review_hours"] == pytest.approx(24.0)
    # sizes: PR1 30 + 10 = 40, PR2 5 + 5 = 10 -> 25
    assert alice["avg_pr_size"] == pytest.approx((40 + 10) / 2)
    # closed in the week: PR1, PR2 (merged), PR3 (unmerged); PR6 closed the week before -> 2 / 3
    assert alice["pr_merge_rate"] == pytest.approx(2 / 3)
    # PR1: 02-29 10:00 -> 03-05 10:00 = 5 days = 120 h (2024 is a leap year);
    # PR2: 03-04 08:00 -> 03-06 09:00 = 49 h -> (120 + 49) / 2
    assert alice["first_commit_to_merge_hours"] == pytest.approx((120 + 49) / 2)
    # PR1 commits c1, c2, c3, m1; after its first review (03-02 10:00): c3 and the merge commit m1 -> 2.
    # PR2 had no review before merging -> 0 of its 2 commits. (2 + 0) / (4 + 2)
    assert alice["rework_ratio"] == pytest.approx(2 / 6)

    dave = snapshot(wh, "dave")
    # PR8: cycle 6 h; the review at exactly merged_at is its first review (<= merged_at): 6 h
    assert dave["avg_pr_cycle_time_hours"] == pytest.approx(6.0)
    assert dave["avg_time_to_first_review_hours"] == pytest.approx(6.0)
    assert dave["avg_pr_size"] == pytest.approx(2.0)
    assert dave["pr_merge_rate"] == pytest.approx(1.0)
    # first commit d1 03-03 18:00 -> merge 03-04 06:00 = 12 h
    assert dave["first_commit_to_merge_hours"] == pytest.approx(12.0)
    # d2 was authored at the review's instant, not strictly after it -> 0 / 2
    assert dave["rework_ratio"] == 0.0

    # durations come from second-resolution timestamps: 1 h 0 min 36 s = 3636 s = 1.01 h
    assert snapshot(wh, "erin")["avg_pr_cycle_time_hours"] == pytest.approx(3636 / 3600)

    # bob only reviews: every efficiency figure has an empty denominator -> 0.0, never NULL
    bob = snapshot(wh, "bob")
    assert {k: bob[k] for k in EFFICIENCY_KEYS} == dict.fromkeys(EFFICIENCY_KEYS, 0.0)

    # the bot's PR counts for nobody: no row for the bot
    assert wh.rows("select * from weekly.developer_snapshot where developer_id like '%bot%'") == []


def test_next_week_and_monthly_are_recomputed_from_events(wh):

    next_week = snapshot(wh, "alice", date(2024, 3, 11))
    # PR5: 03-07 00:00 -> 03-12 00:00 = 120 h; first commit 03-06 00:00 -> 144 h; no review -> no rework
    assert next_week["avg_pr_cycle_time_hours"] == pytest.approx(120.0)
    assert next_week["first_commit_to_merge_hours"] == pytest.approx(144.0)
    assert next_week["avg_pr_size"] == pytest.approx(120.0)
    assert next_week["avg_time_to_first_review_hours"] == 0.0
    assert next_week["pr_merge_rate"] == pytest.approx(1.0)

    march = snapshot(wh, "alice", date(2024, 3, 1), "monthly")
    # merged in March: PR1 96 h, PR2 48 h, PR5 120 h -> 264 / 3 = 88 (the mean of the weekly means would be 96)
    assert march["avg_pr_cycle_time_hours"] == pytest.approx((96 + 48 + 120) / 3)
    assert march["avg_time_to_first_review_hours"] == pytest.approx(24.0)
    assert march["avg_pr_size"] == pytest.approx((40 + 10 + 120) / 3)
    # closed in March: PR6 (03-01, unmerged), PR1, PR2, PR3 (unmerged), PR5 -> 3 / 5
    assert march["pr_merge_rate"] == pytest.approx(3 / 5)
    assert march["first_commit_to_merge_hours"] == pytest.approx((120 + 49 + 144) / 3)
    # rework (2 + 0 + 0) / (4 + 2 + 1)
    assert march["rework_ratio"] == pytest.approx(2 / 7)

"""Quality (METRICS.md §3, §8.3, §8.5, §8.9, §8.10) on hand-built data; expected values by hand.

The week is Mon 2024-03-04 .. Mon 2024-03-11. Repositories acme/api, acme/web, acme/docs, acme/tools.

PRs:                                       counted reviews in the week
  api#10 alice  created 03-04 10:00, merged 03-06 12:00   bob COMMENTED 03-05 10:00, carol APPROVED 03-05 11:00
  api#11 carol  created 03-04 00:00 (open)                alice COMMENTED 03-06 10:00
  api#12 bob    created 03-04 00:00 (open)                alice APPROVED 03-06 11:00
  api#13 dependabot[bot]                                  (carol's approval: on a bot's PR -> not counted)
  api#14 alice  merged 03-07 00:00                        (carol PENDING, dave DISMISSED, bob PENDING -> none)
  api#15 alice  merged 03-07 00:00                        (alice's own approval -> none)
  api#16 carol  created 02-27 12:00 (open)                bob APPROVED 03-05 12:00 (his first was 02-28 12:00)
  api#18 alice  created 03-05, merged 03-06 00:00         carol APPROVED 03-06 01:00 (after the merge)
  web#20 alice  created 03-04 22:00, merged 03-07 00:00   bob APPROVED 03-06 10:00 (his DISMISSED 03-06 08:00 is not)
  docs#30 alice merged 03-07 00:00                        carol COMMENTED 03-05 09:00 (+ a bot's approval: not counted)
"""

from datetime import date

import pytest

from tests.metrics.builders import (PREV_WEEK, comment, commit, config, developer_ids, pr, repos, review,
                                   shared_warehouse, snapshot, user)

QUALITY_KEYS = ("review_participation_rate", "avg_review_depth", "review_turnaround_hours", "self_merge_rate")


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, config()) as wh:
        populate(wh)
        wh.build("weekly", PREV_WEEK, date(2024, 3, 18))
        yield wh


def populate(wh):
    repos(wh, "acme/api", "acme/web", "acme/docs", "acme/tools")
    wh.add("users", [user(99, "dependabot[bot]", "Bot")])
    wh.add("commits", [
        commit("b1", "bob", "2024-03-05 09:00"),                      # bob is active in acme/api
        commit("e1", "erin", "2024-03-05 09:00", repo="acme/tools"),  # erin only in acme/tools
    ])
    wh.add("pull_requests", [
        pr(10, "alice", "2024-03-04 10:00", merged="2024-03-06 12:00"),
        pr(11, "carol", "2024-03-04 00:00"),
        pr(12, "bob", "2024-03-04 00:00"),
        pr(13, "dependabot[bot]", "2024-03-04 00:00", user_id=99),
        pr(14, "alice", "2024-03-04 00:00", merged="2024-03-07 00:00"),
        pr(15, "alice", "2024-03-04 00:00", merged="2024-03-07 00:00"),
        pr(16, "carol", "2024-02-27 12:00"),
        pr(18, "alice", "2024-03-05 00:00", merged="2024-03-06 00:00"),
        pr(20, "alice", "2024-03-04 22:00", merged="2024-03-07 00:00", repo="acme/web"),
        pr(30, "alice", "2024-03-04 00:00", merged="2024-03-07 00:00", repo="acme/docs"),
    ])
    wh.add("reviews", [
        review(101, 10, "bob", "COMMENTED", "2024-03-05 10:00"),
        review(102, 10, "carol", "APPROVED", "2024-03-05 11:00"),
        review(103, 11, "alice", "COMMENTED", "2024-03-06 10:00"),
        review(104, 12, "alice", "APPROVED", "2024-03-06 11:00"),
        review(105, 13, "carol", "APPROVED", "2024-03-05 09:00"),             # bot's PR
        review(106, 14, "carol", "PENDING"),
        review(107, 14, "dave", "DISMISSED", "2024-03-05 12:00"),             # dismissed approval
        review(108, 14, "bob", "PENDING"),
        review(109, 15, "alice", "APPROVED", "2024-03-05 12:00"),             # self-review
        review(110, 16, "bob", "COMMENTED", "2024-02-28 12:00"),              # previous week
        review(111, 16, "bob", "APPROVED", "2024-03-05 12:00"),
        review(112, 18, "carol", "APPROVED", "2024-03-06 01:00"),             # after the merge
        review(113, 20, "bob", "DISMISSED", "2024-03-06 08:00", repo="acme/web"),
        review(114, 20, "bob", "APPROVED", "2024-03-06 10:00", repo="acme/web"),
        review(115, 30, "carol", "COMMENTED", "2024-03-05 09:00", repo="acme/docs"),
        review(116, 30, "dependabot[bot]", "APPROVED", "2024-03-05 10:00", repo="acme/docs", user_id=99),
    ])
    wh.add("review_comments", [
        comment(201, 10, "bob", "2024-03-05 10:00", review_id=101),
        comment(202, 10, "bob", "2024-03-05 10:05", review_id=101),
        comment(203, 20, "bob", "2024-03-06 08:00", review_id=113, repo="acme/web"),  # in a DISMISSED review: counts
        comment(204, 14, "bob", "2024-03-05 13:00", review_id=108),  # part of a PENDING review: no
        comment(205, 12, "bob", "2024-03-06 12:00"),                 # on his own PR: no
        comment(206, 13, "bob", "2024-03-05 09:30"),                 # on a bot's PR: no
        comment(207, 10, "bob", "2024-03-11 00:00", review_id=101),  # next week
        comment(208, 11, "bob", "2024-03-08 10:00"),                 # a standalone inline comment: counts
        comment(209, 10, "fay", "2024-03-05 15:00"),                 # fay's only event
    ])


def test_review_participation_rate(wh):
    bob = snapshot(wh, "bob")
    # bob's activity repositories: acme/api (commit b1, PR 12, reviews, comments) and acme/web (review 114,
    # comment 203); not acme/docs. PRs by other humans with a counted review in the week, in those repos:
    #   api#10, api#11, api#16, api#18 (carol's post-merge approval is still a counted review), web#20 -> 5
    #   (api#12 is bob's own; api#13 is a bot's PR; api#14/#15 have no counted review; docs#30 not his repo)
    # bob reviewed api#10, api#16, web#20 in the week -> 3 / 5
    assert bob["review_participation_rate"] == pytest.approx(3 / 5)

    carol = snapshot(wh, "carol")
    # carol's repos: acme/api (PR 11 opened, reviews 102, 112) and acme/docs (review 115).
    # PRs by others with a counted review: api#10, api#12, api#18, docs#30 -> 4 (api#11, api#16 are hers);
    # she reviewed api#10, api#18, docs#30 -> 3 / 4
    assert carol["review_participation_rate"] == pytest.approx(3 / 4)

    # erin is active only in acme/tools, where no PR was reviewed: empty denominator -> 0.0
    assert snapshot(wh, "erin")["review_participation_rate"] == 0.0
    # dave's only event, a DISMISSED review, is no activity: he has no row at all
    assert "dave" not in developer_ids(wh)
    # fay's only event is a counted review comment in acme/api: she has a row, is active in acme/api, where
    # api#10, api#11, api#12, api#16, api#18 had counted reviews, and reviewed none of them -> 0 / 5
    assert "fay" in developer_ids(wh)
    assert snapshot(wh, "fay")["review_participation_rate"] == 0.0


def test_avg_review_depth(wh):
    bob = snapshot(wh, "bob")
    # counted reviews bob submitted in the week on others' PRs: 101, 111, 114 -> 3
    #   (108 PENDING, 113 DISMISSED, 110 the week before)
    # counted inline comments in the week: 201, 202, 203 (its review was dismissed: still counts),
    #   208 (no review) -> 4; not 204 (PENDING review), 205 (own PR), 206 (bot PR), 207 (next week)
    assert bob["avg_review_depth"] == pytest.approx(4 / 3)
    # alice reviewed (103, 104) but wrote no comment -> 0 / 2
    assert snapshot(wh, "alice")["avg_review_depth"] == 0.0
    # fay wrote a comment but submitted no review: empty denominator -> 0.0
    assert snapshot(wh, "fay")["avg_review_depth"] == 0.0


def test_review_turnaround_uses_the_first_review_of_all_time(wh):
    bob = snapshot(wh, "bob")
    # bob's first counted review per PR: api#10 101 (03-05 10:00, PR created 03-04 10:00) -> 24 h;
    # web#20 114 (03-06 10:00; the DISMISSED 113 is not counted; created 03-04 22:00) -> 36 h;
    # api#16: his first review was 110 in the previous week, so 111 does not count again -> (24 + 36) / 2
    assert bob["review_turnaround_hours"] == pytest.approx((24 + 36) / 2)
    # previous week: api#16 created 02-27 12:00, first reviewed 02-28 12:00 -> 24 h
    assert snapshot(wh, "bob", PREV_WEEK)["review_turnaround_hours"] == pytest.approx(24.0)
    # carol: api#10 11:00 - 10:00 (03-04 -> 03-05) = 25 h; api#18 03-06 01:00 - 03-05 00:00 = 25 h;
    # docs#30 03-05 09:00 - 03-04 00:00 = 33 h -> (25 + 25 + 33) / 3
    assert snapshot(wh, "carol")["review_turnaround_hours"] == pytest.approx((25 + 25 + 33) / 3)


def test_self_merge_rate(wh):
    alice = snapshot(wh, "alice")
    # alice merged api#10, api#14, api#15, api#18, web#20, docs#30 in the week (6).
    # With an APPROVED review by another human at or before merged_at: api#10 (carol 03-05 11:00),
    # web#20 (bob 03-06 10:00). Self-merged: api#14 (only PENDING and a DISMISSED approval),
    # api#15 (only her own approval), api#18 (approved after the merge), docs#30 (a COMMENTED review and a
    # bot's approval) -> 4 / 6
    assert alice["self_merge_rate"] == pytest.approx(4 / 6)
    # no merged PRs -> 0.0
    assert snapshot(wh, "bob")["self_merge_rate"] == 0.0

"""Collaboration (METRICS.md §5, §8.3, §8.8, §8.11) on hand-built data; expected values by hand.

Teams: platform = {alice, bob}, mobile = {carol, gina}; dave and erin have no team. Week 2024-03-04.

PRs in acme/api (created in the week unless said): #1 bob, #2 carol, #3 erin, #4 alice, #5 dependabot[bot],
#6 carol, #7 carol, #8 alice (created 02-27), #9 by a deleted account ('ghost'), #10 dave.

Reviews in the week:
  by alice: #1 COMMENTED, #1 APPROVED (two reviews, one PR), #2 APPROVED, #3 COMMENTED,
            #4 (her own: self), #5 (bot's PR), #6 PENDING, #7 DISMISSED, #9 (ghost's PR: nobody's PR)
  on alice's #4: bob APPROVED, carol COMMENTED, dependabot[bot] (bot), ci-runner (configured bot)
  on alice's #8: bob APPROVED 02-28 (previous week)
  by dave: #2 COMMENTED, #3 COMMENTED
alice's counted commit a1 has Co-authored-by trailers for gina (noreply email), Frank@Example.com (unresolved),
dependabot[bot] (a bot) and herself; her merge commit m1 co-authors hank (merge commits are not counted).
"""

from datetime import date

import pytest

from tests.metrics.builders import (PREV_WEEK, commit, config, developer_ids, group, pr, review,
                                    shared_warehouse, snapshot, user)

CONFIG = config(teams={"platform": ["alice", "bob"], "mobile": ["carol", "gina"]}, bots=["ci-runner"])
PAIRING = """feat: pairing session

Co-authored-by: Gina <4242+Gina@users.noreply.github.com>
Co-authored-by: Frank <Frank@Example.com>
Co-authored-by: dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>
Co-authored-by: Alice <alice@users.noreply.github.com>
"""
COLLABORATION_KEYS = ("unique_collaborators", "cross_team_pr_ratio", "review_given_count",
                      "review_received_count", "knowledge_sharing_score")


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, CONFIG) as wh:
        wh.repo("acme/api")
        wh.add("users", [user(99, "dependabot[bot]", "Bot"), user(10137, "ghost")])
        wh.add("commits", [
            commit("a1", "alice", "2024-03-05 10:00", message=PAIRING),
            commit("m1", "alice", "2024-03-05 11:00", parents=2,
                   message="Merge branch 'x'\n\nCo-authored-by: Hank <hank@example.com>\n"),
        ])
        wh.add("pull_requests", [
            pr(1, "bob", "2024-03-04 00:00"), pr(2, "carol", "2024-03-04 00:00"), pr(3, "erin", "2024-03-04 00:00"),
            pr(4, "alice", "2024-03-04 00:00"), pr(5, "dependabot[bot]", "2024-03-04 00:00", user_id=99),
            pr(6, "carol", "2024-03-04 00:00"), pr(7, "carol", "2024-03-04 00:00"),
            pr(8, "alice", "2024-02-27 00:00"), pr(9, "ghost", "2024-03-04 00:00", user_id=10137),
            pr(10, "dave", "2024-03-04 00:00"),
        ])
        wh.add("reviews", [
            review(301, 1, "alice", "COMMENTED", "2024-03-05 10:00"),
            review(302, 1, "alice", "APPROVED", "2024-03-06 10:00"),
            review(303, 2, "alice", "APPROVED", "2024-03-05 10:00"),
            review(304, 3, "alice", "COMMENTED", "2024-03-05 10:00"),
            review(305, 4, "alice", "APPROVED", "2024-03-05 10:00"),        # self-review
            review(306, 5, "alice", "APPROVED", "2024-03-05 10:00"),        # a bot's PR
            review(307, 6, "alice", "PENDING"),
            review(308, 7, "alice", "DISMISSED", "2024-03-05 10:00"),
            review(309, 9, "alice", "APPROVED", "2024-03-05 10:00"),        # a deleted account's PR
            review(311, 4, "bob", "APPROVED", "2024-03-05 12:00"),
            review(312, 4, "carol", "COMMENTED", "2024-03-05 12:00"),
            review(313, 4, "dependabot[bot]", "COMMENTED", "2024-03-05 12:00", user_id=99),
            review(314, 4, "ci-runner", "COMMENTED", "2024-03-05 12:00"),
            review(315, 8, "bob", "APPROVED", "2024-02-28 12:00"),         # previous week
            review(321, 2, "dave", "COMMENTED", "2024-03-06 12:00"),
            review(322, 3, "dave", "COMMENTED", "2024-03-06 12:00"),
        ])
        wh.build("weekly", PREV_WEEK, date(2024, 3, 11))
        yield wh


def test_alice(wh):
    alice = snapshot(wh, "alice")
    # given: 301, 302, 303, 304 -> 4 (self, bot-PR, PENDING, DISMISSED and ghost-PR reviews count nowhere)
    assert alice["review_given_count"] == 4
    # received in the week on her PRs: 311 bob, 312 carol -> 2 (bots excluded; #8's review was last week)
    assert alice["review_received_count"] == 2
    assert alice["knowledge_sharing_score"] == pytest.approx(4 / (4 + 2))
    # distinct PRs she reviewed: #1 (bob shares platform), #2 (carol: mobile only), #3 (erin: no team,
    # counts as cross-team) -> 2 / 3
    assert alice["cross_team_pr_ratio"] == pytest.approx(2 / 3)
    # bob, carol (both directions), erin (she reviewed #3), gina and frank@example.com (co-authors of a1);
    # not the bot co-author, not herself, not hank (on a merge commit) -> 5
    assert alice["unique_collaborators"] == 5


def test_bob_and_carol(wh):
    bob = snapshot(wh, "bob")
    # given 311 on alice's #4 (same team -> 0 cross); received 301, 302; collaborators {alice}
    assert {k: bob[k] for k in COLLABORATION_KEYS} == {
        "unique_collaborators": 1, "cross_team_pr_ratio": 0.0, "review_given_count": 1,
        "review_received_count": 2, "knowledge_sharing_score": pytest.approx(1 / 3)}
    carol = snapshot(wh, "carol")
    # given 312 on alice's #4 (carol: mobile, alice: platform -> cross 1 / 1); received 303 (alice), 321 (dave);
    # #6 PENDING and #7 DISMISSED do not count; collaborators {alice, dave}
    assert {k: carol[k] for k in COLLABORATION_KEYS} == {
        "unique_collaborators": 2, "cross_team_pr_ratio": 1.0, "review_given_count": 1,
        "review_received_count": 2, "knowledge_sharing_score": pytest.approx(1 / 3)}


def test_developers_without_a_team(wh):
    dave = snapshot(wh, "dave")
    # dave has no team: cross_team_pr_ratio is 0 although he reviewed two PRs (carol's #2, erin's #3)
    assert {k: dave[k] for k in COLLABORATION_KEYS} == {
        "unique_collaborators": 2, "cross_team_pr_ratio": 0.0, "review_given_count": 2,
        "review_received_count": 0, "knowledge_sharing_score": 1.0}
    erin = snapshot(wh, "erin")
    # erin reviewed nothing: no denominator -> 0.0; received 304 (alice), 322 (dave)
    assert {k: erin[k] for k in COLLABORATION_KEYS} == {
        "unique_collaborators": 2, "cross_team_pr_ratio": 0.0, "review_given_count": 0,
        "review_received_count": 2, "knowledge_sharing_score": 0.0}


def test_co_authorship_is_symmetric_and_not_activity(wh):
    gina = snapshot(wh, "gina")
    # gina co-authored a1: she gains alice as a collaborator; co-authoring gave her no commit
    assert (gina["unique_collaborators"], gina["commits_count"]) == (1, 0)
    # ... and no activity: team mobile has carol (opened PRs) active, gina not
    assert group(wh, "mobile")["active_member_count"] == 1
    # an unresolved co-author, a merge commit's co-author, a bot and the deleted account have no rows
    ids = developer_ids(wh)
    assert ids == {"alice", "bob", "carol", "dave", "erin", "gina"}
    # bob's review of #8 counts in the week it was submitted
    assert snapshot(wh, "alice", PREV_WEEK)["review_received_count"] == 1

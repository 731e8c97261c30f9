"""Collaboration network and team cohesion (METRICS.md §7; docs/metrics.md "Collaboration network"),
and the activity heatmap. Week of Mon 2024-03-04; teams platform = alice, bob, carol, erin; data = dave.

Interactions in the week: alice reviews bob's #1 twice; bob reviews alice's #2; carol reviews alice's #2
(COMMENTED) with 2 inline comments; carol reviews bob's #1; dave reviews carol's #3; bob's commit has
`Co-authored-by:` alice.
Edges (interaction_count = reviews + co-authored commits + comments; strength 1 - exp(-n / 10)):
  alice-bob    3 + 1 + 0 = 4  strength 0.3296800  [review, co_author]  last 03-07 12:00
  alice-carol  1 + 0 + 2 = 3  strength 0.2591818  [review, comment]    last 03-06 10:00
  bob-carol    1             1  strength 0.0951626
  carol-dave   1             1  strength 0.0951626
platform (4 members): 3 internal edges of 6 pairs -> density 0.5; clustering: alice, bob, carol each
  have 2 neighbours in the team who are connected -> 1, erin 0 -> 0.75; interactions inside 4 + 3 + 1 = 8,
  outside (carol-dave) 1 -> ratio 1/9; silos alice, bob (no edge outside the team); isolated erin.
workspace (5 developers with a row): 4 edges of 10 pairs -> 0.4; clustering alice 1, bob 1,
  carol 1/3 (alice-bob connected, dave with neither), dave 0, erin 0 -> 7/15; silos alice, bob.
Activity heatmap (alice, Europe/Berlin = UTC+1): reviews Mon 10:00Z and Tue 10:00Z -> Mon 11h, Tue 11h.
"""

from datetime import date
from math import exp

import pytest

from tests.analyzers.helpers import build, rows
from tests.metrics.builders import WEEK, comment, commit, config, pr, repos, review, shared_warehouse

CONFIG = config(teams={"platform": ["alice", "bob", "carol", "erin"], "data": ["dave"]},
                schedules={"alice": {"timezone": "Europe/Berlin"}})


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, CONFIG) as wh:
        repos(wh, "acme/api")
        wh.add("pull_requests", [pr(1, "bob", "2024-03-01 09:00"), pr(2, "alice", "2024-03-01 09:00"),
                                 pr(3, "carol", "2024-03-01 09:00")])
        wh.add("reviews", [
            review(1, 1, "alice", "COMMENTED", "2024-03-04 10:00"),
            review(2, 1, "alice", "APPROVED", "2024-03-05 10:00"),
            review(3, 2, "bob", "APPROVED", "2024-03-05 11:00"),
            review(4, 2, "carol", "COMMENTED", "2024-03-06 10:00"),
            review(5, 1, "carol", "APPROVED", "2024-03-06 11:00"),
            review(6, 3, "dave", "APPROVED", "2024-03-07 10:00"),
        ])
        wh.add("review_comments", [comment(1, 2, "carol", "2024-03-06 10:00", review_id=4),
                                   comment(2, 2, "carol", "2024-03-06 10:00", review_id=4)])
        wh.add("commits", [commit("c1", "bob", "2024-03-07 12:00",
                                  message="feat: x\n\nCo-authored-by: Alice <alice@users.noreply.github.com>")])
        build(wh, "weekly", WEEK, date(2024, 3, 11), "collaboration_edges", "team_collaboration", "activity_heatmap")
        yield wh


def test_edges(wh):
    edges = {(r["developer_a_id"], r["developer_b_id"]): r for r in rows(wh, "weekly.collaboration_edges")}
    assert set(edges) == {("alice", "bob"), ("alice", "carol"), ("bob", "carol"), ("carol", "dave")}
    ab = edges[("alice", "bob")]
    assert (ab["review_count"], ab["co_author_count"], ab["comment_count"], ab["interaction_count"]) == (3, 1, 0, 4)
    assert ab["strength_score"] == pytest.approx(1 - exp(-0.4))
    assert ab["interaction_types"] == ["review", "co_author"]
    assert str(ab["last_interaction_at"]) == "2024-03-07 12:00:00"
    ac = edges[("alice", "carol")]
    assert (ac["interaction_count"], ac["interaction_types"]) == (3, ["review", "comment"])
    assert str(ac["last_interaction_at"]) == "2024-03-06 10:00:00"
    assert edges[("carol", "dave")]["strength_score"] == pytest.approx(1 - exp(-0.1))


def cohesion(wh, group_type, group_id):
    return rows(wh, "weekly.team_collaboration", group_type=group_type, group_id=group_id, period_start=WEEK)[0]


def test_team_cohesion(wh):
    platform = cohesion(wh, "team", "platform")
    assert (platform["member_count"], platform["internal_edge_count"]) == (4, 3)
    assert platform["density"] == pytest.approx(0.5)
    assert platform["clustering_coefficient"] == pytest.approx(0.75)
    assert (platform["internal_interactions"], platform["external_interactions"]) == (8, 1)
    assert platform["cross_team_interaction_ratio"] == pytest.approx(1 / 9)
    assert platform["avg_internal_strength"] == pytest.approx((1 - exp(-0.4) + 1 - exp(-0.3) + 1 - exp(-0.1)) / 3)
    assert (platform["silo_members"], platform["isolated_members"]) == (["alice", "bob"], ["erin"])
    data = cohesion(wh, "team", "data")
    assert (data["member_count"], data["density"], data["external_interactions"], data["silo_members"]) == (1, 0.0, 1, [])


def test_workspace_cohesion(wh):
    ws = cohesion(wh, "workspace", "acme")
    assert (ws["member_count"], ws["internal_edge_count"]) == (5, 4)
    assert ws["density"] == pytest.approx(0.4)
    assert ws["clustering_coefficient"] == pytest.approx(7 / 15)
    assert (ws["silo_members"], ws["isolated_members"]) == (["alice", "bob"], ["erin"])
    assert ws["cross_team_interaction_ratio"] == pytest.approx(1 / 9)


def test_activity_heatmap_in_local_time(wh):
    cells = [(r["weekday"], r["hour"], r["events"], r["commits"])
             for r in rows(wh, "weekly.activity_heatmap", order="weekday, hour", developer_id="alice")]
    assert cells == [(1, 11, 1, 0), (2, 11, 1, 0)]
    bob = rows(wh, "weekly.activity_heatmap", order="weekday, hour", developer_id="bob")
    # bob: his review Tue 11:00Z and his commit Thu 12:00Z (UTC: no schedule)
    assert [(r["weekday"], r["hour"], r["events"], r["commits"]) for r in bob] == [(2, 11, 1, 0), (4, 12, 1, 1)]

"""Period figures rolled up from the developer x UTC-day tables (staging/stg_developer_*) where
days do not simply add up (METRICS.md §4, §5, §8.6, §8.8); expected values by hand.

The week is Mon 2024-03-04 .. Mon 2024-03-11.

kim (schedule Asia/Kolkata, UTC+5:30): the local hour Tue 05:00-06:00 is UTC Mon 23:30 .. Tue 00:30.
  k1  Mon 03-04 23:40Z -> Tue 03-05 05:10 local
  k2  Tue 03-05 00:10Z -> Tue 03-05 05:40 local (the same local hour, the next UTC date)
lee (no schedule, default UTC; git commits with recorded offsets on both sides of UTC):
  l1  Wed 03-06 01:00Z -120 -> Tue 03-05 23:00 local
  l2  Wed 03-06 23:00Z +120 -> Thu 03-07 01:00 local
  l3  Thu 03-07 01:00Z -120 -> Wed 03-06 23:00 local
  so UTC Wednesday holds the local dates Tue and Thu but not Wed, which only UTC Thursday holds.
max reviews bob's PR #1 on Mon 03-04 and again on Wed 03-06 (two counted reviews, one PR, one collaborator).
"""

from datetime import date

import pytest

from tests.metrics.builders import WEEK, commit, config, pr, review, snapshot


@pytest.fixture
def wh(warehouse):
    wh = warehouse(config(schedules={"kim": {"timezone": "Asia/Kolkata"}}))
    wh.repo("acme/api")
    wh.add("commits", [
        commit("k1", "kim", "2024-03-04 23:40"),
        commit("k2", "kim", "2024-03-05 00:10"),
        commit("l1", "lee", "2024-03-06 01:00", offset=-120),
        commit("l2", "lee", "2024-03-06 23:00", offset=120),
        commit("l3", "lee", "2024-03-07 01:00", offset=-120),
    ])
    wh.add("pull_requests", [pr(1, "bob", "2024-03-01 09:00")])
    wh.add("reviews", [
        review(1, 1, "max", "COMMENTED", "2024-03-04 10:00"),
        review(2, 1, "max", "APPROVED", "2024-03-06 10:00"),
    ])
    wh.build("weekly", WEEK, date(2024, 3, 11))
    wh.build("daily", WEEK, date(2024, 3, 11))
    return wh


def test_a_local_hour_across_utc_midnight_counts_once(wh):
    kim = snapshot(wh, "kim")
    # one local date (Tue 03-05) with one distinct local hour (05) -> 1 / 1, not 2 hours
    assert (kim["longest_streak_days"], kim["avg_daily_active_hours"]) == (1, 1.0)
    # each UTC date alone: local Tue 05:xx -> 1 / 1
    for day in (date(2024, 3, 4), date(2024, 3, 5)):
        assert snapshot(wh, "kim", day, "daily")["avg_daily_active_hours"] == 1.0


def test_a_period_can_miss_a_local_date_inside_a_run(wh):
    lee_week = snapshot(wh, "lee")
    # local dates Tue 05 {23}, Wed 06 {23}, Thu 07 {01}: one run of 3; 3 hours / 3 dates
    assert (lee_week["longest_streak_days"], lee_week["avg_daily_active_hours"]) == (3, 1.0)
    assert lee_week["late_night_commit_ratio"] == 1.0
    wednesday = snapshot(wh, "lee", date(2024, 3, 6), "daily")
    # UTC Wednesday: l1 (local Tue) and l2 (local Thu) -> Tue and Thu are not consecutive -> 1
    assert (wednesday["commits_count"], wednesday["longest_streak_days"]) == (2, 1)
    assert wednesday["avg_daily_active_hours"] == 1.0
    thursday = snapshot(wh, "lee", date(2024, 3, 7), "daily")
    assert (thursday["commits_count"], thursday["longest_streak_days"]) == (1, 1)


def test_a_pr_and_a_collaborator_on_two_days_count_once(wh):
    max_week = snapshot(wh, "max")
    assert (max_week["review_given_count"], max_week["unique_collaborators"]) == (2, 1)
    assert max_week["review_participation_rate"] == 1.0   # #1, the one PR reviewed in acme/api that week
    bob_week = snapshot(wh, "bob")
    assert (bob_week["review_received_count"], bob_week["unique_collaborators"]) == (2, 1)
    monday = snapshot(wh, "max", date(2024, 3, 4), "daily")
    assert (monday["review_given_count"], monday["unique_collaborators"]) == (1, 1)

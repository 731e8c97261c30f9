"""Sustainability in local time (METRICS.md §0 local time, §4, §8.6); expected values by hand.

The week is Mon 2024-03-04 .. Mon 2024-03-11 (Saturday 03-09, Sunday 03-10).
Europe/Berlin is UTC+1 then (DST starts 03-31); Asia/Tokyo is UTC+9; Asia/Kolkata UTC+5:30.

alice (schedule Europe/Berlin, default working days Mon-Fri):
  a1  Mon 03-04 09:00Z -> Mon 10:00 local              api
  a2  Mon 03-04 22:30Z -> Mon 23:30 local  late         api
  r   Tue 03-05 12:00Z -> Tue 13:00 local  (a review)   api
  a3  Tue 03-05 23:30Z -> Wed 00:30 local  late         web   (the local date moves)
  a5  Fri 03-08 23:30Z -> Sat 00:30 local  late+weekend api   (UTC Friday, local Saturday)
  a4  Sun 03-10 10:00Z -> Sun 11:00 local  weekend      api
  a6  Sun 03-10 23:30Z -> Mon 03-11 00:30  late         api   (UTC Sunday, local Monday: a working day)
dave (no schedule, default UTC; git commits with recorded offsets):
  d1  Wed 03-06 20:00Z +180 -> Wed 23:00 late;   d2 Wed 03-06 12:00Z -300 -> Wed 07:00
  d3  Sat 03-09 02:00Z -300 -> Fri 03-08 21:00 (neither weekend nor late, though it is in UTC)
  d4  Thu 03-07 10:00Z, no offset -> UTC Thu 10:00
erin (schedule Asia/Tokyo; her commits carry offset -300, which the schedule overrides):
  e1  Wed 03-06 14:00Z -> Wed 23:00 Tokyo late (the offset would say 09:00)
  e2  Fri 03-08 16:00Z -> Sat 01:00 Tokyo late+weekend (the offset would say Fri 11:00)
gina (schedule working_days sun..thu, no timezone): g1 Fri 03-08 10:00Z, g2 Sun 03-10 10:00Z
"""

from datetime import date

import pytest

from tests.metrics.builders import (WEEK, commit, config, pr, repos, review, shared_warehouse, snapshot)

CONFIG = config(
    teams={"platform": ["alice", "carol"]},
    schedules={
        "alice": {"timezone": "Europe/Berlin"},
        "erin": {"timezone": "Asia/Tokyo"},
        "gina": {"working_days": ["sun", "mon", "tue", "wed", "thu"]},
    },
)
SUSTAINABILITY_KEYS = ("weekend_commit_ratio", "late_night_commit_ratio", "longest_streak_days",
                       "avg_daily_active_hours", "focus_score")


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, CONFIG) as wh:
        repos(wh, "acme/api", "acme/web")
        wh.add("commits", [
            commit("a1", "alice", "2024-03-04 09:00"),
            commit("a2", "alice", "2024-03-04 22:30"),
            commit("a3", "alice", "2024-03-05 23:30", repo="acme/web"),
            commit("a5", "alice", "2024-03-08 23:30"),
            commit("a4", "alice", "2024-03-10 10:00"),
            commit("a6", "alice", "2024-03-10 23:30"),
            commit("d1", "dave", "2024-03-06 20:00", offset=180),
            commit("d2", "dave", "2024-03-06 12:00", offset=-300),
            commit("d3", "dave", "2024-03-09 02:00", offset=-300),
            commit("d4", "dave", "2024-03-07 10:00"),
            commit("e1", "erin", "2024-03-06 14:00", offset=-300),
            commit("e2", "erin", "2024-03-08 16:00", offset=-300),
            commit("g1", "gina", "2024-03-08 10:00"),
            commit("g2", "gina", "2024-03-10 10:00"),
            # Sun 03-31 20:30Z: Berlin is on summer time (UTC+2) from 03-31 01:00Z -> 22:30 local
            commit("a7", "alice", "2024-03-31 20:30"),
        ])
        wh.add("pull_requests", [pr(1, "bob", "2024-03-01 00:00")])
        wh.add("reviews", [review(1, 1, "alice", "COMMENTED", "2024-03-05 12:00")])
        wh.build("weekly", WEEK, date(2024, 4, 1))
        wh.build("daily", date(2024, 3, 5), date(2024, 3, 11))
        yield wh


def test_schedule_timezone_weekly(wh):
    alice = snapshot(wh, "alice")
    assert alice["commits_count"] == 6
    # non-working local weekday: a5 (local Sat), a4 (Sun); a6 is UTC Sunday but local Monday -> 2 / 6
    assert alice["weekend_commit_ratio"] == pytest.approx(2 / 6)
    # local hour in 22:00-05:59: a2 23:30, a3 00:30, a5 00:30, a6 00:30 (a2 is 22:30 UTC) -> 4 / 6
    assert alice["late_night_commit_ratio"] == pytest.approx(4 / 6)
    # local dates with activity: Mon 04, Tue 05 (review), Wed 06, Sat 09, Sun 10, Mon 11 -> runs 04-06 and
    # 09-11 -> 3 (by UTC dates it would be 04, 05, 08, 10 -> 2)
    assert alice["longest_streak_days"] == 3
    # distinct (local date, hour): Mon04 {10, 23}, Tue05 {13}, Wed06 {00}, Sat09 {00}, Sun10 {11}, Mon11 {00}
    # -> 7 pairs / 6 dates
    assert alice["avg_daily_active_hours"] == pytest.approx(7 / 6)
    # acme/api holds a1, a2, a5, a4, a6 of her 6 counted commits
    assert alice["focus_score"] == pytest.approx(5 / 6)


def test_schedule_timezone_follows_daylight_saving_time(wh):
    last_week_of_march = snapshot(wh, "alice", date(2024, 3, 25))
    # a7 at 20:30Z is 22:30 CEST (with the winter offset it would be 21:30): late; a Sunday: weekend
    assert last_week_of_march["commits_count"] == 1
    assert (last_week_of_march["late_night_commit_ratio"], last_week_of_march["weekend_commit_ratio"]) == (1.0, 1.0)


def test_recorded_offset_without_schedule(wh):
    dave = snapshot(wh, "dave")
    # late: only d1 (23:00 local); d3 is 02:00 UTC but 21:00 local -> 1 / 4
    assert dave["late_night_commit_ratio"] == pytest.approx(1 / 4)
    # d3 is UTC Saturday but local Friday -> 0 / 4
    assert dave["weekend_commit_ratio"] == 0.0
    # local dates Wed 06 {23, 07}, Thu 07 {10}, Fri 08 {21} -> streak 3 (UTC dates 06, 07, 09 -> 2); 4 / 3 hours
    assert dave["longest_streak_days"] == 3
    assert dave["avg_daily_active_hours"] == pytest.approx(4 / 3)
    assert dave["focus_score"] == 1.0


def test_schedule_timezone_wins_over_recorded_offset(wh):
    erin = snapshot(wh, "erin")
    # Tokyo: e1 Wed 23:00, e2 Sat 01:00 -> both late, one weekend (with the offsets: 09:00 Wed, 11:00 Fri)
    assert erin["late_night_commit_ratio"] == 1.0
    assert erin["weekend_commit_ratio"] == pytest.approx(1 / 2)
    # local dates Wed 06 and Sat 09: not consecutive
    assert erin["longest_streak_days"] == 1


def test_schedule_working_days(wh):
    gina = snapshot(wh, "gina")
    # gina works sun-thu: Friday g1 is her weekend, Sunday g2 is a working day -> 1 / 2
    assert gina["weekend_commit_ratio"] == pytest.approx(1 / 2)
    # her working days in the week: Mon, Tue, Wed, Thu, Sun -> commit_frequency 2 / 5
    assert gina["commit_frequency"] == pytest.approx(2 / 5)


def test_daily_period_shows_a_two_day_local_streak(wh):
    tuesday = snapshot(wh, "alice", date(2024, 3, 5), "daily")
    # UTC Tuesday 03-05 holds the review (Tue 13:00 local) and a3 (Wed 00:30 local): local dates Tue, Wed
    assert tuesday["longest_streak_days"] == 2
    assert tuesday["avg_daily_active_hours"] == pytest.approx(2 / 2)
    assert (tuesday["commits_count"], tuesday["late_night_commit_ratio"]) == (1, 1.0)
    assert tuesday["focus_score"] == 1.0   # a3, in acme/web
    sunday = snapshot(wh, "alice", date(2024, 3, 10), "daily")
    # UTC Sunday 03-10: a4 (Sun 11:00 local, weekend) and a6 (Mon 00:30 local, late, a working day)
    assert sunday["longest_streak_days"] == 2
    assert sunday["weekend_commit_ratio"] == pytest.approx(1 / 2)
    assert sunday["late_night_commit_ratio"] == pytest.approx(1 / 2)


def test_inactive_team_member_has_zeros(wh):
    carol = snapshot(wh, "carol")
    assert {k: carol[k] for k in SUSTAINABILITY_KEYS} == {
        "weekend_commit_ratio": 0.0, "late_night_commit_ratio": 0.0, "longest_streak_days": 0,
        "avg_daily_active_hours": 0.0, "focus_score": 0.0}


def test_workspace_default_timezone(warehouse):
    wh = warehouse(config(settings={"default_timezone": "Asia/Kolkata"}))
    wh.repo("acme/api")
    wh.add("commits", [
        commit("k1", "kim", "2024-03-05 17:00"),             # 22:30 Kolkata -> late
        commit("k2", "kim", "2024-03-09 20:00"),             # Sun 03-10 01:30 Kolkata -> late, weekend
        commit("k3", "kim", "2024-03-06 17:00", offset=0),   # the recorded offset (0) beats the default: 17:00
    ])
    wh.build("weekly", WEEK, date(2024, 3, 11))
    kim = snapshot(wh, "kim")
    assert kim["late_night_commit_ratio"] == pytest.approx(2 / 3)
    assert kim["weekend_commit_ratio"] == pytest.approx(1 / 3)
    # local dates Tue 05, Wed 06, Sun 10 -> 2
    assert kim["longest_streak_days"] == 2

"""Burnout detector (METRICS.md §7; docs/metrics.md "Burnout detector"), worked by hand.

risk = 0.25 late_night + 0.20 weekend + 0.20 min(streak / 14, 1) + 0.20 min(days_since_break / 21, 1)
       + 0.15 review_decline; low < 0.3 <= moderate < 0.5 <= high < 0.7 <= critical.
Everyone is on UTC with Monday-Friday working days unless said otherwise. Daily activity below is a
PR opened at 12:00 (an activity event that is not a commit).

Level boundaries, March 2024 (monthly; last day R = 03-31):
  b030  PRs 03-01..03-14 (streak 14 -> 0.2); 03-30 and 03-31 idle -> days_since_break 0;
        5 weekday commits, 2 at 23:00 -> late 0.4 -> 0.1              = 0.3        moderate
  b029  the same with PRs 03-01..03-13: streak 13 -> 13/70 + 0.1      = 0.2857...  low
  b050  PRs every day of March: streak 31 -> 0.2; first activity 03-01, so the break before it ended
        02-29: days_since_break 31 -> 0.2; 5 weekday commits, 2 late -> 0.1   = 0.5   high
  b045  the same with 1 late commit of 5 -> 0.05                      = 0.45       moderate
  b070  every day of March; 4 commits at 23:00 (Mon 04, Tue 05, Wed 06, Sat 09): late 1 -> 0.25,
        weekend 1/4 -> 0.05; 0.2 + 0.2 + 0.25 + 0.05                  = 0.7        critical
  b065  the same with the 4th commit on Thu 07 instead: weekend 0     = 0.65       high

days_since_break, week of Mon 03-04 (R = Sun 03-10):
  dsb_a  active every day 02-19..03-10: the last break ended 02-18 -> 21
  dsb_b  active 02-26..03-10 except 03-05 and 03-06 -> the break ended 03-06 -> 4
  dsb_c  active 02-26..03-08; 03-09 and 03-10 idle -> 0
  dsb_d  active 02-26..03-06 and 03-09: R idle, R-1 active; the break 03-07..03-08 ended 03-08 -> 2
  dsb_e  America/New_York, active 02-26..03-08 (17:00Z = 12:00 local), and a PR at 03-11 01:00Z =
         03-10 21:00 local, after the period's end: R and R-1 idle as of the period end -> 0 (counting
         that later event would give 14)

Review decline and trend, weekly; weeks W-4 = 02-05 .. W = 03-04 (reviews on PR #900 by `author`):
  rev      4, 2, 0, 2 then 1 in W: mean of the 4 before = 2 -> decline 1 - 1/2 = 0.5
           risk W = 1/70 (one active day) + 0.15 * 0.5 = 0.0892857; W-1: 2 reviews vs mean of 4, 2, 0 = 2
           -> decline 0, risk 1/70; change +0.075 -> increasing
  newbie   first activity in W-1 (4 reviews), 1 in W: only W-1 counts -> mean 4, decline 0.75
  steady   2 reviews every week -> decline 0, stable
  cooling  W-1: 4 commits Mon-Thu at 23:00 -> 0.25 + 4/70 = 0.307143; W: 4 commits Mon-Thu at 10:00
           -> 4/70 = 0.057143; change -0.25 -> decreasing
"""

from datetime import date, datetime, timedelta
from itertools import count

import pytest

from tests.analyzers.helpers import build, rows, table
from tests.metrics.builders import commit, config, pr, repos, review, shared_warehouse

MODEL = "developer_burnout"
MARCH = date(2024, 3, 1)
WEEK = date(2024, 3, 4)
CONFIG = config(teams={"core": ["b030", "b050", "b070"]}, schedules={"dsb_e": {"timezone": "America/New_York"}})
_numbers = count(1)


def days(first: str, last: str, skip=()):
    d, end = date.fromisoformat(first), date.fromisoformat(last)
    while d <= end:
        if d.isoformat() not in skip:
            yield d
        d += timedelta(days=1)


def daily_prs(login, first, last, skip=(), hour="12:00"):
    return [pr(next(_numbers), login, f"{d} {hour}") for d in days(first, last, skip)]


def commits_at(login, *times):
    return [commit(f"{login}-{t}", login, t) for t in times]


def load(wh):
    repos(wh, "acme/api")
    prs, cs, rvs = [], [], []
    weekday_commits = ["2024-03-04 10:00", "2024-03-05 10:00", "2024-03-06 10:00"]
    prs += daily_prs("b030", "2024-03-01", "2024-03-14")
    cs += commits_at("b030", *weekday_commits, "2024-03-07 23:00", "2024-03-08 23:00")
    prs += daily_prs("b029", "2024-03-01", "2024-03-13")
    cs += commits_at("b029", *weekday_commits, "2024-03-07 23:00", "2024-03-08 23:00")
    prs += daily_prs("b050", "2024-03-01", "2024-03-31")
    cs += commits_at("b050", *weekday_commits, "2024-03-07 23:00", "2024-03-08 23:00")
    prs += daily_prs("b045", "2024-03-01", "2024-03-31")
    cs += commits_at("b045", *weekday_commits, "2024-03-07 10:00", "2024-03-08 23:00")
    prs += daily_prs("b070", "2024-03-01", "2024-03-31")
    cs += commits_at("b070", "2024-03-04 23:00", "2024-03-05 23:00", "2024-03-06 23:00", "2024-03-09 23:00")
    prs += daily_prs("b065", "2024-03-01", "2024-03-31")
    cs += commits_at("b065", "2024-03-04 23:00", "2024-03-05 23:00", "2024-03-06 23:00", "2024-03-07 23:00")

    prs += daily_prs("dsb_a", "2024-02-19", "2024-03-10")
    prs += daily_prs("dsb_b", "2024-02-26", "2024-03-10", skip=("2024-03-05", "2024-03-06"))
    prs += daily_prs("dsb_c", "2024-02-26", "2024-03-08")
    prs += daily_prs("dsb_d", "2024-02-26", "2024-03-06") + daily_prs("dsb_d", "2024-03-09", "2024-03-09")
    prs += daily_prs("dsb_e", "2024-02-26", "2024-03-08", hour="17:00") + [pr(next(_numbers), "dsb_e", "2024-03-11 01:00")]

    prs.append(pr(900, "author", "2024-01-01 09:00"))
    review_ids = count(1)
    weeks = [date(2024, 2, 5) + timedelta(days=7 * k) for k in range(5)]  # W-4 .. W

    def reviews(login, per_week):
        for week, n in zip(weeks, per_week):
            for i in range(n):
                rvs.append(review(next(review_ids), 900, login, "COMMENTED", f"{week + timedelta(days=1)} 10:0{i}"))

    reviews("rev", [4, 2, 0, 2, 1])
    reviews("newbie", [0, 0, 0, 4, 1])
    reviews("steady", [2, 2, 2, 2, 2])
    cs += commits_at("cooling", "2024-02-26 23:00", "2024-02-27 23:00", "2024-02-28 23:00", "2024-02-29 23:00",
                     "2024-03-04 10:00", "2024-03-05 10:00", "2024-03-06 10:00", "2024-03-07 10:00")
    wh.add("pull_requests", prs)
    wh.add("commits", cs)
    wh.add("reviews", rvs)


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, CONFIG) as wh:
        load(wh)
        build(wh, "monthly", MARCH, date(2024, 4, 1), MODEL, "team_burnout")
        build(wh, "weekly", WEEK, date(2024, 3, 11), MODEL, staging=False)
        yield wh


def burnout(wh, developer_id, period="weekly", start=WEEK):
    return rows(wh, f"{period}.{MODEL}", developer_id=developer_id, period_start=start)[0]


@pytest.mark.parametrize("developer_id, score, level", [
    ("b029", round(0.2 * 13 / 14 + 0.1, 9), "low"),
    ("b030", 0.3, "moderate"),
    ("b045", 0.45, "moderate"),
    ("b050", 0.5, "high"),
    ("b065", 0.65, "high"),
    ("b070", 0.7, "critical"),
])
def test_level_boundaries(wh, developer_id, score, level):
    row = burnout(wh, developer_id, "monthly", MARCH)
    assert row["risk_score"] == score
    assert row["risk_level"] == level


def test_indicators_and_alerts(wh):
    b050 = burnout(wh, "b050", "monthly", MARCH)
    assert (b050["late_night_commit_ratio"], b050["weekend_commit_ratio"], b050["longest_streak_days"],
            b050["days_since_break"], b050["review_decline"]) == (0.4, 0.0, 31, 31, 0.0)
    assert [(i["name"], i["weight"]) for i in b050["indicators"]] == [
        ("late_night_commit_ratio", 0.25), ("weekend_commit_ratio", 0.2), ("longest_streak_days", 0.2),
        ("days_since_break", 0.2), ("review_decline", 0.15)]
    assert [i["contribution"] for i in b050["indicators"]] == pytest.approx([0.1, 0.0, 0.2, 0.2, 0.0])
    assert sum(i["contribution"] for i in b050["indicators"]) == pytest.approx(b050["risk_score"])
    b070 = burnout(wh, "b070", "monthly", MARCH)
    assert [(a["indicator"], a["severity"]) for a in b070["alerts"]] == [
        ("late_night_commit_ratio", "critical"), ("longest_streak_days", "critical"), ("days_since_break", "critical")]
    assert b070["alerts"][0]["message"] == "100% of commits between 22:00 and 06:00 local time"
    assert burnout(wh, "b030", "monthly", MARCH)["alerts"] == [
        {"indicator": "late_night_commit_ratio", "severity": "warning",
         "message": "40% of commits between 22:00 and 06:00 local time"},
        {"indicator": "longest_streak_days", "severity": "critical", "message": "active 14 days in a row"}]


@pytest.mark.parametrize("developer_id, expected", [
    ("dsb_a", 21), ("dsb_b", 4), ("dsb_c", 0), ("dsb_d", 2), ("dsb_e", 0)])
def test_days_since_break(wh, developer_id, expected):
    assert burnout(wh, developer_id)["days_since_break"] == expected


def test_review_decline_and_trend(wh):
    rev = burnout(wh, "rev")
    assert (rev["review_count"], rev["previous_review_mean"], rev["review_decline"]) == (1, 2.0, 0.5)
    assert rev["risk_score"] == round(0.2 / 14 + 0.15 * 0.5, 9)
    assert rev["previous_risk_score"] == round(0.2 / 14, 9)
    assert rev["trend"] == "increasing" and rev["risk_score_change"] == pytest.approx(0.075)
    newbie = burnout(wh, "newbie")
    assert (newbie["previous_review_mean"], newbie["review_decline"]) == (4.0, 0.75)
    steady = burnout(wh, "steady")
    assert (steady["review_decline"], steady["trend"]) == (0.0, "stable")
    cooling = burnout(wh, "cooling")
    assert cooling["previous_risk_score"] == round(0.25 + 0.2 * 4 / 14, 9)
    assert cooling["risk_score"] == round(0.2 * 4 / 14, 9)
    assert cooling["trend"] == "decreasing"


def test_components_agree_with_the_sustainability_snapshot(wh):
    build(wh, "weekly", WEEK, date(2024, 3, 11), "developer_snapshot", staging=False)
    mine = {r["developer_id"]: r for r in rows(wh, f"weekly.{MODEL}", period_start=WEEK)}
    theirs = {r["developer_id"]: r for r in rows(wh, "weekly.developer_snapshot", period_start=WEEK)}
    assert mine.keys() == theirs.keys()
    for dev, row in mine.items():
        for key in ("late_night_commit_ratio", "weekend_commit_ratio", "longest_streak_days"):
            assert row[key] == theirs[dev][key], (dev, key)


def test_team_overview(wh):
    team = rows(wh, "monthly.team_burnout", group_type="team", group_id="core", period_start=MARCH)[0]
    assert (team["member_count"], team["at_risk_count"], team["moderate_count"], team["high_count"],
            team["critical_count"]) == (3, 2, 1, 1, 1)
    assert team["avg_risk_score"] == pytest.approx(0.5) and team["max_risk_score"] == 0.7
    assert [m["developer_id"] for m in team["members"]] == ["b070", "b050", "b030"]


def test_single_run_and_per_partition_runs_give_identical_rows(tmp_path_factory):
    weeks = [date(2024, 2, 5) + timedelta(days=7 * k) for k in range(6)]
    with shared_warehouse(tmp_path_factory, CONFIG) as single, shared_warehouse(tmp_path_factory, CONFIG) as split:
        for wh in (single, split):
            load(wh)
        build(single, "weekly", weeks[0], weeks[-1] + timedelta(days=7), MODEL, "team_burnout")
        for i, week in enumerate(reversed(weeks)):
            build(split, "weekly", week, week + timedelta(days=7), MODEL, "team_burnout", staging=i == 0)
        for relation in (f"weekly.{MODEL}", "weekly.team_burnout"):
            assert table(single, relation) == table(split, relation), relation
        assert len(table(single, f"weekly.{MODEL}")) > 50

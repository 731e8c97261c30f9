"""Review quality and response time (METRICS.md §7, §8.10; docs/metrics.md "Review quality").

Week of Mon 2024-03-04, repository acme/api.
PRs: #1 bob, created 03-04 09:00; #2 carol, 03-05 04:00; #3 bob, 03-01 09:00; #4 carol, 03-06 10:00.

alice's counted reviews (inline comments of the review in brackets):
  r1 #1 APPROVED           03-04 11:00  no body            [0]  rubber stamp   depth 0
  r2 #2 COMMENTED          03-05 10:00  "Left notes"       [2]  light          depth 2
  r3 #3 CHANGES_REQUESTED  03-06 09:00  no body            [3]  thorough       depth 3
  r4 #1 APPROVED           03-07 10:00  "LGTM, thanks!"    [0]  light (a body) depth 0
  -> total 4, average_depth_score = (0 + 2 + 3 + 0) / (3 * 4) = 5/12; reviews_per_week = 4 / (7/7) = 4
Texts: 2 bodies + 5 comments = 7; half points per text (2 explanation, 1 suggestion, 1 question, max 2):
  "Left notes" 0 | "LGTM, thanks!" praise 0 | "Consider a dict here, because lookups are O(1)." suggestion +
  explanation 2 | "Why is this needed?" question 1 | "Nit: rename this." suggestion 1 |
  "This leaks the handle; see https://docs.example.com/io" explanation 2 | "Typo." 0
  -> mentoring_score = 6 / (2 * 7) = 3/7; behaviours explanation 2, suggestion 2, praise 1, question 1
review_rate (= review_participation_rate): PRs by others with a counted review in the week in acme/api:
  #1, #2, #3 (alice) and #4 (bob) -> alice reviewed 3 of 4 = 0.75
Response times (first counted review by the reviewer of a PR, from its creation):
  alice: #1 2 h, #2 6 h, #3 120 h -> mean 128/3, median 6, p90 = 6 + 0.8 * (120 - 6) = 97.2, within 24 h 2/3
  bob:   r5 #4 APPROVED 03-06 12:00 no body [0] (rubber stamp) 2 h;
         r6 #2 COMMENTED 03-07 09:00 no body [0] (light: not an approval) 53 h
         -> mean 27.5, median 27.5, p90 = 2 + 0.9 * 51 = 47.9, within 24 h 1/2
bob's own comment on his PR #1 counts for no one.
"""

from datetime import date

import pytest

from tests.analyzers.helpers import build, rows
from tests.metrics.builders import WEEK, comment, config, pr, repos, review, shared_warehouse

MODEL = "developer_review_quality"


def with_body(row: dict, body: str | None) -> dict:
    return {**row, "body": body}


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, config()) as wh:
        repos(wh, "acme/api")
        wh.add("pull_requests", [
            pr(1, "bob", "2024-03-04 09:00"), pr(2, "carol", "2024-03-05 04:00"),
            pr(3, "bob", "2024-03-01 09:00"), pr(4, "carol", "2024-03-06 10:00"),
        ])
        wh.add("reviews", [
            with_body(review(1, 1, "alice", "APPROVED", "2024-03-04 11:00"), None),
            with_body(review(2, 2, "alice", "COMMENTED", "2024-03-05 10:00"), "Left notes"),
            with_body(review(3, 3, "alice", "CHANGES_REQUESTED", "2024-03-06 09:00"), "\n"),
            with_body(review(4, 1, "alice", "APPROVED", "2024-03-07 10:00"), "LGTM, thanks!"),
            with_body(review(5, 4, "bob", "APPROVED", "2024-03-06 12:00"), ""),
            with_body(review(6, 2, "bob", "COMMENTED", "2024-03-07 09:00"), None),
        ])
        texts = {
            11: (2, "Consider a dict here, because lookups are O(1)."), 12: (2, "Why is this needed?"),
            13: (3, "Nit: rename this."), 14: (3, "This leaks the handle; see https://docs.example.com/io"),
            15: (3, "Typo."),
        }
        numbers = {2: 2, 3: 3}
        at = {2: "2024-03-05 10:00", 3: "2024-03-06 09:00"}
        wh.add("review_comments", [
            {**comment(cid, numbers[rid], "alice", at[rid], review_id=rid), "body": body}
            for cid, (rid, body) in texts.items()
        ] + [{**comment(16, 1, "bob", "2024-03-04 12:00"), "body": "Thanks, fixed because of X?"}])
        build(wh, "weekly", WEEK, date(2024, 3, 11), MODEL)
        yield wh


def row(wh, developer_id):
    return rows(wh, f"weekly.{MODEL}", developer_id=developer_id, period_start=WEEK)[0]


def test_depth_and_thoroughness(wh):
    alice = row(wh, "alice")
    assert alice["total_reviews"] == 4
    assert alice["average_depth_score"] == pytest.approx(5 / 12)
    assert (alice["rubber_stamp_count"], alice["light_count"], alice["thorough_count"]) == (1, 2, 1)
    assert alice["reviews_per_week"] == pytest.approx(4.0)
    assert alice["review_rate"] == pytest.approx(0.75)
    bob = row(wh, "bob")
    assert (bob["total_reviews"], bob["rubber_stamp_count"], bob["light_count"], bob["thorough_count"]) == (2, 1, 1, 0)
    assert bob["average_depth_score"] == 0.0


def test_mentoring_behaviours_and_score(wh):
    alice = row(wh, "alice")
    assert alice["texts_count"] == 7
    assert alice["top_mentoring_behaviors"] == [
        {"behavior": "explanation", "count": 2}, {"behavior": "suggestion", "count": 2},
        {"behavior": "praise", "count": 1}, {"behavior": "question", "count": 1}]
    assert alice["mentoring_score"] == pytest.approx(3 / 7)
    # bob wrote no text on others' PRs (his comment is on his own PR)
    bob = row(wh, "bob")
    assert (bob["texts_count"], bob["top_mentoring_behaviors"], bob["mentoring_score"]) == (0, [], 0.0)


def test_response_times(wh):
    alice = row(wh, "alice")
    assert alice["responses_count"] == 3
    assert alice["avg_response_hours"] == pytest.approx(128 / 3)
    assert alice["median_response_hours"] == pytest.approx(6.0)
    assert alice["p90_response_hours"] == pytest.approx(97.2)
    assert alice["responses_within_24h_ratio"] == pytest.approx(2 / 3)
    bob = row(wh, "bob")
    assert (bob["avg_response_hours"], bob["median_response_hours"]) == (pytest.approx(27.5), pytest.approx(27.5))
    assert bob["p90_response_hours"] == pytest.approx(47.9)
    assert bob["responses_within_24h_ratio"] == pytest.approx(0.5)


def test_rows_only_for_reviewers(wh):
    assert {r["developer_id"] for r in rows(wh, f"weekly.{MODEL}")} == {"alice", "bob"}

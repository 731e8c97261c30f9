"""The insight routes of API.md over real HTTP on the demo deployment."""

import duckdb
import httpx

from .conftest import DEMO_KEY

AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}
BASE = "/workspaces/demo/insights"
CATEGORY_KEYS = {
    "velocity": {"commits_count", "prs_merged", "lines_added", "lines_removed", "net_lines", "commit_frequency",
                 "pr_throughput", "avg_commit_size"},
    "efficiency": {"avg_pr_cycle_time_hours", "avg_time_to_first_review_hours", "avg_pr_size", "pr_merge_rate",
                   "first_commit_to_merge_hours", "rework_ratio"},
    "quality": {"review_participation_rate", "avg_review_depth", "review_turnaround_hours", "self_merge_rate"},
    "sustainability": {"weekend_commit_ratio", "late_night_commit_ratio", "longest_streak_days",
                       "avg_daily_active_hours", "focus_score"},
    "collaboration": {"unique_collaborators", "cross_team_pr_ratio", "review_given_count", "review_received_count",
                      "knowledge_sharing_score"},
}


def get(api, path, **params):
    return httpx.get(api.base + BASE + path, headers=AUTH, params=params, timeout=10)


def serving(deployment):
    tmp, _, _ = deployment
    return duckdb.connect(str(sorted((tmp / ".devlens" / "serving").glob("v*.duckdb"))[-1]), read_only=True)


def test_every_category_route_has_exactly_its_keys(api, demo_deployment):
    con = serving(demo_deployment)
    row = con.execute(
        "select * from weekly.developer_snapshot where developer_id = 'bob' and period_start = date '2024-01-08'"
    ).fetchall()
    cols = [d[0] for d in con.description]
    con.close()
    stored = dict(zip(cols, row[0]))
    for category, keys in CATEGORY_KEYS.items():
        r = get(api, f"/developers/bob/{category}", period_start="2024-01-08")
        assert r.status_code == 200, (category, r.text)
        assert set(r.json()["metrics"]) == keys
        assert r.json()["metrics"] == {k: stored[k] for k in keys}


def test_rollup_and_compare(api):
    rollup = get(api, "/developers/alice", period_start="2024-01-08").json()
    assert {k: set(rollup[k]) for k in CATEGORY_KEYS} == CATEGORY_KEYS
    cmp = get(api, "/developers/compare", developer_ids="alice,BOB", period_start="2024-01-08").json()
    assert [d["developer_id"] for d in cmp["developers"]] == ["alice", "bob"]
    assert cmp["developers"][0]["velocity"] == rollup["velocity"]
    missing = get(api, "/developers/compare", developer_ids="alice,zed")
    assert missing.status_code == 404 and "zed" in missing.json()["error"]["message"]


def test_team_snapshot_sums_its_members(api, demo_deployment):
    con = serving(demo_deployment)
    team = con.execute("select team_id from staging.stg_team_members group by 1 order by count(*) desc limit 1").fetchall()[0][0]
    members = [m for (m,) in con.execute(
        "select developer_id from staging.stg_team_members where team_id = ?", [team]).fetchall()]
    expected = con.execute(
        f"select coalesce(sum(commits_count), 0), coalesce(sum(prs_merged), 0) from weekly.developer_snapshot "
        f"where period_start = date '2024-01-08' and developer_id in ({', '.join('?' for _ in members)})", members
    ).fetchall()[0]
    con.close()
    body = get(api, f"/teams/{team}", period_start="2024-01-08").json()
    assert body["team_id"] == team and body["member_count"] == len(members)
    assert (body["velocity"]["commits_count"], body["velocity"]["prs_merged"]) == expected
    assert set(body["sustainability"]) == {"weekend_commit_ratio", "late_night_commit_ratio"}
    assert 0 <= body["workload_gini"] <= 1

    workload = get(api, f"/teams/{team}/workload", period_start="2024-01-08").json()
    assert sorted(m["developer_id"] for m in workload["members"]) == sorted(members)
    shares = [m["share"] for m in workload["members"]]
    assert abs(sum(shares) - 1.0) < 1e-9 or sum(shares) == 0
    assert workload["workload_gini"] == body["workload_gini"]
    assert get(api, "/teams/no-such-team").status_code == 404


def test_workspace_health_lists_repositories_with_bus_factor(api):
    body = get(api, "/workspace/health", period_start="2024-01-08").json()
    assert body["member_count"] >= body["active_member_count"] > 0
    repos = body["repositories"]
    assert repos and all(r["bus_factor"] >= 0 for r in repos)
    assert any(r["commits_count"] > 0 and r["bus_factor"] >= 1 for r in repos)
    assert sum(r["commits_count"] for r in repos) == body["velocity"]["commits_count"]


def test_leaderboard_order_and_pagination(api):
    first = get(api, "/leaderboards/velocity", metric="commits_count", period_start="2024-01-08", limit=3).json()
    assert [i["rank"] for i in first["items"]] == [1, 2, 3]
    values = [i["value"] for i in first["items"]]
    assert values == sorted(values, reverse=True)
    second = get(api, "/leaderboards/velocity", metric="commits_count", period_start="2024-01-08", limit=3,
                 cursor=first["next_cursor"]).json()
    assert second["items"][0]["rank"] == 4 and second["items"][0]["value"] <= values[-1]
    everyone = get(api, "/leaderboards/velocity", metric="commits_count", period_start="2024-01-08", limit=500).json()
    assert everyone["next_cursor"] is None
    assert [i["developer_id"] for i in everyone["items"][:6]] == [i["developer_id"] for i in first["items"] + second["items"]]
    assert get(api, "/leaderboards/velocity", metric="bogus").status_code == 400
    assert get(api, "/leaderboards/nonsense").status_code == 422
    assert get(api, "/leaderboards/velocity", limit=0).status_code == 422
    assert get(api, "/leaderboards/velocity", cursor="!!!").status_code == 400


def test_history_covers_computed_periods_with_zeros_for_gaps(api):
    body = get(api, "/snapshots/history", developer_id="alice", period_type="weekly",
               **{"from": "2024-01-01", "to": "2024-01-15"}).json()
    assert [i["period_start"] for i in body["items"]] == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert all(set(i["velocity"]) == CATEGORY_KEYS["velocity"] for i in body["items"])
    paged = get(api, "/snapshots/history", developer_id="alice", limit=2).json()
    assert len(paged["items"]) == 2 and paged["next_cursor"]
    bad = get(api, "/snapshots/history", developer_id="alice", **{"from": "2024-02-01", "to": "2024-01-01"})
    assert bad.status_code == 400

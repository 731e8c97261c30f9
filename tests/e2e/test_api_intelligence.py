"""The intelligence and analytics routes of API.md over real HTTP on the demo deployment
(`devlens demo --no-serve`: 10 developers, 21 days from 2024-01-01, every period model backfilled)."""

import duckdb
import httpx
import pytest

from .conftest import DEMO_KEY, OTHER_KEY

AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}
WEEK = "2024-01-08"
ENVELOPE = {"workspace_id", "period_type", "period_start", "period_end", "computed_at"}


def get(api, path, key=DEMO_KEY, headers=None, **params):
    return httpx.get(f"{api.base}/workspaces/demo{path}", params=params, timeout=10,
                     headers={"Authorization": f"Bearer {key}", **(headers or {})})


@pytest.fixture(scope="module")
def serving(demo_deployment):
    tmp, _, _ = demo_deployment
    con = duckdb.connect(str(sorted((tmp / ".devlens" / "serving").glob("v*.duckdb"))[-1]), read_only=True)
    yield con
    con.close()


def one(con, sql, params=()):
    cur = con.execute(sql, list(params))
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    return dict(zip(cols, rows[0])) if rows else None


DEVELOPER_ROUTES = {
    "/intelligence/commits/distribution": {"commits_analyzed", "type_distribution", "top_tags", "average_quality_score",
                                           "breaking_changes_count"},
    "/intelligence/burnout": {"risk_score", "risk_level", "indicators", "alerts", "trend", "previous_risk_score",
                              "risk_score_change"},
    "/intelligence/expertise": {"skills", "next_cursor"},
    "/intelligence/reviews/quality": {"total_reviews", "average_depth_score", "thoroughness_distribution",
                                      "review_rate", "reviews_per_week", "top_mentoring_behaviors", "mentoring_score"},
    "/intelligence/reviews/response-time": {"responses_count", "avg_response_hours", "median_response_hours",
                                            "p90_response_hours", "responses_within_24h_ratio"},
    "/intelligence/collaborators": {"collaborator_count", "total_interactions", "collaborators", "next_cursor"},
    "/intelligence/complexity": {"total_prs_analyzed", "complexity_distribution", "primary_categories",
                                 "common_components", "common_layers", "avg_files_per_pr", "avg_complexity_score",
                                 "cross_cutting_ratio", "infrastructure_ratio", "handles_critical_changes",
                                 "avg_review_effort"},
    "/intelligence/technology": {"technologies", "current_count", "recent_count", "outdated_count", "deprecated_count",
                                 "adoption_score", "upgrade_suggestions"},
}
TEAM_ROUTES = {
    "/intelligence/team/burnout": {"member_count", "at_risk_count", "risk_distribution", "avg_risk_score",
                                   "max_risk_score", "increasing_count", "members"},
    "/intelligence/team/collaboration": {"member_count", "internal_edge_count", "density", "clustering_coefficient",
                                         "avg_internal_strength", "internal_interactions", "external_interactions",
                                         "cross_team_interaction_ratio", "silo_members", "isolated_members"},
    "/intelligence/team/collaboration/graph": {"nodes", "edges"},
    "/intelligence/team/complexity": {"total_prs_analyzed", "complexity_distribution", "primary_categories",
                                      "common_components", "common_layers", "avg_files_per_pr", "avg_complexity_score",
                                      "cross_cutting_ratio", "infrastructure_ratio", "handles_critical_changes",
                                      "avg_review_effort"},
    "/intelligence/team/technology": {"technologies", "current_count", "recent_count", "outdated_count",
                                      "deprecated_count", "adoption_score", "upgrade_suggestions"},
}


@pytest.mark.parametrize("path", sorted(DEVELOPER_ROUTES))
def test_developer_routes_have_their_shape(api, path):
    r = get(api, path, developer_id="Bob", period_start=WEEK)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == ENVELOPE | {"developer_id"} | DEVELOPER_ROUTES[path]
    assert (body["developer_id"], body["period_type"], body["period_start"], body["period_end"]) == (
        "bob", "weekly", WEEK, "2024-01-15")
    assert body["computed_at"].endswith("Z")


@pytest.mark.parametrize("path", sorted(TEAM_ROUTES))
def test_team_routes_for_a_team_and_the_workspace(api, serving, path):
    team = serving.execute("select team_id from staging.stg_teams order by 1 limit 1").fetchall()[0][0]
    for params in ({"team_id": team}, {}):
        r = get(api, path, period_start=WEEK, **params)
        assert r.status_code == 200, (params, r.text)
        assert set(r.json()) == ENVELOPE | {"team_id"} | TEAM_ROUTES[path]
        assert r.json()["team_id"] == params.get("team_id")
    assert get(api, path, team_id="no-such-team").status_code == 404


def test_values_are_the_published_rows(api, serving):
    row = one(serving, "select * from weekly.developer_commit_analysis where developer_id = 'bob' "
                       "and period_start = date '2024-01-08'")
    body = get(api, "/intelligence/commits/distribution", developer_id="bob", period_start=WEEK).json()
    assert body["commits_analyzed"] == row["commits_analyzed"] > 0
    assert body["type_distribution"]["feat"] == row["n_feat"]
    assert sum(body["type_distribution"].values()) == row["commits_analyzed"]
    burnout = one(serving, "select * from weekly.developer_burnout where developer_id = 'bob' "
                           "and period_start = date '2024-01-08'")
    body = get(api, "/intelligence/burnout", developer_id="bob", period_start=WEEK).json()
    assert (body["risk_score"], body["risk_level"], body["trend"]) == (
        burnout["risk_score"], burnout["risk_level"], burnout["trend"])
    assert sum(i["contribution"] for i in body["indicators"]) == pytest.approx(body["risk_score"])
    skills = get(api, "/intelligence/expertise", developer_id="bob", period_start=WEEK).json()["skills"]
    assert skills and skills == sorted(skills, key=lambda s: -s["proficiency"])
    assert len(skills) == serving.execute("select count(*) from weekly.developer_expertise where developer_id = 'bob' "
                                          "and period_start = date '2024-01-08'").fetchall()[0][0]


def test_the_demo_gives_every_analyzer_something_to_show(api, serving):
    def count(sql):
        return serving.execute(sql).fetchall()[0][0]
    # conventional and free-form commits, breaking changes
    assert count("select sum(n_other) from weekly.developer_commit_analysis") > 0
    assert count("select sum(conventional_count) from weekly.developer_commit_analysis") > 0
    assert count("select sum(breaking_changes_count) from monthly.developer_commit_analysis") > 0
    # mentoring behaviours of every kind
    assert count("select count(*) from monthly.developer_review_quality where explanation_count > 0") > 0
    assert count("select count(*) from monthly.developer_review_quality where suggestion_count > 0") > 0
    # packages from changed manifests, besides languages
    assert count("select count(distinct skill_type) from monthly.developer_expertise") >= 2
    # versions behind the newest, and suggestions
    assert count("select count(*) from monthly.technology_versions where status in ('outdated', 'deprecated')") > 0
    workspace = get(api, "/intelligence/team/technology", period_type="monthly").json()
    assert workspace["upgrade_suggestions"] and workspace["technologies"]
    # edges and burnout alerts
    assert count("select count(*) from weekly.collaboration_edges") > 0
    assert count("select count(*) from weekly.developer_burnout where len(alerts) > 0") > 0
    graph = get(api, "/analytics/collaboration", period_start=WEEK).json()
    assert graph["edges"] and {n["developer_id"] for n in graph["nodes"]} >= {e["developer_a_id"] for e in graph["edges"]}


def test_team_expertise_compares_a_skill(api, serving):
    skill = serving.execute("select skill from weekly.team_expertise where group_type = 'workspace' "
                            "and period_start = date '2024-01-08' order by members_with_skill desc, skill limit 1"
                            ).fetchall()[0][0]
    body = get(api, f"/intelligence/team/expertise/{skill.upper()}", period_start=WEEK).json()
    assert body["skill"] == skill and body["workspace"]["members_with_skill"] >= 1
    assert body["teams"] == sorted(body["teams"], key=lambda t: (-t["avg_proficiency"], t["team_id"]))
    assert get(api, "/intelligence/team/expertise/no-such-skill", period_start=WEEK).status_code == 404


def test_analytics_routes(api):
    skills = get(api, "/analytics/heatmap/skills", period_start=WEEK, skills=3).json()
    assert len(skills["skills"]) == 3 and all(len(d["proficiency"]) == 3 for d in skills["developers"])
    heat = get(api, "/analytics/heatmap/activity/alice", period_start=WEEK).json()
    assert len(heat["matrix"]) == 7 and all(len(row) == 24 for row in heat["matrix"])
    assert heat["total_events"] == sum(map(sum, heat["matrix"])) == sum(c["events"] for c in heat["cells"]) > 0
    trend = get(api, "/analytics/productivity", period_type="weekly").json()
    assert [i["period_start"] for i in trend["items"]] == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert trend["items"][1]["commits_count"] > 0
    mine = get(api, "/analytics/productivity", developer_id="alice", **{"from": WEEK, "to": WEEK}).json()
    assert [i["period_start"] for i in mine["items"]] == [WEEK]
    assert get(api, "/analytics/productivity", developer_id="alice", team_id="platform").status_code == 400
    workload = get(api, "/analytics/workload", period_start=WEEK).json()
    assert abs(sum(m["share"] for m in workload["members"]) - 1.0) < 1e-9
    assert 0 <= workload["workload_gini"] <= 1


def test_errors(api):
    r = get(api, "/intelligence/burnout", developer_id="nobody")
    assert r.status_code == 404 and "nobody" in r.json()["error"]["message"]
    r = get(api, "/intelligence/burnout", developer_id="alice", period_start="2024-06-03")
    assert r.status_code == 404
    assert "materialize partition 2024-06-03 of weekly/developer_burnout" in r.json()["error"]["message"]
    assert get(api, "/intelligence/burnout", developer_id="alice", period_start="2024-01-09").status_code == 400
    assert get(api, "/intelligence/expertise", developer_id="alice", skill_type="cooking").status_code == 422
    assert get(api, "/intelligence/burnout").status_code == 422  # developer_id is required
    assert httpx.get(f"{api.base}/workspaces/demo/intelligence/burnout?developer_id=alice").status_code == 401
    assert get(api, "/intelligence/burnout", key=OTHER_KEY, developer_id="alice").status_code == 404


def test_etag_and_head(api):
    first = get(api, "/intelligence/team/burnout", period_start=WEEK)
    etag = first.headers["ETag"]
    assert first.headers["X-DevLens-Data-Version"]
    assert get(api, "/intelligence/team/burnout", period_start=WEEK, headers={"If-None-Match": etag}).status_code == 304
    head = httpx.head(f"{api.base}/workspaces/demo/analytics/workload", headers=AUTH, timeout=10)
    assert head.status_code == 200 and head.content == b""

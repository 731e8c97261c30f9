"""The velocity route over real HTTP: shape, auth, errors, caching, HEAD."""

import duckdb
import httpx
import pytest

from .conftest import DEMO_KEY, OTHER_KEY

AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}
VELOCITY = "/workspaces/demo/insights/developers/{dev}/velocity"
VELOCITY_KEYS = {"commits_count", "prs_merged", "lines_added", "lines_removed", "net_lines",
                 "commit_frequency", "pr_throughput", "avg_commit_size"}


def get(api, path, headers=AUTH, **params):
    return httpx.get(api.base + path, headers=headers, params=params, timeout=10)


def served_row(deployment, dev, period_start):
    tmp, _, _ = deployment
    serving = tmp / ".devlens" / "serving"
    files = sorted(serving.glob("v*.duckdb"))
    con = duckdb.connect(str(files[-1]), read_only=True)
    try:
        cur = con.execute(
            "select * from weekly.developer_snapshot where workspace_id = 'demo' and developer_id = ? and period_start = ?",
            [dev, period_start],
        )
        cols = [d[0] for d in cur.description]
        row = cur.fetchone()
        return dict(zip(cols, row)) if row else None
    finally:
        con.close()


def test_velocity_shape_and_values(api, demo_deployment):
    r = get(api, VELOCITY.format(dev="alice"), period_type="weekly", period_start="2024-01-08")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"workspace_id", "developer_id", "period_type", "period_start", "period_end",
                         "computed_at", "metrics"}
    assert (body["workspace_id"], body["developer_id"], body["period_type"]) == ("demo", "alice", "weekly")
    assert (body["period_start"], body["period_end"]) == ("2024-01-08", "2024-01-15")
    assert body["computed_at"].endswith("Z")
    assert set(body["metrics"]) == VELOCITY_KEYS
    row = served_row(demo_deployment, "alice", "2024-01-08")
    assert row is not None
    assert {k: row[k] for k in VELOCITY_KEYS} == body["metrics"]
    assert int(r.headers["X-DevLens-Data-Version"]) >= 1


def test_developer_id_is_case_insensitive_and_defaults_to_latest_period(api):
    r = get(api, VELOCITY.format(dev="ALICE"))
    assert r.status_code == 200
    assert r.json()["developer_id"] == "alice"
    assert r.json()["period_start"] == "2024-01-15"  # the latest weekly period computed


@pytest.mark.parametrize(
    "headers,status,code",
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer wrong"}, 401, "unauthorized"),
        ({"Authorization": "Basic abc"}, 401, "unauthorized"),
    ],
)
def test_auth_errors(api, headers, status, code):
    r = get(api, VELOCITY.format(dev="alice"), headers=headers)
    assert r.status_code == status
    assert r.json() == {"error": {"code": code, "message": r.json()["error"]["message"]}}
    assert DEMO_KEY not in r.text


def test_key_for_another_workspace_sees_404_like_a_missing_one(api):
    other = get(api, VELOCITY.format(dev="alice"), headers={"Authorization": f"Bearer {OTHER_KEY}"})
    missing = get(api, "/workspaces/nope/insights/developers/alice/velocity")
    assert other.status_code == missing.status_code == 404
    assert other.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert other.json()["error"]["message"] == "workspace 'demo' not found"


def test_unknown_developer_is_404(api):
    r = get(api, VELOCITY.format(dev="nobody-at-all"))
    assert r.status_code == 404
    assert "nobody-at-all" in r.json()["error"]["message"]


def test_bad_period_start_is_400_and_bad_type_is_422(api):
    r = get(api, VELOCITY.format(dev="alice"), period_type="weekly", period_start="2024-01-09")
    assert r.status_code == 400
    assert "2024-01-08" in r.json()["error"]["message"]
    r = get(api, VELOCITY.format(dev="alice"), period_type="hourly")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_parameter"
    r = get(api, VELOCITY.format(dev="alice"), period_start="not-a-date")
    assert r.status_code == 422


def test_period_not_computed_names_the_partition(api):
    r = get(api, VELOCITY.format(dev="alice"), period_type="weekly", period_start="2025-06-02")
    assert r.status_code == 404
    assert "weekly/developer_snapshot" in r.json()["error"]["message"]
    assert "2025-06-02" in r.json()["error"]["message"]


def test_known_developer_without_activity_gets_zeros(api, demo_deployment):
    tmp, _, _ = demo_deployment
    con = duckdb.connect(str(sorted((tmp / ".devlens" / "serving").glob("v*.duckdb"))[-1]), read_only=True)
    # a known developer and a computed daily period in which they have no row
    dev, day = con.execute(
        "select d.developer_id, cast(l.partition_key as varchar) from staging.stg_developers d "
        "cross join meta.partition_ledger l "
        "where d.workspace_id = 'demo' and l.asset_key = 'daily/developer_snapshot' and not exists ("
        "  select 1 from daily.developer_snapshot v where v.workspace_id = 'demo' "
        "  and v.developer_id = d.developer_id and cast(v.period_start as varchar) = l.partition_key) "
        "order by 1, 2 limit 1"
    ).fetchone()
    con.close()
    r = get(api, VELOCITY.format(dev=dev), period_type="daily", period_start=day)
    assert r.status_code == 200
    assert r.json()["metrics"] == {k: 0 for k in VELOCITY_KEYS}


def test_etag_304_and_head(api):
    r = get(api, VELOCITY.format(dev="alice"), period_start="2024-01-08")
    etag = r.headers["ETag"]
    again = get(api, VELOCITY.format(dev="alice"), headers={**AUTH, "If-None-Match": etag}, period_start="2024-01-08")
    assert again.status_code == 304 and again.content == b""
    other = get(api, VELOCITY.format(dev="alice"), headers={**AUTH, "If-None-Match": etag}, period_start="2024-01-01")
    assert other.status_code == 200
    head = httpx.head(api.base + VELOCITY.format(dev="alice"), headers=AUTH, params={"period_start": "2024-01-08"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["ETag"] == etag
    assert "no-cache" in r.headers["Cache-Control"] or "must-revalidate" in r.headers["Cache-Control"]


def test_service_routes_and_openapi(api):
    assert httpx.get(api.base + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(api.base + "/readyz").json()
    assert ready["status"] == "ready" and ready["data_version"] >= 1
    spec = httpx.get(api.base + "/openapi.json").json()
    op = spec["paths"]["/workspaces/{workspace_id}/insights/developers/{developer_id}/velocity"]["get"]
    assert {"200", "400", "401", "404", "422"} <= set(op["responses"])
    assert op["description"]

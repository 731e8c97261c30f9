"""The settings, alert, sync-status, predictions, reports and dashboard routes,
and the HTTP manners of every route, over real HTTP on the demo deployment."""

import json
import re
import shutil
import time

import duckdb
import httpx
import pytest

from serve import dashboard_registry as reg
from serve.auth import hash_key

from .conftest import DEMO_KEY, OTHER_KEY, ApiServer

AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}
OTHER = {"Authorization": f"Bearer {OTHER_KEY}"}
WS = "/workspaces/demo"


def get(api, path, headers=AUTH, **params):
    return httpx.get(api.base + path, headers=headers, params=params, timeout=10)


def latest_serving(deployment):
    tmp, _, _ = deployment
    return sorted((tmp / ".devlens" / "serving").glob("v*.duckdb"))[-1]


def query(path, sql, params=()):
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute(sql, list(params))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        con.close()


def iso(ts):
    return ts.replace(microsecond=0).isoformat() + "Z"


def sample_paths(api):
    """Every GET route of the OpenAPI document with its path parameters filled in."""
    spec = httpx.get(api.base + "/openapi.json").json()
    values = {"workspace_id": "demo", "developer_id": "alice", "team_id": "platform", "category": "velocity",
              "report_id": "r1", "export_id": "e1"}
    paths = []
    for path, ops in spec["paths"].items():
        if "get" not in ops:
            continue
        params, filled = {}, dict(values)
        for p in ops["get"].get("parameters", []):
            enum = p.get("schema", {}).get("enum")
            if p["in"] == "path" and p["name"] not in filled:
                filled[p["name"]] = enum[0] if enum else "python"
            if p["in"] == "query" and p.get("required"):
                params[p["name"]] = enum[0] if enum else {"developer_ids": "alice", "role": "developer"}.get(
                    p["name"], "alice")
        paths.append((path.format(**filled), params))
    return paths


# --- settings, schedules, sync status --------------------------------------------------
def test_settings_are_the_published_configuration(api, demo_deployment):
    r = get(api, f"{WS}/insights/settings")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["workspace_id"] == "demo" and body["default_timezone"] == "UTC"
    assert body["working_days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert body["teams_from_github"] is True
    assert body["working_schedule_count"] == 4  # alice, bob, carol, grace in devlens.yaml
    assert body["period_types"] == ["daily", "weekly", "biweekly", "monthly"]
    assert body["calendar"] == {"start": "2024-01-01", "biweekly_anchor": "2024-01-01"}
    assert "keys" not in r.text and "sha256" not in r.text


def test_working_schedules(api):
    alice = get(api, f"{WS}/insights/working-schedules/ALICE").json()
    assert alice == {"workspace_id": "demo", "developer_id": "alice", "has_schedule": True,
                     "timezone": "Europe/Berlin", "default_timezone": "UTC",
                     "working_days": ["mon", "tue", "wed", "thu", "fri"]}
    grace = get(api, f"{WS}/insights/working-schedules/grace").json()
    assert grace["working_days"] == ["mon", "tue", "wed", "thu"] and grace["timezone"] == "Asia/Tokyo"
    dave = get(api, f"{WS}/insights/working-schedules/dave").json()
    assert dave["has_schedule"] is False and dave["timezone"] is None
    assert dave["working_days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert get(api, f"{WS}/insights/working-schedules/nobody-here").status_code == 404


def test_sync_status_matches_the_ledger_of_its_version(api, demo_deployment):
    r = get(api, f"{WS}/insights/sync-status")
    assert r.status_code == 200, r.text
    body = r.json()
    version = int(r.headers["X-DevLens-Data-Version"])
    assert body["data_version"] == version and body["workspace_id"] == "demo"
    serving = latest_serving(demo_deployment)
    ledger = query(serving, "select asset_key, max(partition_key) as latest, arg_max(computed_at, partition_key) as at "
                            "from meta.partition_ledger group by 1")
    assets = {a["asset"]: a for a in body["assets"]}
    assert set(assets) == {row["asset_key"] for row in ledger}
    for row in ledger:
        a = assets[row["asset_key"]]
        assert a["latest_partition"] == row["latest"] and a["computed_at"] == iso(row["at"])
        assert a["lag_hours"] is None or a["lag_hours"] > 0
    assert assets["weekly/developer_snapshot"]["latest_partition"] == "2024-01-15"
    weekly = get(api, f"{WS}/insights/sync-status", period_type="weekly").json()
    assert {a["period_type"] for a in weekly["assets"]} == {"weekly"}
    assert get(api, f"{WS}/insights/sync-status", period_type="hourly").status_code == 422


# --- alert rules and key reload: edit the config while the server runs -------------------
RULES = """    alert_rules:
      - {id: active, metric: velocity.commits_count, operator: ">=", threshold: 1, severity: info}
      - {id: quiet, metric: velocity.commits_count, operator: "==", threshold: 0, severity: critical}
      - {id: typo, metric: velocity.bogus_metric, operator: ">", threshold: 0}
      - {id: monthly-reviews, metric: collaboration.review_given_count, operator: ">", threshold: 0,
         period_type: monthly}
"""


def _rewrite(path, text):
    """Write the config the way an editor with atomic saves does, and let the watcher see a new file."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def test_alert_rules_and_alerts_follow_the_live_config(api, demo_deployment):
    _, config, _ = demo_deployment
    original = config.read_text()
    anchor = "      working_days: [mon, tue, wed, thu, fri]\n"
    assert anchor in original
    try:
        empty = get(api, f"{WS}/insights/alert-rules")
        assert empty.json()["items"] == []
        _rewrite(config, original.replace(anchor, anchor + RULES, 1))
        rules = get(api, f"{WS}/insights/alert-rules").json()["items"]
        assert [r["id"] for r in rules] == ["active", "quiet", "typo", "monthly-reviews"]
        assert [r["valid"] for r in rules] == [True, True, False, True]
        assert "bogus_metric" in rules[2]["problem"]
        assert empty.headers["ETag"] != get(api, f"{WS}/insights/alert-rules").headers["ETag"]

        r = get(api, f"{WS}/insights/alerts", limit=500)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["skipped"] == [{"rule_id": "typo", "reason": body["skipped"][0]["reason"]}]
        serving = latest_serving(demo_deployment)
        weekly = {row["developer_id"]: row["commits_count"] for row in query(
            serving, "select d.developer_id, coalesce(s.commits_count, 0) as commits_count "
                     "from staging.stg_developers d left join weekly.developer_snapshot s "
                     "on s.developer_id = d.developer_id and s.workspace_id = d.workspace_id "
                     "and s.period_start = date '2024-01-15' where d.workspace_id = 'demo'")}
        monthly = {row["developer_id"] for row in query(
            serving, "select developer_id from monthly.developer_snapshot where workspace_id = 'demo' "
                     "and period_start = date '2024-01-01' and review_given_count > 0")}
        fired = {(a["rule_id"], a["developer_id"]) for a in body["items"]}
        assert fired == ({("active", d) for d, c in weekly.items() if c >= 1}
                         | {("quiet", d) for d, c in weekly.items() if c == 0}
                         | {("monthly-reviews", d) for d in monthly})
        assert any(rule == "quiet" for rule, _ in fired) or all(c >= 1 for c in weekly.values())
        severities = [a["severity"] for a in body["items"]]
        order = {"critical": 0, "warning": 1, "info": 2}
        assert severities == sorted(severities, key=order.get)
        active = [a for a in body["items"] if a["rule_id"] == "active"]
        assert all(a["period_start"] == "2024-01-15" and a["value"] >= 1 for a in active)
        only = get(api, f"{WS}/insights/alerts", rule_id="quiet").json()["items"]
        assert {a["rule_id"] for a in only} <= {"quiet"}
        assert get(api, f"{WS}/insights/alerts", rule_id="no-such-rule").status_code == 404
        assert get(api, f"{WS}/insights/alerts", severity="urgent").status_code == 422
        page = get(api, f"{WS}/insights/alerts", limit=2).json()
        assert len(page["items"]) == min(2, len(body["items"]))
        if len(body["items"]) > 2:
            rest = get(api, f"{WS}/insights/alerts", limit=500, cursor=page["next_cursor"]).json()["items"]
            assert page["items"] + rest == body["items"]
    finally:
        _rewrite(config, original)
    assert get(api, f"{WS}/insights/alert-rules").json()["items"] == []


def test_api_keys_reload_without_restart(api, demo_deployment):
    _, config, _ = demo_deployment
    original = config.read_text()
    new_key = "added-while-running"
    path = f"{WS}/insights/developers/alice"
    assert get(api, path, headers={"Authorization": f"Bearer {new_key}"}).status_code == 401
    line = f"    - {{name: added, sha256: \"{hash_key(new_key)}\", workspaces: [demo]}}\n"
    try:
        _rewrite(config, original.replace("api:\n  keys:\n", "api:\n  keys:\n" + line, 1))
        r = get(api, path, headers={"Authorization": f"Bearer {new_key}"})
        assert r.status_code == 200, r.text
    finally:
        _rewrite(config, original)
    assert get(api, path, headers={"Authorization": f"Bearer {new_key}"}).status_code == 401
    assert get(api, path).status_code == 200


def test_a_broken_config_keeps_the_last_good_one(api, demo_deployment):
    _, config, _ = demo_deployment
    original = config.read_text()
    try:
        _rewrite(config, original + "\nnot_a_known_key: true\n")
        assert get(api, f"{WS}/insights/developers/alice").status_code == 200
    finally:
        _rewrite(config, original)
    assert get(api, f"{WS}/insights/developers/alice").status_code == 200


# --- predictions and reports before their tables exist -------------------------------------
PENDING = {
    f"{WS}/predictions/attrition/alice": "predictions/predictive_insights",
    f"{WS}/predictions/burnout/alice": "predictions/predictive_insights",
    f"{WS}/predictions/trajectory/alice": "predictions/predictive_insights",
    f"{WS}/predictions/team-health/platform": "predictions/predictive_insights",
    f"{WS}/predictions/insights/alice": "predictions/predictive_insights",
    f"{WS}/reports": "reports/custom_reports",
    f"{WS}/reports/r1": "reports/custom_reports",
    f"{WS}/reports/r1/data": "reports/custom_reports",
    f"{WS}/reports/templates": "reports/report_templates",
    f"{WS}/reports/schedules": "reports/scheduled_reports",
    f"{WS}/reports/exports": "reports/export_jobs",
    f"{WS}/reports/exports/e1": "reports/export_jobs",
}


@pytest.mark.parametrize("path", sorted(PENDING))
def test_routes_without_their_table_name_the_asset(api, demo_deployment, path):
    relation = PENDING[path].replace("/", ".")
    con = duckdb.connect(str(latest_serving(demo_deployment)), read_only=True)
    published = con.execute("select count(*) from information_schema.tables where table_schema || '.' || "
                            "table_name = ?", [relation]).fetchall()[0][0]
    con.close()
    if published:
        pytest.skip(f"{relation} is published in this deployment; see the published-tables tests")
    r = get(api, path)
    assert r.status_code == 404
    assert PENDING[path] in r.json()["error"]["message"]
    assert r.json()["error"]["code"] == "not_found"


# --- dashboard ------------------------------------------------------------------------------
def test_dashboard_presets_and_registry(api):
    presets = get(api, "/dashboard/presets").json()["items"]
    assert [(p["preset_type"], p["widget_count"]) for p in presets] == [
        ("developer", 13), ("manager", 10), ("product", 7), ("hr", 7), ("support", 6), ("sales", 6), ("admin", 6)]
    assert presets[1]["widgets"][:6] == ["welcome", "quickStats", "teamOverview", "sprintOverview",
                                         "trackingSummary", "taskMatcher"]
    widgets = get(api, "/dashboard/widgets").json()
    assert widgets["total"] == len(reg.WIDGETS) == 44 and len(widgets["categories"]) == 15
    assert widgets["next_cursor"] is None
    slugs = {w["id"] for w in widgets["items"]}
    assert all(s in slugs for p in presets for s in p["widgets"])
    assert {"id": "languageProficiency", "category": "Skills", "size": "large"} in widgets["items"]
    assert {"id": "orgMetrics", "category": "Admin", "size": "full"} in widgets["items"]
    page = get(api, "/dashboard/widgets", limit=10).json()
    assert len(page["items"]) == 10 and page["next_cursor"]
    nxt = get(api, "/dashboard/widgets", limit=40, cursor=page["next_cursor"]).json()
    assert page["items"] + nxt["items"] == widgets["items"]
    hiring = get(api, "/dashboard/widgets", category="Hiring").json()
    assert [w["id"] for w in hiring["items"]] == ["hiringPipeline", "candidateStats", "openPositions",
                                                 "interviewSchedule"]
    support = get(api, "/dashboard/accessible-widgets", role="support").json()
    assert [w["id"] for w in support["items"]] == list(reg.PRESETS["support"])
    assert get(api, "/dashboard/accessible-widgets", role="ceo").status_code == 422
    assert get(api, "/dashboard/accessible-widgets").status_code == 422
    assert get(api, "/dashboard/presets", headers={}).status_code == 401
    assert get(api, "/dashboard/presets", headers={"Authorization": "Bearer nope"}).status_code == 401


# --- manners on every route ------------------------------------------------------------------
def test_every_route_needs_a_key_and_hides_other_workspaces(api):
    for path, params in sample_paths(api):
        if path in ("/healthz", "/readyz"):
            continue
        r = get(api, path, headers={}, **params)
        assert r.status_code == 401, (path, r.status_code)
        assert r.json()["error"]["code"] == "unauthorized"
        if path.startswith(WS):
            other = get(api, path, headers=OTHER, **params)
            missing = get(api, path.replace(WS, "/workspaces/nowhere", 1), **params)
            assert other.status_code == missing.status_code == 404, path
            assert other.json()["error"]["message"] == "workspace 'demo' not found"
            assert missing.json()["error"]["message"] == "workspace 'nowhere' not found"


def test_every_route_answers_head_and_304(api):
    for path, params in sample_paths(api):
        r = get(api, path, **params)
        assert r.status_code in (200, 400, 404), (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/json")
        json.loads(r.content)
        head = httpx.head(api.base + path, headers=AUTH, params=params, timeout=10)
        assert head.status_code == r.status_code and head.content == b"", path
        if r.status_code == 200 and path not in ("/healthz", "/readyz"):
            assert head.headers["ETag"] == r.headers["ETag"], path
            assert "must-revalidate" in r.headers["Cache-Control"]
            again = get(api, path, headers={**AUTH, "If-None-Match": r.headers["ETag"]}, **params)
            assert again.status_code == 304 and again.content == b"", path
            if path.startswith(WS):
                assert int(r.headers["X-DevLens-Data-Version"]) >= 1


def test_no_route_returns_a_key_or_its_hash(api, demo_deployment):
    _, config, _ = demo_deployment
    secrets = set(re.findall(r"[0-9a-f]{64}", config.read_text())) | {DEMO_KEY, OTHER_KEY}
    for path, params in sample_paths(api):
        for headers in (AUTH, {}, OTHER):
            r = get(api, path, headers=headers, **params)
            assert not any(s in r.text for s in secrets), path
            assert not any(s in v for s in secrets for v in r.headers.values()), path
    spec = httpx.get(api.base + "/openapi.json").text
    assert not any(s in spec for s in secrets)


def test_bad_parameters_are_4xx_in_the_error_format(api):
    cases = [
        (f"{WS}/insights/alerts", {"limit": 0}, 422),
        (f"{WS}/insights/alerts", {"limit": 501}, 422),
        (f"{WS}/insights/alerts", {"cursor": "garbage!"}, 400),
        (f"{WS}/insights/alert-rules", {"limit": "ten"}, 422),
        (f"{WS}/insights/developers/alice", {"period_start": "9999-12-31", "period_type": "daily"}, 400),
        (f"{WS}/insights/developers/alice", {"period_start": "0001-01-01", "period_type": "biweekly"}, 400),
        (f"{WS}/insights/developers/alice", {"period_start": "2024-01-10", "period_type": "weekly"}, 400),
        (f"{WS}/insights/developers/alice", {"period_type": "yearly"}, 422),
        (f"{WS}/reports", {"filter": "private"}, 422),
        (f"{WS}/predictions/insights/alice", {"limit": -1}, 422),
        ("/dashboard/widgets", {"category": "Nope"}, 422),
        # a cursor we never issued, with an offset that would overflow SQL's bigint
        (f"{WS}/insights/snapshots/history", {"developer_id": "alice", "cursor": "eyJvZmZzZXQiOiAxMTgwNTkxNjIwNzE3NDExMzAzNDI0fQ"}, 400),
    ]
    for path, params, status in cases:
        r = get(api, path, **params)
        assert r.status_code == status, (path, params, r.status_code, r.text)
        assert set(r.json()) == {"error"} and set(r.json()["error"]) == {"code", "message"}
        assert "Traceback" not in r.text


def test_large_responses_are_gzipped(api):
    r = httpx.get(api.base + f"{WS}/insights/sync-status", headers={**AUTH, "Accept-Encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip" and r.json()["assets"]
    raw = httpx.get(api.base + f"{WS}/insights/sync-status", headers={**AUTH, "Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and raw.json() == r.json()
    small = httpx.get(api.base + "/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


def test_no_cors_by_default(api):
    r = httpx.get(api.base + f"{WS}/insights/settings", headers={**AUTH, "Origin": "https://dash.example.com"})
    assert "access-control-allow-origin" not in r.headers


def test_request_log_has_method_path_status_and_latency(api, demo_deployment):
    tmp, _, _ = demo_deployment
    get(api, f"{WS}/insights/settings")
    pattern = re.compile(r"GET /workspaces/demo/insights/settings 200 \d+\.\dms v=\d+")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not pattern.search((tmp / "api.log").read_text()):
        time.sleep(0.1)
    log = (tmp / "api.log").read_text()
    assert pattern.search(log)
    assert DEMO_KEY not in log and "Bearer" not in log
    get(api, f"{WS}/insights/developers/a%0AGET%20/forged%20200%201.0ms")
    time.sleep(0.5)
    assert "\nGET /forged" not in (tmp / "api.log").read_text()


# --- the same routes once their tables are published -------------------------------------------
EXTRA_TABLES = """
create schema if not exists predictions;
create or replace table predictions.predictive_insights (
    workspace_id varchar, developer_id varchar, team_id varchar, insight_type varchar, risk_score double,
    confidence double, risk_level varchar, factors json, recommendations json, raw_analysis json,
    data_window_days integer, generated_by_model varchar, generated_at timestamp, expires_at timestamp);
insert into predictions.predictive_insights values
    ('demo', 'alice', null, 'attrition_risk', 0.1, 0.5, 'low', '[]', '[]', null, 30, 'm1',
     timestamp '2024-01-20 10:00:00', timestamp '2024-01-27 10:00:00'),
    ('demo', 'alice', null, 'attrition_risk', 0.35, 0.8, 'moderate',
     '[{"factor": "after_hours", "weight": 0.6, "evidence": "31% late commits", "trend": "rising"}]',
     '["pair on reviews"]', '{"summary": "watch"}', 90, 'm2', timestamp '2024-01-22 10:00:00',
     timestamp '2024-01-29 10:00:00'),
    ('demo', 'alice', null, 'burnout_risk', 0.7, 0.6, 'high', '[]', '["take a break"]', null, 30, 'm2',
     timestamp '2024-01-22 11:00:00', null),
    ('demo', null, 'platform', 'team_health', 0.2, 0.9, 'low', '[]', '[]', '{}', 30, 'm2',
     timestamp '2024-01-22 12:00:00', null),
    ('other', 'alice', null, 'performance_trajectory', 0.9, 0.9, 'critical', '[]', '[]', null, 30, 'm2',
     timestamp '2024-01-22 12:00:00', null);
create schema if not exists reports;
create or replace table reports.custom_reports (
    workspace_id varchar, report_id varchar, name varchar, description varchar, widgets json, filters json,
    layout json, is_template boolean, is_public boolean, created_at timestamp, updated_at timestamp);
insert into reports.custom_reports values
    ('demo', 'r1', 'Weekly velocity', 'team velocity', '[{"type": "line", "metric": "commits_count",
     "config": {}, "position": {"x": 0, "y": 0}}]', '{"team_ids": ["platform"]}', '{"columns": 2}', false, true,
     timestamp '2024-01-01 00:00:00', null),
    ('demo', 'r2', 'Template', null, '[]', null, null, true, false, null, null),
    ('other', 'r3', 'Not yours', null, '[]', null, null, false, true, null, null);
create or replace table reports.report_widget_data (
    workspace_id varchar, report_id varchar, widget_index integer, widget_type varchar, metric varchar,
    data json, computed_at timestamp);
insert into reports.report_widget_data values
    ('demo', 'r1', 0, 'line', 'commits_count', '{"series": [1, 2, 3]}', timestamp '2024-01-22 01:00:00');
create or replace table reports.report_templates (template_id varchar, name varchar, description varchar, widgets json,
    filters json, layout json);
insert into reports.report_templates values ('t1', 'Team health', 'starter', '[]', null, null);
create or replace table reports.scheduled_reports (
    workspace_id varchar, schedule_id varchar, report_id varchar, schedule varchar, day_of_week integer,
    day_of_month integer, time_utc varchar, recipients json, delivery_method varchar, export_format varchar,
    is_active boolean, last_sent_at timestamp, next_run_at timestamp);
insert into reports.scheduled_reports values
    ('demo', 's1', 'r1', 'weekly', 0, null, '08:00', '["lead@example.com"]', 'email', 'pdf', true, null,
     timestamp '2024-01-29 08:00:00'),
    ('other', 's2', 'r3', 'daily', null, null, '09:00', '[]', 'slack', 'csv', true, null, null);
create or replace table reports.export_jobs (
    workspace_id varchar, export_id varchar, report_id varchar, export_type varchar, format varchar,
    status varchar, file_path varchar, file_size_bytes bigint, error_message varchar, created_at timestamp,
    completed_at timestamp, expires_at timestamp);
insert into reports.export_jobs values
    ('demo', 'e1', 'r1', 'report', 'pdf', 'completed', 'exports/e1.pdf', 1234, null,
     timestamp '2024-01-22 02:00:00', timestamp '2024-01-22 02:01:00', timestamp '2024-02-22 02:00:00'),
    ('demo', 'e2', 'r1', 'report', 'csv', 'failed', null, null, 'no data', timestamp '2024-01-23 02:00:00',
     null, null);
create or replace table meta.sync_status as
    select 'demo' as workspace_id, 'weekly/developer_snapshot' as asset, 'weekly' as period_type,
           '2024-01-15' as latest_partition, timestamp '2024-01-22 00:40:00' as computed_at,
           timestamp '2024-01-22 00:10:00' as last_ingest_at, timestamp '2024-01-22 00:50:00' as published_at,
           24.83 as lag_hours;
"""
CORS_ORIGIN = "https://dash.example.com"


def _write_pointer(serving, version):
    (serving / ".CURRENT.tmp").write_text(json.dumps({"version": version, "file": f"v{version:06d}.duckdb"}))
    (serving / ".CURRENT.tmp").replace(serving / "CURRENT")


@pytest.fixture(scope="module")
def published(demo_deployment, tmp_path_factory):
    """A serving store with the later pieces' tables, and no warehouse at all, behind its own API with CORS."""
    _, config, _ = demo_deployment
    tmp = tmp_path_factory.mktemp("published")
    serving = tmp / ".devlens" / "serving"
    serving.mkdir(parents=True)
    shutil.copy(latest_serving(demo_deployment), serving / "v000001.duckdb")
    con = duckdb.connect(str(serving / "v000001.duckdb"))
    con.execute(EXTRA_TABLES)
    con.close()
    _write_pointer(serving, 1)
    cfg = tmp / "devlens.yaml"
    cfg.write_text(config.read_text() + f"  cors_origins: [\"{CORS_ORIGIN}\"]\n")
    server = ApiServer(tmp, cfg)
    yield server, serving
    server.stop()


def test_predictions_from_their_table(published):
    api, _ = published
    r = get(api, f"{WS}/predictions/attrition/Alice")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["risk_score"], body["risk_level"], body["generated_by_model"]) == (0.35, "moderate", "m2")
    assert body["factors"] == [{"factor": "after_hours", "weight": 0.6, "evidence": "31% late commits",
                                "trend": "rising"}]
    assert body["recommendations"] == ["pair on reviews"] and body["raw_analysis"] == {"summary": "watch"}
    assert (body["generated_at"], body["expires_at"]) == ("2024-01-22T10:00:00Z", "2024-01-29T10:00:00Z")
    assert get(api, f"{WS}/predictions/burnout/alice").json()["risk_level"] == "high"
    missing = get(api, f"{WS}/predictions/trajectory/alice")  # only the other workspace has one
    assert missing.status_code == 404 and "performance_trajectory" in missing.json()["error"]["message"]
    assert get(api, f"{WS}/predictions/attrition/nobody-here").status_code == 404
    team = get(api, f"{WS}/predictions/team-health/platform")
    assert team.status_code == 200 and team.json()["team_id"] == "platform"
    assert get(api, f"{WS}/predictions/team-health/no-such-team").status_code == 404
    cached = get(api, f"{WS}/predictions/insights/alice").json()
    assert [(i["insight_type"], i["generated_by_model"]) for i in cached["items"]] == [
        ("attrition_risk", "m2"), ("burnout_risk", "m2")]


def test_reports_from_their_tables(published):
    api, _ = published
    listed = get(api, f"{WS}/reports").json()
    assert [r["report_id"] for r in listed["items"]] == ["r1", "r2"]
    assert [r["report_id"] for r in get(api, f"{WS}/reports", filter="public").json()["items"]] == ["r1"]
    assert [r["report_id"] for r in get(api, f"{WS}/reports", filter="template").json()["items"]] == ["r2"]
    r1 = get(api, f"{WS}/reports/r1").json()
    assert r1["widgets"][0]["metric"] == "commits_count" and r1["filters"] == {"team_ids": ["platform"]}
    assert r1["layout"] == {"columns": 2} and r1["created_at"] == "2024-01-01T00:00:00Z"
    assert get(api, f"{WS}/reports/r3").status_code == 404  # another workspace's report
    data = get(api, f"{WS}/reports/r1/data").json()
    assert data["widgets"] == [{"widget_index": 0, "widget_type": "line", "metric": "commits_count",
                                "data": {"series": [1, 2, 3]}, "computed_at": "2024-01-22T01:00:00Z"}]
    assert get(api, f"{WS}/reports/r2/data").json()["widgets"] == []
    assert [t["template_id"] for t in get(api, f"{WS}/reports/templates").json()["items"]] == ["t1"]
    schedules = get(api, f"{WS}/reports/schedules").json()["items"]
    assert [(s["schedule_id"], s["recipients"], s["is_active"]) for s in schedules] == [
        ("s1", ["lead@example.com"], True)]
    assert get(api, f"{WS}/reports/schedules", report_id="r2").json()["items"] == []
    exports = get(api, f"{WS}/reports/exports").json()["items"]
    assert [e["export_id"] for e in exports] == ["e2", "e1"]  # newest first
    e1 = get(api, f"{WS}/reports/exports/e1").json()
    assert (e1["status"], e1["file_path"], e1["file_size_bytes"]) == ("completed", "exports/e1.pdf", 1234)
    assert get(api, f"{WS}/reports/exports/e9").status_code == 404


def test_sync_status_from_the_published_table(published):
    api, _ = published
    body = get(api, f"{WS}/insights/sync-status").json()
    assert body["last_ingest_at"] == "2024-01-22T00:10:00Z"
    assert body["assets"] == [{"asset": "weekly/developer_snapshot", "period_type": "weekly",
                               "latest_partition": "2024-01-15", "computed_at": "2024-01-22T00:40:00Z",
                               "lag_hours": 24.83}]
    assert get(api, f"{WS}/insights/sync-status", period_type="daily").json()["assets"] == []


def test_configured_cors_origins(published):
    api, _ = published
    r = get(api, f"{WS}/insights/settings", headers={**AUTH, "Origin": CORS_ORIGIN})
    assert r.headers["access-control-allow-origin"] == CORS_ORIGIN
    assert "X-DevLens-Data-Version" in r.headers["access-control-expose-headers"]
    other = get(api, f"{WS}/insights/settings", headers={**AUTH, "Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers
    pre = httpx.options(api.base + f"{WS}/insights/settings", headers={
        "Origin": CORS_ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == CORS_ORIGIN


def test_a_publish_is_picked_up_without_restart(published):
    """Swap CURRENT to a new version file, as a publish does: the running API serves it on the next request."""
    api, serving = published
    before = get(api, f"{WS}/reports/r1")
    assert before.headers["X-DevLens-Data-Version"] == "1"
    shutil.copy(serving / "v000001.duckdb", serving / "v000002.duckdb")
    con = duckdb.connect(str(serving / "v000002.duckdb"))
    con.execute("update reports.custom_reports set name = 'Renamed' where report_id = 'r1'")
    con.close()
    _write_pointer(serving, 2)
    after = get(api, f"{WS}/reports/r1")
    assert after.headers["X-DevLens-Data-Version"] == "2" and after.json()["name"] == "Renamed"
    assert after.headers["ETag"] != before.headers["ETag"]
    stale = get(api, f"{WS}/reports/r1", headers={**AUTH, "If-None-Match": before.headers["ETag"]})
    assert stale.status_code == 200
    assert get(api, "/readyz").json()["data_version"] == 2


def test_before_the_first_publish_and_after_it(demo_deployment, tmp_path):
    """No data version yet: up but not ready, data routes 503 in the error format; the first publish needs no restart."""
    _, config, _ = demo_deployment
    cfg = tmp_path / "devlens.yaml"
    cfg.write_text(config.read_text())
    server = ApiServer(tmp_path, cfg)
    try:
        assert httpx.get(server.base + "/healthz").status_code == 200
        ready = httpx.get(server.base + "/readyz")
        assert ready.status_code == 503 and ready.json() == {"status": "not_ready", "data_version": None}
        r = get(server, f"{WS}/insights/developers/alice")
        assert r.status_code == 503 and r.json()["error"]["code"] == "not_ready"
        assert get(server, "/dashboard/presets").status_code == 200
        serving = tmp_path / ".devlens" / "serving"
        serving.mkdir(parents=True)
        shutil.copy(latest_serving(demo_deployment), serving / "v000001.duckdb")
        _write_pointer(serving, 1)
        assert httpx.get(server.base + "/readyz").json() == {"status": "ready", "data_version": 1}
        assert get(server, f"{WS}/insights/developers/alice").status_code == 200
    finally:
        server.stop()

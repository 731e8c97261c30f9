"""GitHub → raw → staging → snapshots → API, through the real CLI and Dagster,
against a local server replaying the recorded panjf2000/ants responses."""

import json
from collections import Counter
from datetime import datetime

import duckdb
import httpx

from tests.sources.github.replay import ants_pulls, ants_server, complete_ants

from .conftest import ApiServer, cli_env, run_cli

CONFIG = """
calendar: {start: 2018-07-01, biweekly_anchor: 2018-07-02}
warehouse: {path: .devlens/warehouse.duckdb, serving_dir: .devlens/serving}
workspaces:
  - id: ants
    sources:
      - github: {repo: panjf2000/ants}
api:
  keys:
    - {sha256: "1ac1963b2276362681ef89b99006df5351766ec75320e41839576201d75cf407", workspaces: [ants]}
"""


def test_github_ingest_to_api(tmp_path, monkeypatch):
    config = tmp_path / "devlens.yaml"
    config.write_text(CONFIG)
    pulls = ants_pulls()
    merged = Counter(
        (p["user"]["login"].lower(), p["merged_at"][:7]) for p in pulls if p["merged_at"]
    )
    (login, month), expected = merged.most_common(1)[0]

    with ants_server() as server:
        complete_ants(server)
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_TOKEN", "")
        env_check = cli_env(tmp_path)
        assert env_check["GITHUB_API_URL"] == server.url
        ingest = json.loads(run_cli(tmp_path, config, "ingest", "--json").stdout)
        assert ingest["rows"]["staging/stg_pull_requests"] == len(pulls) == 49

    backfill = json.loads(run_cli(tmp_path, config, "backfill", "--from", f"{month}-01", "--to", f"{month}-01",
                                  "--period-type", "monthly", "--json").stdout)
    assert backfill["runs"][0]["partitions"] == [f"{month}-01"]

    con = duckdb.connect(str(tmp_path / ".devlens" / "warehouse.duckdb"), read_only=True)
    reviews = con.execute("select count(*) from raw.reviews").fetchall()[0][0]
    row = con.execute(
        "select prs_merged from monthly.developer_snapshot where developer_id = ? and period_start = ?",
        [login, datetime.strptime(month, "%Y-%m").date()],
    ).fetchall()
    con.close()
    assert reviews == 30
    assert row == [(expected,)]

    api = ApiServer(tmp_path, config)
    try:
        r = httpx.get(f"{api.base}/workspaces/ants/insights/developers/{login}/velocity",
                      params={"period_type": "monthly", "period_start": f"{month}-01"},
                      headers={"Authorization": "Bearer devlens-demo-key"})
        assert r.status_code == 200 and r.json()["metrics"]["prs_merged"] == expected
    finally:
        api.stop()

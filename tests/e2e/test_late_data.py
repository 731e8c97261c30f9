"""Late data recomputes exactly the touched partitions: through the late-data
sensor (evaluated against a real instance) and through `devlens sync`."""

import json
from datetime import date, datetime, timezone

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from pipelines.automation import late_data_requests
from pipelines.config import load_config
from pipelines.context import DevLens
from pipelines.runner import Runner
from pipelines.warehouse.raw_writer import ensure_raw_schema, upsert

from .conftest import demo_config, run_cli

PR = dict(repository="demo/api", number=9001, author_login="alice", author_user_id=None, title="Late PR",
          state="open", created_at=datetime(2024, 1, 24, 10, 0))


def add(path, table, rows, run_id):
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    ensure_raw_schema(con)
    upsert(con, table, pa.Table.from_pylist(rows), run_id)
    con.close()


def ledger(path):
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute("select asset_key, partition_key, computed_at from meta.partition_ledger").fetchall()
    con.close()
    return {(a, k): t for a, k, t in rows}


def touched(before, after):
    """{period_type: sorted keys} of partitions rewritten between two ledgers, for one model."""
    out: dict[str, set] = {}
    for (asset, key), when in after.items():
        if before.get((asset, key)) != when and asset.endswith("/developer_snapshot"):
            out.setdefault(asset.split("/")[0], set()).add(key)
    return {pt: sorted(keys) for pt, keys in out.items()}


def snapshot_value(path, pt, dev, start, column):
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute(f"select {column} from {pt}.developer_snapshot where developer_id = ? and period_start = ?",
                       [dev, start]).fetchall()
    con.close()
    return rows[0][0] if rows else 0


# touched dates: commit 01-10, PR created 01-24, reviews 03-05 and 03-06, merge 03-06
EXPECTED = {  # periods
    "daily": ["2024-01-10", "2024-01-24", "2024-03-05", "2024-03-06"],
    "weekly": ["2024-01-08", "2024-01-22", "2024-03-04"],
    "biweekly": ["2024-01-01", "2024-01-15", "2024-02-26"],  # anchor 2024-01-01; 03-05 is day 64 -> 02-26
    "monthly": ["2024-01-01", "2024-03-01"],
}
# Dagster partitions daily assets by month: the daily rows recomputed are every day of
# January and March (February untouched); the other period types' partitions are periods.
DAYS = [date.fromordinal(d).isoformat() for d in range(date(2024, 1, 1).toordinal(), date(2024, 4, 1).toordinal())]
REWRITTEN = {**EXPECTED, "daily": [d for d in DAYS if not d.startswith("2024-02")]}


@pytest.fixture
def deployment(tmp_path):
    config = demo_config(tmp_path, developers=6, days=70, extra_workspace=False)  # through 2024-03-10
    devlens = DevLens(load_config(config))
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        runner = Runner(devlens, instance)
        add(devlens.warehouse_path, "pull_requests", [PR], "seed")  # a PR opened on 2024-01-24, still open
        runner.ingest()
        runner.backfill(date(2024, 1, 1), date(2024, 3, 10))
        runner.publish()
        yield tmp_path, config, devlens, runner


@pytest.mark.timeout(900)  # the heaviest end-to-end test: ~25 Dagster runs and a CLI sync
def test_late_reviews_merge_and_backdated_commit(deployment):
    tmp, config, devlens, runner = deployment
    wh = devlens.warehouse_path
    before = ledger(wh)
    merged_before = snapshot_value(wh, "weekly", "alice", date(2024, 3, 4), "prs_merged")
    given_before = snapshot_value(wh, "weekly", "bob", date(2024, 3, 4), "review_given_count")

    # the late data, as a source would deliver it
    add(wh, "reviews", [
        dict(review_id=990001, repository="demo/api", pr_number=9001, reviewer_login="bob", state="COMMENTED",
             submitted_at=datetime(2024, 3, 5, 10, 0)),
        dict(review_id=990002, repository="demo/api", pr_number=9001, reviewer_login="carol", state="APPROVED",
             submitted_at=datetime(2024, 3, 6, 11, 0)),
    ], "late")
    add(wh, "pull_requests", [{**PR, "state": "closed", "merged_at": datetime(2024, 3, 6, 15, 0),
                               "closed_at": datetime(2024, 3, 6, 15, 0)}], "late")
    add(wh, "commits", [dict(repository="demo/api", sha="feedbeef" * 5, author_login="alice",
                             author_email="alice@example.com", authored_at=datetime(2024, 1, 10, 12, 0),
                             additions=10, deletions=1, message="fix: backdated")], "late")

    # ingest: the late-data asset records the batch; the sensor turns it into runs
    ingest = runner.ingest()
    assert ingest.touched == EXPECTED
    last_cursor = str(runner.instance.fetch_materializations(
        dg.AssetKey(["meta", "late_data"]), limit=2).records[1].storage_id)
    result = late_data_requests(devlens, runner.instance, last_cursor, datetime.now(timezone.utc))
    requested: dict[str, list[tuple[str, str]]] = {}
    for req in result.run_requests:
        if dg.AssetKey([req.job_name.removesuffix("_models_job"), "developer_snapshot"]) not in req.asset_selection:
            continue  # "as of" models' later periods (asserted below through the ledger)
        pt = req.job_name.removesuffix("_models_job")
        requested.setdefault(pt, []).append((req.tags["dagster/asset_partition_range_start"],
                                             req.tags["dagster/asset_partition_range_end"]))
        assert {k.path[0] for k in req.asset_selection} == {pt}
    assert {pt: sorted(r) for pt, r in requested.items()} == {
        "daily": [("2024-01-01", "2024-01-01"), ("2024-03-01", "2024-03-01")],
        "weekly": [("2024-01-08", "2024-01-08"), ("2024-01-22", "2024-01-22"), ("2024-03-04", "2024-03-04")],
        "biweekly": [("2024-01-01", "2024-01-15"), ("2024-02-26", "2024-02-26")],
        "monthly": [("2024-01-01", "2024-01-01"), ("2024-03-01", "2024-03-01")],
    }
    # the cursor moves past the batch: a second evaluation requests nothing
    again = late_data_requests(devlens, runner.instance, result.cursor, datetime.now(timezone.utc))
    assert isinstance(again, dg.SkipReason)

    # run what the sensor asked for, as the daemon would
    for req in result.run_requests:
        runner._execute(req.job_name, tags=req.tags, asset_selection=list(req.asset_selection))
    runner.publish()

    after = ledger(wh)
    assert touched(before, after) == REWRITTEN  # and nothing else was rewritten
    # every rewritten partition is a touched one, or a later period of a model that asks for them
    following = {f"{pt}/{m.name}" for pt in EXPECTED for m in devlens.project.period_models() if m.late_data_following}
    rewritten = [(a, k) for (a, k) in after if before.get((a, k)) != after[(a, k)] and a not in following]
    assert rewritten and all(k in REWRITTEN[a.split("/")[0]] for a, k in rewritten)
    assert all(k in before for k in after if k[0] in following)  # later periods: only ones computed before

    assert snapshot_value(wh, "weekly", "alice", date(2024, 3, 4), "prs_merged") == merged_before + 1
    assert snapshot_value(wh, "weekly", "bob", date(2024, 3, 4), "review_given_count") == given_before + 1

    # devlens sync does the same in one command: one more late review
    add(wh, "reviews", [dict(review_id=990003, repository="demo/api", pr_number=9001, reviewer_login="dave",
                             state="COMMENTED", submitted_at=datetime(2024, 2, 14, 9, 0))], "late2")
    proc = run_cli(tmp, config, "sync", "--json")
    doc = json.loads(proc.stdout[proc.stdout.index("{"):])
    # review 02-14, and its PR's created (01-24) and merged/closed (03-06) times
    assert doc["periods"] == {
        "daily": ["2024-01-24", "2024-02-14", "2024-03-06"],
        "weekly": ["2024-01-22", "2024-02-12", "2024-03-04"],
        "biweekly": ["2024-01-15", "2024-02-12", "2024-02-26"],
        "monthly": ["2024-01-01", "2024-02-01", "2024-03-01"],
    }
    assert doc["partitions"] == {**doc["periods"], "daily": ["2024-01-01", "2024-02-01", "2024-03-01"]}
    snapshot_runs = [r for r in doc["runs"] if any(k.endswith("/developer_snapshot") for k in r["rows"])]
    assert sorted((r["job"], r["partitions"][0], r["partitions"][-1]) for r in snapshot_runs if "daily" in r["job"]) \
        == [("daily_models_job", "2024-01-01", "2024-03-01")]
    assert doc["publish"]["rows"]["data_version"] >= 2

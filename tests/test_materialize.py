"""The period write path: a range is replaced atomically, straight into the table,
with the ledger; bad output and changed columns are handled without losing rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.calendar import PeriodCalendar
from pipelines.modeling import ModelProject
from pipelines.modeling.materialize import ModelRunError, build_period_range

CAL = PeriodCalendar(date(2024, 1, 1))
HEADER = "/* ---\ndescription: n per week\nkind: period\nunique_key: [login, period_start]\n--- */\n"
EVENTS = """select * from (values
    ('ann', DATE '2024-01-01'), ('ann', DATE '2024-01-02'), ('bob', DATE '2024-01-09'),
    ('ann', DATE '2024-01-15'), ('bob', DATE '2024-01-22')) as t(login, day)"""


def project(tmp_path: Path, body: str) -> ModelProject:
    root = tmp_path / "models"
    (root / "macros").mkdir(parents=True, exist_ok=True)
    (root / "snapshots").mkdir(exist_ok=True)
    (root / "snapshots" / "weekly_n.sql").write_text(HEADER + body)
    return ModelProject(root, CAL)


COUNT = (
    "select login, {{ period_start_of('day') }} as period_start, count(*) as n\n"
    "from raw.commits where day >= {{ period_start }} and day < {{ period_end }} group by all\n"
)


@pytest.fixture
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw")
    con.execute(f"create table raw.commits as {EVENTS}")
    yield con
    con.close()


def table(con) -> list[tuple]:
    return con.execute("select login, period_start, n from weekly.weekly_n order by all").fetchall()


def ledger(con) -> list[tuple]:
    return con.execute("select partition_key, row_count, run_id from meta.partition_ledger order by all").fetchall()


def test_a_range_is_written_and_rewritten_in_place(con, tmp_path):
    p = project(tmp_path, COUNT)
    r = build_period_range(con, p, "weekly_n", "weekly", date(2024, 1, 1), date(2024, 1, 29), "run-1")
    # weeks 01-01: ann 2; 01-08: bob 1; 01-15: ann 1; 01-22: bob 1
    assert table(con) == [("ann", date(2024, 1, 1), 2), ("ann", date(2024, 1, 15), 1),
                          ("bob", date(2024, 1, 8), 1), ("bob", date(2024, 1, 22), 1)]
    assert r.row_count == 4 and r.rows_per_partition == {
        "2024-01-01": 1, "2024-01-08": 1, "2024-01-15": 1, "2024-01-22": 1}
    # a late commit in week 01-08, then that week alone again: only its rows change
    con.execute("insert into raw.commits values ('ann', DATE '2024-01-10')")
    r = build_period_range(con, p, "weekly_n", "weekly", date(2024, 1, 8), date(2024, 1, 15), "run-2")
    assert table(con) == [("ann", date(2024, 1, 1), 2), ("ann", date(2024, 1, 8), 1), ("ann", date(2024, 1, 15), 1),
                          ("bob", date(2024, 1, 8), 1), ("bob", date(2024, 1, 22), 1)]
    assert r.rows_per_partition == {"2024-01-08": 2}
    assert ledger(con) == [("2024-01-01", 1, "run-1"), ("2024-01-08", 2, "run-2"),
                           ("2024-01-15", 1, "run-1"), ("2024-01-22", 1, "run-1")]
    # an empty period is written as zero rows and recorded
    r = build_period_range(con, p, "weekly_n", "weekly", date(2024, 1, 29), date(2024, 2, 5), "run-3")
    assert r.row_count == 0 and ledger(con)[-1] == ("2024-01-29", 0, "run-3")


def test_rows_outside_the_range_fail_the_run_and_change_nothing(con, tmp_path):
    good = project(tmp_path / "a", COUNT)
    build_period_range(con, good, "weekly_n", "weekly", date(2024, 1, 1), date(2024, 1, 29), "run-1")
    before, before_ledger = table(con), ledger(con)
    # a model that ignores the range: it also emits the other weeks
    bad = project(tmp_path / "b", COUNT.replace("where day >= {{ period_start }} and day < {{ period_end }}", ""))
    with pytest.raises(ModelRunError, match=r"weekly_n \(weekly, 2024-01-08 to 2024-01-15\): the model produced 3 "
                                            r"rows outside the requested periods"):
        build_period_range(con, bad, "weekly_n", "weekly", date(2024, 1, 8), date(2024, 1, 15), "run-2")
    assert table(con) == before and ledger(con) == before_ledger


def test_changed_columns_start_the_table_over_and_the_ledger_forgets_it(con, tmp_path):
    build_period_range(con, project(tmp_path / "a", COUNT), "weekly_n", "weekly",
                       date(2024, 1, 1), date(2024, 1, 29), "run-1")
    wider = project(tmp_path / "b", COUNT.replace("count(*) as n", "count(*) as n, count(*) * 2 as n2"))
    r = build_period_range(con, wider, "weekly_n", "weekly", date(2024, 1, 1), date(2024, 1, 8), "run-2")
    assert r.schema_reset
    assert [c for c, _ in r.columns] == ["login", "period_start", "n", "n2"]
    # only the range just computed is left, in the new shape, and only it is in the ledger
    assert con.execute("select * from weekly.weekly_n").fetchall() == [("ann", date(2024, 1, 1), 2, 4)]
    assert ledger(con) == [("2024-01-01", 1, "run-2")]


def test_a_failing_statement_names_the_model_and_range_and_rolls_back(con, tmp_path):
    build_period_range(con, project(tmp_path / "a", COUNT), "weekly_n", "weekly",
                       date(2024, 1, 1), date(2024, 1, 29), "run-1")
    before = table(con)
    broken = project(tmp_path / "b", COUNT.replace("count(*) as n", "cast('x' || login as integer) as n"))
    with pytest.raises(ModelRunError, match=r"model weekly_n \(weekly, 2024-01-01 to 2024-01-29\): .*Conversion"):
        build_period_range(con, broken, "weekly_n", "weekly", date(2024, 1, 1), date(2024, 1, 29), "run-2")
    assert table(con) == before


def test_a_model_ending_in_a_line_comment(con, tmp_path):
    p = project(tmp_path, COUNT.rstrip("\n") + "\n-- the last line is a comment, without a newline")
    r = build_period_range(con, p, "weekly_n", "weekly", date(2024, 1, 1), date(2024, 1, 8), "run-1")
    assert r.row_count == 1 and table(con) == [("ann", date(2024, 1, 1), 2)]

"""The SQL-model loader: headers, Jinja rendering, sqlglot dependencies, errors with file and line."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlglot

from pipelines.calendar import PERIOD_TYPES, PeriodCalendar
from pipelines.modeling import ModelError, ModelProject, load_project
from pipelines.modeling.project import DEFAULT_MODELS_DIR

CAL = PeriodCalendar(date(2024, 1, 1))


def header(kind: str = "table", unique_key: str | None = None, extra: str = "", description: str = "a model") -> str:
    """A 5-line header (plus `extra` lines); the SQL body starts on line 6."""
    if unique_key is None:
        unique_key = "[workspace_id, period_start]" if kind == "period" else "[id]"
    return f"/* ---\ndescription: {description}\nkind: {kind}\nunique_key: {unique_key}\n{extra}--- */\n"


def build(tmp_path: Path, files: dict[str, str], root_name: str = "models") -> Path:
    root = tmp_path / root_name
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (root / "macros").mkdir(parents=True, exist_ok=True)
    return root


def load_error(tmp_path: Path, files: dict[str, str], calendar: PeriodCalendar = CAL) -> str:
    root = build(tmp_path, files)
    with pytest.raises(ModelError) as e:
        ModelProject(root, calendar)
    return str(e.value)


def where(msg: str) -> tuple[str, int]:
    m = re.match(r"^(?P<file>[^:]+):(?P<line>\d+): ", msg)
    assert m, msg
    return m["file"], int(m["line"])


# --- errors -----------------------------------------------------------------------


def test_unknown_ref(tmp_path):
    msg = load_error(tmp_path, {
        "staging/a.sql": header() + "select *\nfrom {{ ref('nope') }}\n",  # ref on line 7
    })
    assert where(msg) == ("models/staging/a.sql", 7)
    assert "unknown model in ref()" in msg and "'nope'" in msg


def test_unknown_ref_line_ignores_the_header_text(tmp_path):
    msg = load_error(tmp_path, {
        "staging/a.sql": header(description="counts commits per developer") + "select *\nfrom {{ ref('commits') }}\n",
    })
    assert where(msg) == ("models/staging/a.sql", 7)


def test_unknown_source(tmp_path):
    msg = load_error(tmp_path, {
        "staging/a.sql": header() + "select *\n\nfrom {{ source('raw', 'nope') }}\n",  # source on line 8
    })
    file, _ = where(msg)
    assert file == "models/staging/a.sql"
    assert "unknown source" in msg and "raw.nope" in msg


def test_unknown_source_schema(tmp_path):
    msg = load_error(tmp_path, {"staging/a.sql": header() + "select * from {{ source('cooked', 'commits') }}\n"})
    assert where(msg)[0] == "models/staging/a.sql"
    assert "unknown source" in msg and "cooked.commits" in msg


def test_unknown_source_names_its_line(tmp_path):
    msg = load_error(tmp_path, {
        "staging/a.sql": header() + "select *\n\nfrom {{ source('raw', 'nope') }}\n",
    })
    assert where(msg) == ("models/staging/a.sql", 8)


def test_dependency_cycle(tmp_path):
    msg = load_error(tmp_path, {
        "staging/a.sql": header() + "select * from {{ ref('b') }}\n",
        "staging/b.sql": header() + "select * from {{ ref('c') }}\n",
        "staging/c.sql": header() + "select * from {{ ref('a') }}\n",
        "staging/d.sql": header() + "select * from {{ ref('a') }}\n",
    })
    assert "dependency cycle" in msg
    file, _ = where(msg)
    assert file in {"models/staging/a.sql", "models/staging/b.sql", "models/staging/c.sql"}
    cycle = msg.split("dependency cycle: ")[1].split(" -> ")
    assert cycle[0] == cycle[-1]
    assert sorted(cycle[:-1]) == ["a", "b", "c"]
    assert file == f"models/staging/{cycle[0]}.sql"


def test_self_reference_is_a_cycle(tmp_path):
    msg = load_error(tmp_path, {"staging/a.sql": header() + "select * from {{ ref('a') }}\n"})
    assert where(msg)[0] == "models/staging/a.sql"
    assert "dependency cycle: a -> a" in msg


def test_sql_that_does_not_parse(tmp_path):
    msg = load_error(tmp_path, {
        "staging/ok.sql": header() + "select 1 as id\n",
        "staging/bad.sql": header() + "select id\n\n\nfrom {{ source('raw', 'commits') }} as c\nwhere c.x = = 1\n",
    })
    assert where(msg) == ("models/staging/bad.sql", 10)
    assert "SQL does not parse" in msg


def test_sql_error_line_counts_multi_line_header(tmp_path):
    extra = "grain: one row per id\ncolumns:\n  id: the id\n  x: a value\n"  # 4 more header lines
    msg = load_error(tmp_path, {
        "staging/bad.sql": header(extra=extra) + "select\n  id,\n  x +* 2 as y\nfrom {{ source('raw', 'commits') }}\n",
    })
    assert where(msg) == ("models/staging/bad.sql", 12)


def test_not_a_single_select(tmp_path):
    msg = load_error(tmp_path, {"staging/a.sql": header() + "select 1 as id;\nselect 2 as id\n"})
    assert where(msg)[0] == "models/staging/a.sql"
    assert "exactly one SELECT" in msg


def test_missing_header(tmp_path):
    msg = load_error(tmp_path, {"snapshots/nohead.sql": "-- description: no header\nselect 1 as id\n"})
    assert where(msg) == ("models/snapshots/nohead.sql", 1)
    assert "header" in msg


def test_header_without_description(tmp_path):
    msg = load_error(tmp_path, {"staging/a.sql": "/* ---\nkind: table\n--- */\nselect 1 as id\n"})
    assert where(msg)[0] == "models/staging/a.sql"
    assert "description" in msg


def test_header_that_is_not_yaml(tmp_path):
    msg = load_error(tmp_path, {"staging/a.sql": "/* ---\ndescription: ok\nunique_key: [a, b\n--- */\nselect 1 as id\n"})
    file, line = where(msg)
    assert file == "models/staging/a.sql" and line in (3, 4)
    assert "not valid YAML" in msg


def test_unknown_header_key(tmp_path):
    msg = load_error(tmp_path, {"staging/a.sql": header(extra="colums: {id: the id}\n") + "select 1 as id\n"})
    assert where(msg)[0] == "models/staging/a.sql"
    assert "unknown header key" in msg and "colums" in msg and "columns" in msg


def test_unknown_header_key_names_its_line(tmp_path):
    msg = load_error(tmp_path, {"staging/a.sql": header(extra="colums: {id: the id}\n") + "select 1 as id\n"})
    assert where(msg) == ("models/staging/a.sql", 5)


def test_unknown_check(tmp_path):
    msg = load_error(tmp_path, {"staging/a.sql": header(extra="checks:\n  positive: [id]\n") + "select 1 as id\n"})
    assert where(msg)[0] == "models/staging/a.sql"
    assert "positive" in msg and "non_negative" in msg


def test_bad_kind(tmp_path):
    msg = load_error(tmp_path, {"staging/a.sql": header(kind="view") + "select 1 as id\n"})
    assert where(msg)[0] == "models/staging/a.sql"
    assert "'view'" in msg


def test_header_name_must_match_the_file(tmp_path):
    msg = load_error(tmp_path, {"staging/a.sql": header(extra="name: b\n") + "select 1 as id\n"})
    assert where(msg)[0] == "models/staging/a.sql"
    assert "'b'" in msg and "'a'" in msg


def test_period_model_unique_key_needs_period_start(tmp_path):
    msg = load_error(tmp_path, {
        "snapshots/p.sql": header("period", "[workspace_id, developer_id]") + "select 1 as workspace_id\n",
    })
    assert where(msg)[0] == "models/snapshots/p.sql"
    assert "unique_key" in msg and "period_start" in msg


def test_period_model_unique_key_error_names_its_line(tmp_path):
    msg = load_error(tmp_path, {
        "snapshots/p.sql": header("period", "[workspace_id, developer_id]") + "select 1 as workspace_id\n",
    })
    assert where(msg) == ("models/snapshots/p.sql", 4)


def test_same_name_in_two_folders(tmp_path):
    msg = load_error(tmp_path, {
        "staging/dup.sql": header() + "select 1 as id\n",
        "snapshots/dup.sql": header() + "select 2 as id\n",
    })
    file, _ = where(msg)
    assert file in {"models/staging/dup.sql", "models/snapshots/dup.sql"}
    assert "'dup'" in msg
    assert "staging/dup.sql" in msg and "snapshots/dup.sql" in msg


def test_unqualified_table_that_is_not_a_cte(tmp_path):
    msg = load_error(tmp_path, {
        "staging/a.sql": header() + "with x as (select 1 as id)\nselect *\nfrom x\njoin events using (id)\n",
    })
    assert where(msg) == ("models/staging/a.sql", 9)
    assert "'events'" in msg and "neither a CTE nor ref()/source()" in msg


def test_unqualified_table_in_a_subquery(tmp_path):
    msg = load_error(tmp_path, {
        "staging/a.sql": header() + "select *\nfrom (select * from commitz) as c\n",
    })
    assert where(msg) == ("models/staging/a.sql", 7)
    assert "'commitz'" in msg


def test_unqualified_table_line_ignores_the_header_text(tmp_path):
    msg = load_error(tmp_path, {
        "staging/a.sql": header(description="one row per events batch") + "select *\nfrom events\n",
    })
    assert where(msg) == ("models/staging/a.sql", 7)


def test_table_model_cannot_ref_a_period_model(tmp_path):
    msg = load_error(tmp_path, {
        "snapshots/velocity.sql": header("period") + "select 1 as workspace_id, {{ period_start }} as period_start\n",
        "staging/rollup.sql": header() + "select *\nfrom {{ ref('velocity') }}\n",
    })
    assert where(msg) == ("models/staging/rollup.sql", 7)
    assert "table model cannot ref() the period model" in msg and "'velocity'" in msg


def test_template_error_names_the_line(tmp_path):
    msg = load_error(tmp_path, {"staging/a.sql": header() + "select 1 as id\n{% if %}\n"})
    assert where(msg) == ("models/staging/a.sql", 7)
    assert "template error" in msg


def test_period_variables_are_undefined_in_a_table_model(tmp_path):
    msg = load_error(tmp_path, {
        "staging/a.sql": header() + "select 1 as id\nwhere {{ period_start }} is not null\n",
    })
    assert where(msg) == ("models/staging/a.sql", 7)
    assert "period_start" in msg


# --- dependencies and order ---------------------------------------------------------------

PROJECT = {
    "macros/helpers.sql": "{% macro double(x) -%}\n2 * {{ x }}\n{%- endmacro %}\n",
    "staging/stg_users.sql": header() + (
        "with users as (select * from {{ source('raw', 'users') }})\n"
        "select id, lower(login) as login from users\n"
    ),
    "staging/stg_commits.sql": header() + (
        "with\n"
        "commits as (select * from {{ source('raw', 'commits') }}),\n"
        "authors as (select * from {{ ref('stg_users') }})\n"
        "select commits.sha as id, {{ double('commits.additions') }} as twice, authors.login\n"
        "from commits\n"
        "left join authors on authors.id = commits.author_id\n"
        "where exists (select 1 from {{ source('config', 'bots') }} as b where b.login = authors.login)\n"
        "  and commits.sha in (with inner_cte as (select sha from {{ source('raw', 'pull_request_commits') }}) "
        "select sha from inner_cte)\n"
    ),
    "snapshots/dev_periods.sql": header("period") + (
        "with spine as (select * from {{ periods() }})\n"
        "select 'w' as workspace_id, spine.period_start, c.login\n"
        "from spine cross join {{ ref('stg_commits') }} as c\n"
        "cross join range(3) as r(i)\n"
    ),
    "snapshots/dev_velocity.sql": header("period") + (
        "with p as (select * from {{ ref('dev_periods') }})\n"
        "select p.workspace_id, p.period_start, count(*) as n\n"
        "from p\n"
        "join {{ ref('stg_commits') }} as c on c.login = p.login\n"
        "where p.period_start >= {{ period_start }} and p.period_start < {{ period_end }}\n"
        "group by all\n"
    ),
}


@pytest.fixture
def project(tmp_path) -> ModelProject:
    return ModelProject(build(tmp_path, PROJECT), CAL)


def test_dependencies_come_from_the_rendered_sql(project):
    assert set(project.models) == {"stg_users", "stg_commits", "dev_periods", "dev_velocity"}  # macros/ is not a model
    d = project.deps
    assert d["stg_users"].models == () and d["stg_users"].sources == ("raw.users",)
    assert d["stg_commits"].models == ("stg_users",)
    assert d["stg_commits"].sources == ("config.bots", "raw.commits", "raw.pull_request_commits")
    assert d["dev_periods"].models == ("stg_commits",) and d["dev_periods"].sources == ()
    assert set(d["dev_velocity"].models) == {"dev_periods", "stg_commits"} and d["dev_velocity"].sources == ()
    assert project.upstream_period_models("dev_velocity") == ["dev_periods"]
    assert project.upstream_period_models("dev_periods") == []


def test_topological_order(project):
    order = project.order
    assert sorted(order) == sorted(project.models)
    for name, deps in project.deps.items():
        for dep in deps.models:
            assert order.index(dep) < order.index(name), (dep, name)
    assert [m.name for m in project.period_models()] == ["dev_periods", "dev_velocity"]
    assert [m.name for m in project.table_models()] == ["stg_users", "stg_commits"]


def test_topological_order_of_a_longer_chain(tmp_path):
    files = {f"staging/m{i}.sql": header() + f"select * from {{{{ ref('m{i + 1}') }}}}\n" for i in range(6)}
    files["staging/m6.sql"] = header() + "select 1 as id\n"
    files["staging/fan.sql"] = header() + "select * from {{ ref('m0') }} join {{ ref('m3') }} using (id)\n"
    project = ModelProject(build(tmp_path, files), CAL)
    assert project.order.index("m6") < project.order.index("m5") < project.order.index("m0") < project.order.index("fan")
    assert project.deps["fan"].models == ("m0", "m3")


def test_model_attributes(project):
    m = project.models["dev_velocity"]
    assert m.period_scoped and m.kind == "period"
    assert m.folder == "snapshots"
    assert m.unique_key == ("workspace_id", "period_start")
    assert m.relation("monthly") == "monthly.dev_velocity"
    with pytest.raises(ValueError):
        m.relation()
    s = project.models["stg_users"]
    assert not s.period_scoped and s.relation() == "staging.stg_users"
    assert m.source.startswith("/* ---")  # the whole file, so lines match
    assert len(m.source_hash) == 16


def test_render_table_model(project):
    sql = project.render("stg_commits")
    assert "raw.commits" in sql and "staging.stg_users" in sql
    assert "2 * commits.additions" in sql  # the macro
    assert "{{" not in sql
    assert sql.count("\n") == project.models["stg_commits"].source.count("\n")  # lines preserved


def test_render_period_model_substitutes_dates(project):
    sql = project.render("dev_velocity", "biweekly", date(2024, 1, 15), date(2024, 2, 12))
    assert "p.period_start >= DATE '2024-01-15' and p.period_start < DATE '2024-02-12'" in sql
    assert "biweekly.dev_periods" in sql  # a period model's ref is the same period type's table
    assert "join staging.stg_commits as c" in sql
    with pytest.raises(ValueError, match="period-scoped"):
        project.render("dev_velocity")


def test_render_period_type_variable(tmp_path):
    project = ModelProject(build(tmp_path, {
        "snapshots/p.sql": header("period") + "select '{{ period_type }}' as pt, {{ period_start }} as period_start\n",
    }), CAL)
    for pt in PERIOD_TYPES:
        p = CAL.first_period(pt)
        sql = project.render("p", pt, p.start, p.end)
        assert duckdb.sql(sql).fetchall() == [(pt, date(2024, 1, 1))]


# --- period_start_of() in DuckDB -----------------------------------------------------------

START_OF_MODEL = header("period") + (
    "select ts, {{ period_start_of('ts') }} as period_start\n"
    "from (select unnest(range(timestamp '2022-11-20 05:00:00', timestamp '2026-02-10', interval 17 hour)) as ts) as t\n"
)


@pytest.mark.parametrize("anchor", [date(2024, 1, 1), date(2025, 6, 2)])
def test_period_start_of_agrees_with_the_calendar(tmp_path, anchor):
    cal = PeriodCalendar(date(2023, 1, 1), biweekly_anchor=anchor)
    project = ModelProject(build(tmp_path, {"snapshots/s.sql": START_OF_MODEL}), cal)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for pt in PERIOD_TYPES:
        rows = con.sql(project.render("s", pt, date(2023, 1, 1), date(2023, 2, 1))).fetchall()
        assert len(rows) > 1500
        assert any(ts.date() < anchor - timedelta(days=300) for ts, _ in rows)  # far before the anchor too
        wrong = [(ts, got, cal.start_of(pt, ts)) for ts, got in rows if got != cal.start_of(pt, ts)]
        assert wrong == [], (pt, wrong[:5])


def test_period_start_of_dates_and_midnights(tmp_path):
    cal = PeriodCalendar(date(2023, 1, 1), biweekly_anchor=date(2024, 1, 1))
    model = header("period") + (
        "select d, {{ period_start_of('d') }} as a, {{ period_start_of('cast(d as timestamp)') }} as b,\n"
        "  {{ period_start_of(\"cast(d as timestamp) - interval 1 microsecond\") }} as c\n"
        "from (select cast(unnest(range(date '2023-01-01', date '2025-12-31', interval 1 day)) as date) as d) as t\n"
    )
    project = ModelProject(build(tmp_path, {"snapshots/s.sql": model}), cal)
    con = duckdb.connect()
    for pt in PERIOD_TYPES:
        rows = con.sql(project.render("s", pt, date(2023, 1, 1), date(2023, 2, 1))).fetchall()
        assert len(rows) == 1095
        for d, a, b, c in rows:
            assert a == b == cal.start_of(pt, d), (pt, d)
            assert c == cal.start_of(pt, d - timedelta(days=1)), (pt, d)  # the instant before midnight


# --- periods() ------------------------------------------------------------------


@pytest.mark.parametrize("period_type", PERIOD_TYPES)
def test_periods_spine_is_the_calendar_periods(tmp_path, period_type):
    cal = PeriodCalendar(date(2023, 6, 1), biweekly_anchor=date(2024, 1, 1))
    model = header("period") + "select period_start, period_end from {{ periods() }} as s order by 1\n"
    project = ModelProject(build(tmp_path, {"snapshots/s.sql": model}), cal)
    con = duckdb.connect()
    first = cal.containing(period_type, date(2023, 11, 20)).start
    last_end = cal.containing(period_type, date(2024, 3, 3)).end
    rows = con.sql(project.render("s", period_type, first, last_end)).fetchall()
    expected = [(p.start, p.end) for p in cal.iter_periods(period_type, first, last_end)]
    assert rows == expected
    assert rows[0][0] == first and rows[-1][1] == last_end
    for a, b in zip(rows, rows[1:]):
        assert a[1] == b[0]
    # a single period
    one = cal.containing(period_type, date(2024, 2, 29))
    assert con.sql(project.render("s", period_type, one.start, one.end)).fetchall() == [(one.start, one.end)]
    # an empty range gives an empty, typed relation
    empty = con.sql(project.render("s", period_type, one.start, one.start))
    assert empty.fetchall() == []
    assert [str(t) for t in empty.types] == ["DATE", "DATE"]


# --- the real project ----------------------------------------------------------------


def test_real_project_loads():
    project = load_project(PeriodCalendar(date(2024, 1, 1)))
    assert project.root == DEFAULT_MODELS_DIR and DEFAULT_MODELS_DIR.name == "sql_models"
    assert len(project.models) >= 10
    assert {"stg_commits", "stg_pull_requests", "stg_reviews"} <= set(project.models)
    assert project.period_models(), "no period models"
    for name, model in project.models.items():
        assert model.description.strip(), name
        assert model.path.is_relative_to(DEFAULT_MODELS_DIR)
        assert "macros" not in model.path.relative_to(DEFAULT_MODELS_DIR).parts
        if model.period_scoped:
            assert "period_start" in model.unique_key, name
        else:
            # a table model never depends on a period model
            assert project.upstream_period_models(name) == [], name
        for dep in project.deps[name].models:
            assert project.order.index(dep) < project.order.index(name)
    # every period model renders for every period type
    for model in project.period_models():
        for pt in PERIOD_TYPES:
            p = CAL.first_period(pt)
            sql = project.render(model.name, pt, p.start, p.end)
            assert "{{" not in sql and "{%" not in sql
            assert isinstance(sqlglot.parse_one(sql, read="duckdb"), sqlglot.exp.Query), model.name


# --- ephemeral models ------------------------------------------------------------------

EPHEMERAL = {
    "staging/stg_events.sql": header(unique_key="[login, day]") + (
        "select login, day, n from {{ source('raw', 'commits') }}\n"
    ),
    "snapshots/spine.sql": header("ephemeral", "[login, period_start]") + (
        "select login, {{ period_start_of('day') }} as period_start, sum(n) as n\n"
        "from {{ ref('stg_events') }}\n"
        "where day >= {{ period_start }} and day < {{ period_end }}\n"
        "group by all\n"
    ),
    "snapshots/doubled.sql": header("ephemeral", "[login, period_start]") + (
        "select login, period_start, 2 * n as n2 from {{ ref('spine') }}\n"
    ),
    "snapshots/snapshot.sql": header("period", "[login, period_start]") + (
        "with spine as (select * from {{ ref('spine') }}), doubled as (select * from {{ ref('doubled') }})\n"
        "select spine.login, spine.period_start, spine.n, doubled.n2\n"
        "from spine join doubled using (login, period_start)\n"
    ),
}


@pytest.fixture
def ephemeral_project(tmp_path) -> ModelProject:
    return ModelProject(build(tmp_path, EPHEMERAL), CAL)


def test_an_ephemeral_model_has_no_asset_and_its_deps_pass_through(ephemeral_project):
    p = ephemeral_project
    assert [m.name for m in p.period_models()] == ["snapshot"]  # materialized period models only
    assert [m.name for m in p.table_models()] == ["stg_events"]
    assert p.models["spine"].ephemeral and p.models["spine"].period_scoped
    assert set(p.deps["snapshot"].models) == {"spine", "doubled"}  # direct refs
    assert p.ephemerals_of("snapshot") == ["spine", "doubled"]  # dependencies first
    assert p.materialized_deps("snapshot").models == ("stg_events",)
    assert p.materialized_deps("snapshot").sources == ()  # raw.commits is stg_events's
    assert p.order.index("spine") < p.order.index("doubled") < p.order.index("snapshot")


def test_an_ephemeral_model_is_inlined_once_as_a_cte(ephemeral_project):
    sql = ephemeral_project.render("snapshot", "weekly", date(2024, 1, 1), date(2024, 1, 15))
    # spine is read twice (by snapshot and by doubled) but rendered once, before doubled
    assert sql.count("from staging.stg_events") == 1
    assert sql.index("__ephemeral_spine as (") < sql.index("__ephemeral_doubled as (")
    con = duckdb.connect()
    con.execute("create schema staging")
    con.execute("create table staging.stg_events as select * from (values "
                "('ann', DATE '2024-01-01', 1), ('ann', DATE '2024-01-07', 2), ('ann', DATE '2024-01-08', 5), "
                "('bob', DATE '2024-01-14', 3), ('bob', DATE '2024-01-15', 9)) as t(login, day, n)")
    got = con.execute(f"select * from ({sql}) order by all").fetchall()
    # ann: week 1 = 1 + 2, week 2 = 5; bob: week 2 = 3 (01-15 is outside the range)
    assert got == [("ann", date(2024, 1, 1), 3, 6), ("ann", date(2024, 1, 8), 5, 10), ("bob", date(2024, 1, 8), 3, 6)]


def test_an_ephemeral_model_renders_on_its_own(ephemeral_project):
    sql = ephemeral_project.render("doubled", "monthly", date(2024, 1, 1), date(2024, 2, 1))
    assert "__ephemeral_spine as (" in sql
    sqlglot.parse_one(sql, read="duckdb")


@pytest.mark.parametrize("key", ["checks:\n  non_negative: [n]\n", "serve: true\n",
                                 "late_data:\n  following_periods: all\n"])
def test_an_ephemeral_model_cannot_have_checks_serve_or_late_data(tmp_path, key):
    msg = load_error(tmp_path, {"snapshots/e.sql": header("ephemeral", "[period_start]", extra=key) + "select 1\n"})
    assert where(msg) == ("models/snapshots/e.sql", 5)
    assert "an ephemeral model has no table" in msg


def test_a_table_model_cannot_ref_an_ephemeral_model(tmp_path):
    msg = load_error(tmp_path, {
        "snapshots/e.sql": header("ephemeral", "[period_start]") + "select {{ period_start }} as period_start\n",
        "staging/t.sql": header() + "select *\nfrom {{ ref('e') }}\n",
    })
    assert where(msg) == ("models/staging/t.sql", 7)
    assert "cannot ref() the ephemeral" in msg


def test_the_code_version_covers_the_ephemeral_models_inlined(tmp_path, monkeypatch):
    from pipelines.context import DevLens
    from pipelines.config import DevLensConfig

    def version(spine_sql: str) -> str:
        root = build(tmp_path / spine_sql[-3:].strip(), {**EPHEMERAL, "snapshots/spine.sql": spine_sql})
        lens = DevLens.__new__(DevLens)
        lens.calendar, lens.project = CAL, ModelProject(root, CAL)
        return lens.code_version("snapshot")

    before = version(EPHEMERAL["snapshots/spine.sql"])
    after = version(EPHEMERAL["snapshots/spine.sql"].replace("sum(n)", "max(n)"))
    assert before != after

"""The deterministic demo generator (pipelines/sources/demo.py)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pipelines.sources.demo import (
    DEMO_BOTS,
    DEMO_PEOPLE,
    DEMO_TEAMS,
    demo_developers,
    demo_repositories,
    generate_demo,
)

SMALL = dict(developers=12, days=28, seed=7)
START = date(2024, 1, 1)
END = START + timedelta(days=SMALL["days"])

RAW_TABLES = [
    "repositories", "workspace_repositories", "users", "team_members", "commits", "commit_files",
    "pull_requests", "pull_request_commits", "pull_request_files", "reviews", "review_comments",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One small demo in a real DuckDB file, shared by the read-only checks."""
    path = tmp_path_factory.mktemp("demo") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    lines: list[str] = []
    summary = generate_demo(con, log=lines.append, **SMALL)
    yield con, summary, lines
    con.close()


def one(con, sql, params=None):
    return con.execute(sql, params or []).fetchone()[0]


def table_rows(con, table):
    return sorted(con.execute(f"select * from raw.{table}").fetchall(), key=repr)


# -- determinism and idempotence ---------------------------------------------


def test_same_arguments_give_identical_rows_and_other_seeds_do_not(tmp_path):
    cons = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        generate_demo(con, developers=12, days=28, seed=seed)
        cons.append(con)
    a, b, c = cons
    for table in RAW_TABLES:
        rows_a = table_rows(a, table)
        assert rows_a, table
        assert rows_a == table_rows(b, table), f"raw.{table} differs between identical runs"
    # The change log records the same changes (its seq order within one upsert
    # follows DuckDB's parallel execution, so compare it as a multiset).
    log = "select run_id, entity, change, repository, pr_number, entity_key, event_times from raw.change_log"
    assert sorted(a.execute(log).fetchall(), key=repr) == sorted(b.execute(log).fetchall(), key=repr)
    # A different seed gives different activity on the same people and repositories.
    assert table_rows(a, "commits") != table_rows(c, "commits")
    assert table_rows(a, "users") == table_rows(c, "users")
    for con in cons:
        con.close()


def test_rerun_into_the_same_file_changes_nothing(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    first = generate_demo(con, **SMALL)
    assert first.inserted["commits"] == first.commits > 0
    counts = {t: one(con, f"select count(*) from raw.{t}") for t in RAW_TABLES + ["change_log"]}
    second = generate_demo(con, **SMALL)
    assert sum(second.inserted.values()) == 0
    assert sum(second.updated.values()) == 0
    assert {t: one(con, f"select count(*) from raw.{t}") for t in counts} == counts
    assert second.commits == first.commits and second.reviews == first.reviews

    # Another workspace in the same warehouse adds its own rows and touches none of these.
    other = generate_demo(con, workspace_id="acme", **SMALL)
    assert sum(other.updated.values()) == 0
    assert other.inserted["reviews"] == other.reviews == first.reviews
    assert other.inserted["users"] == 0  # the same people, byte-identical rows
    assert one(con, "select count(*) from raw.reviews") == 2 * first.reviews
    assert one(con, "select count(distinct sha) from raw.commits where repository like 'acme%'") > 0
    assert one(con, """select count(*) from raw.commits a join raw.commits d using (sha)
                       where a.repository like 'acme%' and d.repository like 'demo%'""") == 0
    con.close()


def test_summary_matches_the_tables_and_logs_each_month(demo):
    con, s, lines = demo
    assert (s.workspace_id, s.developers, s.start, s.end) == ("demo", 12, START, END)
    assert s.commits == one(con, "select count(*) from raw.commits")
    assert s.pull_requests == one(con, "select count(*) from raw.pull_requests")
    assert s.reviews == one(con, "select count(*) from raw.reviews")
    assert s.review_comments == one(con, "select count(*) from raw.review_comments")
    assert s.repositories == one(con, "select count(*) from raw.repositories")
    assert sorted(demo_repositories("demo", 12)) == [r[0] for r in con.execute(
        "select repository from raw.repositories order by 1").fetchall()]
    assert len(lines) == 1 and "2024-01" in lines[0]  # 28 days: one monthly chunk

    log: list[str] = []
    generate_demo(duckdb.connect(), developers=3, days=45, log=log.append)
    assert [line.split()[2] for line in log] == ["2024-01:", "2024-02:"]


# -- people, teams, bots -------------------------------------------------------


def test_people_teams_and_bots(demo):
    con, _, _ = demo
    fixed = {p.login: p.timezone for p in DEMO_PEOPLE}
    assert fixed == {
        "alice": "Europe/Berlin", "bob": "America/New_York", "carol": "Asia/Kolkata", "dave": "UTC",
        "erin": "America/Los_Angeles", "frank": "Europe/London", "grace": "Asia/Tokyo",
        "heidi": "Australia/Sydney",
    }
    assert "alice@old.example.com" in DEMO_PEOPLE[0].old_emails
    assert [p.login for p in demo_developers(12)][8:] == ["dev-0009", "dev-0010", "dev-0011", "dev-0012"]
    assert [p.login for p in demo_developers(3)] == ["alice", "bob", "carol"]

    users = dict(con.execute("select login, type from raw.users").fetchall())
    assert users["dependabot[bot]"] == "Bot" and users["ci-runner"] == "User"
    assert set(DEMO_BOTS) <= set(users)
    assert all(users[p.login] == "User" for p in demo_developers(12))
    ids = con.execute("select login, user_id from raw.users where login = 'alice'").fetchone()
    assert ids == ("alice", DEMO_PEOPLE[0].user_id)

    teams = dict(con.execute(
        "select team_id, list(login order by login) from raw.team_members where workspace_id = 'demo' group by 1"
    ).fetchall())
    assert 3 <= len(teams) <= 5 and set(teams) <= set(DEMO_TEAMS)
    memberships = con.execute("select login, count(*) from raw.team_members group by 1").fetchall()
    assert ("alice", 2) in memberships
    in_a_team = {login for login, _ in memberships}
    assert "heidi" not in in_a_team and "dev-0012" not in in_a_team
    assert not in_a_team & {"dependabot[bot]", "ci-runner"}

    bot_prs = one(con, """select count(*) from raw.pull_requests p join raw.pull_request_commits pc
                          on pc.repository = p.repository and pc.pr_number = p.number
                          join raw.commits c on c.repository = pc.repository and c.sha = pc.sha
                          where p.author_login = 'dependabot[bot]' and c.author_login = 'dependabot[bot]'
                          and 'dependencies' = any(p.labels)""")
    assert bot_prs > 0
    releases = "select count(*) from raw.commits where author_login = 'ci-runner' and message like 'chore(release)%'"
    assert one(con, releases) > 0
    assert one(con, "select count(*) from raw.reviews where reviewer_login = 'ci-runner'") > 0


# -- commits --------------------------------------------------------------------


def test_commit_varieties(demo):
    con, _, _ = demo
    messages = [m for (m,) in con.execute("select message from raw.commits").fetchall()]
    conventional = re.compile(r"^(feat|fix|chore|refactor|test|docs|perf|ci|build)(\([a-z_]+\))?!?: \S")
    conv = [m for m in messages if conventional.match(m)]
    assert len(conv) > 0.3 * len(messages)
    assert len(messages) - len(conv) > 0.15 * len(messages)  # free-form messages too
    assert any(re.match(r"^(feat|fix)(\([a-z_]+\))?!: ", m) for m in messages)
    assert any("\n\nBREAKING CHANGE: " in m for m in messages)
    trailers = [m for m in messages if re.search(r"\n\nCo-authored-by: [^<\n]+ <[^>\s]+@[^>\s]+>$", m)]
    assert trailers

    merges = con.execute("""select count(*), count(*) filter (where message like 'Merge pull request #%')
                            from raw.commits where parent_count = 2 and on_default_branch""").fetchone()
    assert merges[0] > 0 and merges[1] > 0
    assert one(con, "select count(*) from raw.commits where parent_count not in (1, 2)") == 0

    unlinked = con.execute("""select lower(author_email), count(*) from raw.commits
                              where author_user_id is null and author_login is null group by 1""").fetchall()
    emails = dict(unlinked)
    assert "alice@old.example.com" in emails
    # Unlinked work addresses resolve through linked commits with the same email.
    assert one(con, """select count(*) from raw.commits u where u.author_user_id is null
                       and exists (select 1 from raw.commits l where l.author_user_id is not null
                                   and lower(l.author_email) = lower(u.author_email))""") > 0
    assert "mallory@former.example.com" in emails  # a departed person, no account
    # A deleted account on a review: the ghost placeholder and a NULL user.
    assert one(con, "select count(*) from raw.reviews where reviewer_login = 'ghost'") > 0
    assert one(con, "select count(*) from raw.reviews where reviewer_login is null") > 0


def test_local_times_include_weekends_and_late_nights(demo):
    con, _, _ = demo
    zones = {p.login: ZoneInfo(p.timezone) for p in demo_developers(12)}
    commits = con.execute("""select u.login, c.authored_at from raw.commits c
                             join raw.users u on u.user_id = c.author_user_id
                             where u.type = 'User' and u.login <> 'ci-runner' and c.parent_count = 1""").fetchall()
    local = [t.replace(tzinfo=ZoneInfo("UTC")).astimezone(zones[login]) for login, t in commits]
    assert any(t.weekday() >= 5 for t in local)
    assert any(t.hour >= 22 or t.hour < 2 for t in local)  # 22:00-02:00 local


def test_people_keep_their_habits_in_their_own_time_zone():
    """Per-person habits need more than four weeks to show: 13 weeks of the named people."""
    con = duckdb.connect()
    generate_demo(con, developers=8, days=91, seed=7)
    zones = {p.login: ZoneInfo(p.timezone) for p in demo_developers(8)}
    rows = con.execute("""select u.login, c.authored_at from raw.commits c
                          join raw.users u on u.user_id = c.author_user_id
                          where u.type = 'User' and u.login <> 'ci-runner' and c.parent_count = 1""").fetchall()
    assert len(rows) > 100
    local = [(login, t.replace(tzinfo=ZoneInfo("UTC")).astimezone(zones[login])) for login, t in rows]
    office = [t for _, t in local if t.weekday() < 5 and 9 <= t.hour < 18]
    assert len(office) > 0.6 * len(local)  # most work happens in local office hours

    def share(login, pick):
        mine = [t for who, t in local if who == login]
        return sum(map(pick, mine)) / len(mine)

    def is_late(t):  # METRICS.md: local hour in 22:00-05:59
        return t.hour >= 22 or t.hour < 6

    def is_weekend(t):
        return t.weekday() >= 5

    steady = {p.login for p in demo_developers(8) if not (p.night_owl or p.overworked)}
    assert steady == {p.login for p in demo_developers(8)} - {"dave", "bob"}
    regular = [t for who, t in local if who in steady]
    flagged = [t for who, t in local if who not in steady]
    assert share("dave", is_late) > 0.25  # the night owl
    assert sum(map(is_late, regular)) < 0.08 * len(regular)
    # bob (overworked) and dave work weekends far more often than the others.
    assert sum(map(is_weekend, flagged)) / len(flagged) > 2 * sum(map(is_weekend, regular)) / len(regular)
    # Local office hours are local: carol (Kolkata) and erin (Los Angeles) both
    # work mostly 9-18 in their own zone, which are disjoint UTC windows.
    for login in ("carol", "erin"):
        assert share(login, lambda t: 9 <= t.hour < 18) > 0.6, login


def test_files_cover_languages_migrations_and_manifests(demo):
    con, _, _ = demo
    paths = {p for (p,) in con.execute("select distinct path from raw.commit_files").fetchall()}
    for suffix in (".py", ".ts", ".go", ".sql", ".md"):
        assert any(p.endswith(suffix) for p in paths), suffix
    assert "Dockerfile" in paths
    assert any(re.fullmatch(r"\.github/workflows/[a-z]+\.yml", p) for p in paths)
    assert any(p.startswith("migrations/") for p in paths)
    assert any("/auth/" in p or p.startswith("auth/") for p in paths)
    manifests = {"requirements.txt", "package.json", "go.mod", "pyproject.toml", "Cargo.toml"}
    assert len(manifests & paths) >= 3
    statuses = {s for (s,) in con.execute("select distinct status from raw.commit_files").fetchall()}
    assert {"added", "modified", "removed"} <= statuses


def test_fork_shares_shas_and_git_repository_keeps_offsets(demo):
    con, _, _ = demo
    fork = "select is_fork, parent, source from raw.repositories where repository = 'demo-forks/api'"
    assert con.execute(fork).fetchone() == (True, "demo/api", "demo")
    shared = one(con, """select count(*) from raw.commits f join raw.commits a using (sha)
                         where f.repository = 'demo-forks/api' and a.repository = 'demo/api'""")
    assert shared > 0
    assert one(con, "select count(*) from (select sha from raw.commits group by sha having count(*) > 1)") == shared

    git = con.execute("""select count(*), count(author_user_id), count(author_login), count(author_utc_offset_minutes)
                         from raw.commits c join raw.repositories r using (repository)
                         where r.source = 'git'""").fetchone()
    assert git[0] > 0 and git[1] == 0 and git[2] == 0 and git[3] == git[0]
    assert one(con, """select count(author_utc_offset_minutes) from raw.commits c
                       join raw.repositories r using (repository) where r.source <> 'git'""") == 0
    assert {s for (s,) in con.execute("select distinct source from raw.repositories").fetchall()} == {"demo", "git"}
    assert one(con, "select count(*) from raw.commits where repository <> lower(repository)") == 0


# -- pull requests and reviews -------------------------------------------------


def test_review_states_and_comments(demo):
    con, _, _ = demo
    states = dict(con.execute("select state, count(*) from raw.reviews group by 1").fetchall())
    assert set(states) == {"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "PENDING", "DISMISSED"}
    assert states["APPROVED"] > states["PENDING"] and states["APPROVED"] > states["DISMISSED"]
    assert one(con, "select count(*) from raw.reviews where (state = 'PENDING') <> (submitted_at is null)") == 0

    # Inline comments carry paths from the PR's files; replies point at a comment.
    assert one(con, "select count(*) from raw.review_comments where path is null") == 0
    assert one(con, """select count(*) from raw.review_comments c where not exists (
                       select 1 from raw.pull_request_files f where f.repository = c.repository
                       and f.pr_number = c.pr_number and f.path = c.path)""") == 0
    replies = one(con, """select count(*) from raw.review_comments r join raw.review_comments c
                          on c.comment_id = r.in_reply_to_id and c.pr_number = r.pr_number""")
    assert replies > 0 and replies == one(con, "select count(in_reply_to_id) from raw.review_comments")
    # A pending review's draft comment exists.
    assert one(con, """select count(*) from raw.review_comments c join raw.reviews r using (review_id)
                       where r.state = 'PENDING'""") > 0


def test_pull_request_outcomes(demo):
    con, _, _ = demo
    outcomes = dict(con.execute("""select case when merged_at is not null then 'merged'
                                                when closed_at is not null then 'closed' else 'open' end, count(*)
                                   from raw.pull_requests group by 1""").fetchall())
    assert set(outcomes) == {"merged", "closed", "open"}
    assert outcomes["merged"] > outcomes["closed"]
    assert one(con, """select count(*) from raw.pull_requests where (state = 'open') <> (closed_at is null)
                       or (merged_at is not null and (merged_at <> closed_at or merged_by_login is null))""") == 0

    # Self-merges: merged with no approval by another person before the merge.
    self_merged = one(con, """select count(*) from raw.pull_requests p
        where p.merged_at is not null and p.author_login not like '%[bot]' and not exists (
            select 1 from raw.reviews r where r.repository = p.repository and r.pr_number = p.number
            and r.state = 'APPROVED' and r.reviewer_user_id is distinct from p.author_user_id
            and r.submitted_at <= p.merged_at)""")
    assert self_merged > 0
    # Reviews only after the merge.
    assert one(con, """select count(*) from raw.reviews r join raw.pull_requests p
                       on p.repository = r.repository and p.number = r.pr_number
                       where r.submitted_at > p.merged_at""") > 0

    # Rework: the author commits on the PR after a CHANGES_REQUESTED review.
    rework = one(con, """select count(distinct (p.repository, p.number)) from raw.pull_requests p
        join raw.reviews r on r.repository = p.repository and r.pr_number = p.number and r.state = 'CHANGES_REQUESTED'
        join raw.pull_request_commits pc on pc.repository = p.repository and pc.pr_number = p.number
        join raw.commits c on c.repository = pc.repository and c.sha = pc.sha
        where c.authored_at > r.submitted_at and c.author_user_id = p.author_user_id""")
    assert rework > 0

    # Cross-team reviews: the reviewer shares no team with the author.
    cross = one(con, """select count(*) from raw.reviews r join raw.pull_requests p
        on p.repository = r.repository and p.number = r.pr_number
        join raw.users ru on ru.user_id = r.reviewer_user_id
        join raw.users au on au.user_id = p.author_user_id
        where r.reviewer_user_id <> p.author_user_id and ru.type = 'User' and ru.login <> 'ci-runner'
          and au.type = 'User'
          and not exists (select 1 from raw.team_members a join raw.team_members b using (workspace_id, team_id)
                          where a.login = au.login and b.login = ru.login)""")
    assert cross > 0
    # Authors reply to reviewers: a review by the PR's own author.
    assert one(con, """select count(*) from raw.reviews r join raw.pull_requests p
                       on p.repository = r.repository and p.number = r.pr_number
                       where r.reviewer_user_id = p.author_user_id""") > 0


def test_referential_integrity(demo):
    con, _, _ = demo
    for table, col in (("reviews", "pr_number"), ("review_comments", "pr_number"),
                       ("pull_request_commits", "pr_number"), ("pull_request_files", "pr_number")):
        orphans = one(con, f"""select count(*) from raw.{table} x where not exists (select 1 from raw.pull_requests p
                               where p.repository = x.repository and p.number = x.{col})""")
        assert orphans == 0, table
    assert one(con, """select count(*) from raw.review_comments c where c.review_id is not null
                       and not exists (select 1 from raw.reviews r where r.review_id = c.review_id
                                       and r.pr_number = c.pr_number and r.repository = c.repository)""") == 0
    assert one(con, """select count(*) from raw.pull_requests p where not exists (
                       select 1 from raw.pull_request_commits pc where pc.repository = p.repository
                       and pc.pr_number = p.number)""") == 0
    # Every PR commit is a commit of that repository, on the default branch iff the PR merged.
    assert one(con, """select count(*) from raw.pull_request_commits pc left join raw.commits c
                       using (repository, sha) where c.sha is null""") == 0
    assert one(con, """select count(*) from raw.pull_request_commits pc join raw.commits c using (repository, sha)
                       join raw.pull_requests p on p.repository = pc.repository and p.number = pc.pr_number
                       where c.on_default_branch <> (p.merged_at is not null)""") == 0
    # Commit stats are the sums of their files; a merge commit has no files.
    assert one(con, """select count(*) from raw.commits c left join (
                           select repository, sha, sum(additions) a, sum(deletions) d
                           from raw.commit_files group by all) f using (repository, sha)
                       where c.additions <> coalesce(f.a, 0) or c.deletions <> coalesce(f.d, 0)""") == 0
    # PR files are the union of its commits' files, with summed stats; PR totals match.
    assert one(con, """with expected as (
                           select pc.repository, pc.pr_number, cf.path, sum(cf.additions) a, sum(cf.deletions) d
                           from raw.pull_request_commits pc join raw.commit_files cf using (repository, sha)
                           group by all)
                       select count(*) from expected e full join raw.pull_request_files f
                       on f.repository = e.repository and f.pr_number = e.pr_number and f.path = e.path
                       where f.path is null or e.path is null or f.additions <> e.a or f.deletions <> e.d""") == 0
    assert one(con, """select count(*) from raw.pull_requests p join (
                           select repository, pr_number, sum(additions) a, sum(deletions) d, count(*) n
                           from raw.pull_request_files group by all) f
                       on f.repository = p.repository and f.pr_number = p.number
                       where p.additions <> f.a or p.deletions <> f.d or p.changed_files <> f.n""") == 0
    # Every linked account and repository is known.
    assert one(con, """select count(*) from (select author_user_id u from raw.commits union
                       select author_user_id from raw.pull_requests union select reviewer_user_id from raw.reviews
                       union select author_user_id from raw.review_comments) x
                       where u is not null and u not in (select user_id from raw.users)""") == 0
    assert one(con, """select count(*) from raw.repositories r where not exists (
                       select 1 from raw.workspace_repositories w
                       where w.workspace_id = 'demo' and w.repository = r.repository)""") == 0
    assert one(con, """select count(*) from raw.commits
                       where repository not in (select repository from raw.repositories)""") == 0


def test_everything_happens_inside_the_window(demo):
    con, _, _ = demo
    lo, hi = datetime(2024, 1, 1), datetime.combine(END, datetime.min.time())
    for table, col in (("commits", "authored_at"), ("pull_requests", "created_at"), ("pull_requests", "merged_at"),
                       ("pull_requests", "closed_at"), ("pull_requests", "updated_at"),
                       ("reviews", "submitted_at"), ("review_comments", "created_at")):
        low, high = con.execute(f"select min({col}), max({col}) from raw.{table}").fetchone()
        assert lo <= low and high < hi, (table, col)
    # Commits come before the PR that lists them is opened, except rework.
    assert one(con, """select count(*) from raw.pull_requests p where updated_at < created_at
                       or merged_at < created_at or closed_at < created_at""") == 0
    assert one(con, """select count(*) from raw.reviews r join raw.pull_requests p
                       on p.repository = r.repository and p.number = r.pr_number
                       where r.submitted_at < p.created_at""") == 0


def test_rates_per_developer_day_at_a_medium_size():
    con = duckdb.connect()
    s = generate_demo(con, developers=60, days=56, seed=3)
    dd = 60 * 56
    assert 0.9 < s.commits / dd < 1.45
    assert 0.19 < s.pull_requests / dd < 0.29
    assert 0.42 < s.reviews / dd < 0.66
    assert s.review_comments > 0 and s.commit_files > s.commits
    # Work spreads over people: nobody has most of the commits.
    top = con.execute("""select max(n) / sum(n) from (select author_email, count(*) n from raw.commits
                         where author_user_id is not null group by 1)""").fetchone()[0]
    assert top < 0.2

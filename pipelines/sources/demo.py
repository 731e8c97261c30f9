"""Deterministic demo data: a plausible engineering organisation's GitHub activity.

:func:`generate_demo` writes the raw tables (``raw.repositories``,
``raw.users``, ``raw.commits``, ``raw.pull_requests``, ...) through the same
:func:`pipelines.warehouse.raw_writer.upsert` the GitHub ingest uses, so the
demo exercises the raw layer, the change log and every staging rule.

Everything comes from ``random.Random(seed)`` and the arguments: the same
arguments give byte-identical rows, and re-running into the same warehouse
changes nothing. Activity lies in ``[start, start + days)`` (UTC); whatever
would happen after the window has not happened yet (such PRs stay open).

What the data contains, besides ordinary work:

* developers in several time zones working mostly their local 9–18 on
  weekdays; a night owl (``dave``) and an overworked person (``bob``) with
  late-night (22:00–02:00 local) and weekend work;
* bots: ``dependabot[bot]`` (``raw.users.type = 'Bot'``) opening dependency
  PRs, and ``ci-runner`` (type ``User``; the config lists it as a bot) pushing
  release commits and commenting on PRs;
* merge commits (two parents) on the default branch and "merge main into the
  branch" commits inside PRs;
* reviews APPROVED / CHANGES_REQUESTED / COMMENTED, a few PENDING
  (``submitted_at`` NULL) and DISMISSED, post-merge reviews, author replies
  (a self-review), cross-team reviewers, reviews by deleted accounts (the
  ``ghost`` login, and a NULL user);
* inline review comments with paths and replies; rework commits authored
  after a CHANGES_REQUESTED review; self-merges; PRs closed unmerged; open
  and draft PRs;
* ``Co-authored-by:`` trailers; commits from unlinked emails (an old address
  such as ``alice@old.example.com``, a work address also used on linked
  commits, a GitHub noreply address), one commit by a departed person, and a
  renamed login (``erin`` appeared as ``erin-codes`` early in the window);
* Conventional Commits (with ``!`` and ``BREAKING CHANGE`` bodies) mixed with
  free-form messages; files across languages, migrations, auth code, CI
  workflows, Dockerfiles and dependency manifests;
* a fork of the ``api`` repository sharing some commit SHAs with it, and a
  git-sourced repository (``source = 'git'``: unlinked authors, UTC offsets
  recorded).

Rates per developer-day are about 1.18 commits, 0.236 PRs and 0.53 reviews at
any size; rows are built and upserted one calendar month at a time.
"""

from __future__ import annotations

import gc
import hashlib
import math
import random
import re
import time
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from pipelines.warehouse.raw_writer import ensure_raw_schema, upsert

__all__ = [
    "DEMO_BOTS",
    "DEMO_IDENTITIES",
    "DEMO_PEOPLE",
    "DEMO_TEAMS",
    "DemoPerson",
    "DemoSummary",
    "demo_developers",
    "demo_repositories",
    "generate_demo",
]

DAY = 86_400
HOUR = 3_600
MINUTE = 60
_EPOCH = date(1970, 1, 1)


# --------------------------------------------------------------------------
# People, teams, bots
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPerson:
    """Fixed facts about one demo developer (independent of the seed)."""

    login: str
    name: str
    timezone: str  # IANA zone of the developer's home
    teams: tuple[str, ...]
    user_id: int
    email: str  # work email, used on linked commits
    old_emails: tuple[str, ...] = ()  # used on some unlinked commits
    night_owl: bool = False  # works late at night
    overworked: bool = False  # long days and weekends


DEMO_TEAMS: tuple[str, ...] = ("platform", "payments", "mobile", "data")

# Logins the demo config lists as bots (dependabot is also typed 'Bot').
DEMO_BOTS: tuple[str, ...] = ("dependabot[bot]", "ci-runner")

DEPENDABOT_ID = 49699333
CI_RUNNER_ID = 900001
GHOST_ID = 10137

_DOMAIN = "example.com"


def _uid(index: int) -> int:
    return 1_000_001 + index


DEMO_PEOPLE: list[DemoPerson] = [
    DemoPerson("alice", "Alice Andersen", "Europe/Berlin", ("platform", "data"), _uid(0),
               f"alice@{_DOMAIN}", old_emails=("alice@old.example.com",)),
    DemoPerson("bob", "Bob Brown", "America/New_York", ("platform",), _uid(1),
               f"bob@{_DOMAIN}", overworked=True),
    DemoPerson("carol", "Carol Chatterjee", "Asia/Kolkata", ("payments",), _uid(2), f"carol@{_DOMAIN}"),
    DemoPerson("dave", "Dave Davies", "UTC", ("platform",), _uid(3), f"dave@{_DOMAIN}", night_owl=True),
    DemoPerson("erin", "Erin Evans", "America/Los_Angeles", ("mobile",), _uid(4), f"erin@{_DOMAIN}"),
    DemoPerson("frank", "Frank Fischer", "Europe/London", ("payments",), _uid(5), f"frank@{_DOMAIN}"),
    DemoPerson("grace", "Grace Goto", "Asia/Tokyo", ("data",), _uid(6), f"grace@{_DOMAIN}"),
    DemoPerson("heidi", "Heidi Harris", "Australia/Sydney", (), _uid(7), f"heidi@{_DOMAIN}"),
]

# Identity aliases the demo config declares (login -> old emails).
DEMO_IDENTITIES: dict[str, list[str]] = {p.login: list(p.old_emails) for p in DEMO_PEOPLE if p.old_emails}

# erin's login before a rename: early rows carry it (login at fetch time).
_RENAMED = ("erin", "erin-codes", 21)  # current login, old login, days into the window

_ZONES = (
    "Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "America/Los_Angeles",
    "Europe/London", "Asia/Tokyo", "Australia/Sydney", "America/Sao_Paulo", "Europe/Warsaw",
    "Asia/Singapore", "America/Chicago", "Europe/Madrid", "Africa/Lagos",
)
_FIRST = ("Ana", "Ben", "Chen", "Dana", "Emeka", "Fatima", "Goran", "Hana", "Ivan", "Jia",
          "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara",
          "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe")
_LAST = ("Alvarez", "Berg", "Costa", "Dubois", "Eriksen", "Fong", "Garcia", "Huang", "Ito",
         "Jensen", "Kowalski", "Lopez", "Mbeki", "Nakamura", "Okafor", "Petrov", "Quispe",
         "Rossi", "Singh", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zimmer")


def demo_developers(developers: int) -> list[DemoPerson]:
    """The first ``developers`` demo people: :data:`DEMO_PEOPLE`, then generated ones."""
    people = list(DEMO_PEOPLE[: max(developers, 0)])
    for i in range(len(DEMO_PEOPLE), developers):
        login = f"dev-{i + 1:04d}"
        team = DEMO_TEAMS[i % len(DEMO_TEAMS)]
        if i % 11 == 0:
            teams: tuple[str, ...] = ()
        elif i % 9 == 0:
            teams = (team, DEMO_TEAMS[(i + 1) % len(DEMO_TEAMS)])
        else:
            teams = (team,)
        people.append(
            DemoPerson(
                login=login,
                name=f"{_FIRST[i % len(_FIRST)]} {_LAST[(i * 7 + i // len(_FIRST)) % len(_LAST)]}",
                timezone=_ZONES[(i * 5) % len(_ZONES)],
                teams=teams,
                user_id=_uid(i),
                email=f"{login}@{_DOMAIN}",
                old_emails=(f"{login}@old.example.com",) if i % 10 == 0 else (),
                night_owl=i % 13 == 0,
                overworked=i % 17 == 0,
            )
        )
    return people


# --------------------------------------------------------------------------
# Repositories
# --------------------------------------------------------------------------

_BASE_REPOS = (  # name, team, language; the first four cover every team
    ("api", "platform", "python"),
    ("payments", "payments", "go"),
    ("mobile-app", "mobile", "typescript"),
    ("data-pipeline", "data", "sql"),
    ("web", "mobile", "typescript"),
    ("infra", "platform", "go"),
    ("billing", "payments", "python"),
    ("ledger", "payments", "rust"),
    ("warehouse", "data", "python"),
)
_LANGS = ("python", "go", "typescript", "sql", "rust")
_MODS = ("api", "auth", "billing", "users", "search", "reports", "events", "cache", "db",
         "notifications", "orders", "ledger", "export", "webhooks", "jobs", "metrics",
         "sessions", "config", "storage", "invoices")
_MANIFESTS = {  # language -> (manifest files, dependabot ecosystem)
    "python": (("requirements.txt", "pyproject.toml"), "pip"),
    "go": (("go.mod", "go.sum"), "go_modules"),
    "typescript": (("package.json", "package-lock.json"), "npm_and_yarn"),
    "rust": (("Cargo.toml", "Cargo.lock"), "cargo"),
    "sql": (("requirements.txt",), "pip"),
}
_VERSION_FILE = {"python": "pyproject.toml", "go": "VERSION", "typescript": "package.json",
                 "rust": "Cargo.toml", "sql": "VERSION"}
_DEPS = {
    "pip": ("requests", "sqlalchemy", "pydantic", "fastapi", "boto3", "pytest", "numpy"),
    "go_modules": ("github.com/stretchr/testify", "golang.org/x/net", "google.golang.org/grpc",
                   "github.com/jackc/pgx/v5"),
    "npm_and_yarn": ("react", "axios", "typescript", "eslint", "vite", "lodash"),
    "cargo": ("serde", "tokio", "reqwest", "clap"),
}


def _n_repos(developers: int) -> int:
    return max(4, min(len(_BASE_REPOS), math.ceil(developers / 3)), math.ceil(developers / 8))


def demo_repositories(workspace_id: str = "demo", developers: int = 24) -> list[str]:
    """The repositories :func:`generate_demo` writes (fork and git one last)."""
    owner = workspace_id.lower()
    names = [f"{owner}/{_repo_spec(i)[0]}" for i in range(_n_repos(developers))]
    return names + [f"{owner}/legacy-monolith", f"{owner}-forks/api"]


def _repo_spec(i: int) -> tuple[str, str, str]:
    if i < len(_BASE_REPOS):
        return _BASE_REPOS[i]
    team = DEMO_TEAMS[i % len(DEMO_TEAMS)]
    return f"{team}-service-{i:03d}", team, _LANGS[(i // len(DEMO_TEAMS)) % len(_LANGS)]


@dataclass(eq=False)
class _Repo:
    idx: int
    name: str
    short: str
    team: str | None
    lang: str
    source: str = "demo"
    default_branch: str = "main"
    is_fork: bool = False
    parent: str | None = None
    github_id: int = 0
    code: list[tuple[str, str]] = field(default_factory=list)  # (path, scope)
    manifest: tuple[str, ...] = ()  # dependency manifest, then its lock file
    ecosystem: str = ""
    has_migrations: bool = False
    contributors: list["_Dev"] = field(default_factory=list)
    scope_of: dict[str, str] = field(default_factory=dict)
    migration_no: int = 40
    version: list[int] = field(default_factory=lambda: [1, 0, 0])
    next_pr: int = 1


def _file_pool(short: str, lang: str, idx: int) -> list[tuple[str, str]]:
    mods = [_MODS[(idx * 3 + j) % len(_MODS)] for j in range(8)]
    pkg = short.replace("-", "_")
    files: list[tuple[str, str]] = []
    if lang == "python":
        for m in mods:
            files += [(f"src/{pkg}/{m}.py", m), (f"src/{pkg}/{m}_service.py", m), (f"tests/test_{m}.py", m)]
        files += [(f"src/{pkg}/auth/tokens.py", "auth"), (f"src/{pkg}/auth/permissions.py", "auth"),
                  (f"migrations/0001_{mods[0]}.sql", "db"), (f"migrations/0002_{mods[1]}.sql", "db")]
    elif lang == "go":
        for m in mods:
            files += [(f"internal/{m}/{m}.go", m), (f"internal/{m}/handler.go", m),
                      (f"internal/{m}/{m}_test.go", m)]
        files += [("cmd/server/main.go", "server"), ("internal/auth/jwt.go", "auth"),
                  ("internal/auth/middleware.go", "auth"), (f"migrations/0001_{mods[0]}.sql", "db")]
    elif lang == "typescript":
        for m in mods:
            comp = m.capitalize()
            files += [(f"src/{m}/{comp}View.tsx", m), (f"src/{m}/index.ts", m), (f"src/{m}/{m}.test.ts", m)]
        files += [("src/auth/session.ts", "auth"), ("src/auth/LoginForm.tsx", "auth"),
                  ("src/styles/theme.css", "ui"), ("tsconfig.json", "build")]
    elif lang == "rust":
        for m in mods:
            files += [(f"src/{m}.rs", m), (f"tests/{m}.rs", m)]
        files += [("src/main.rs", "core"), ("src/auth/mod.rs", "auth"), ("benches/throughput.rs", "perf")]
    else:  # sql (dbt-style)
        for m in mods:
            files += [(f"models/staging/stg_{m}.sql", m), (f"models/marts/{m}_daily.sql", m),
                      (f"models/marts/{m}_daily.yml", m)]
        files += [("macros/date_spine.sql", "macros"), (f"migrations/0001_{mods[0]}.sql", "db"),
                  ("dbt_project.yml", "config"), ("scripts/load_seed.py", "scripts")]
    files += [("README.md", "docs"), ("docs/architecture.md", "docs"), (f"docs/{mods[0]}.md", "docs"),
              ("Dockerfile", "docker"), ("docker-compose.yml", "docker"),
              (".github/workflows/ci.yml", "ci"), (".github/workflows/release.yml", "ci"), ("Makefile", "build")]
    return files


# --------------------------------------------------------------------------
# Summary and row schemas
# --------------------------------------------------------------------------


@dataclass
class DemoSummary:
    workspace_id: str
    developers: int
    repositories: int
    commits: int
    pull_requests: int
    reviews: int
    review_comments: int
    start: date
    end: date  # exclusive: activity lies in [start, end)
    seed: int = 42
    teams: int = 0
    users: int = 0
    commit_files: int = 0
    pull_request_commits: int = 0
    pull_request_files: int = 0
    team_members: int = 0
    # What upsert reported per raw table (all zero on an identical re-run).
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)


_S, _I64, _I32, _B, _TS = pa.string(), pa.int64(), pa.int32(), pa.bool_(), pa.timestamp("us")

_SCHEMAS: dict[str, list[tuple[str, pa.DataType]]] = {
    "repositories": [("repository", _S), ("github_id", _I64), ("is_fork", _B), ("parent", _S),
                     ("default_branch", _S), ("source", _S)],
    "workspace_repositories": [("workspace_id", _S), ("repository", _S)],
    "users": [("user_id", _I64), ("login", _S), ("type", _S), ("name", _S), ("email", _S)],
    "team_members": [("workspace_id", _S), ("team_id", _S), ("login", _S)],
    "commits": [("repository", _S), ("sha", _S), ("author_user_id", _I64), ("author_login", _S),
                ("author_name", _S), ("author_email", _S), ("authored_at", _TS),
                ("author_utc_offset_minutes", _I32), ("committer_login", _S), ("committer_email", _S),
                ("committed_at", _TS), ("message", _S), ("parent_count", _I32), ("additions", _I32),
                ("deletions", _I32), ("on_default_branch", _B)],
    "commit_files": [("repository", _S), ("sha", _S), ("path", _S), ("status", _S),
                     ("additions", _I32), ("deletions", _I32)],
    "pull_requests": [("repository", _S), ("number", _I32), ("github_id", _I64), ("author_user_id", _I64),
                      ("author_login", _S), ("title", _S), ("body", _S), ("state", _S), ("draft", _B),
                      ("labels", pa.list_(_S)), ("base_ref", _S), ("head_ref", _S), ("created_at", _TS),
                      ("updated_at", _TS), ("closed_at", _TS), ("merged_at", _TS), ("merged_by_login", _S),
                      ("additions", _I32), ("deletions", _I32), ("changed_files", _I32)],
    "pull_request_commits": [("repository", _S), ("pr_number", _I32), ("sha", _S)],
    "pull_request_files": [("repository", _S), ("pr_number", _I32), ("path", _S), ("status", _S),
                           ("additions", _I32), ("deletions", _I32)],
    "reviews": [("review_id", _I64), ("repository", _S), ("pr_number", _I32), ("reviewer_user_id", _I64),
                ("reviewer_login", _S), ("state", _S), ("body", _S), ("submitted_at", _TS), ("commit_id", _S)],
    "review_comments": [("comment_id", _I64), ("repository", _S), ("pr_number", _I32), ("review_id", _I64),
                        ("author_user_id", _I64), ("author_login", _S), ("body", _S), ("path", _S),
                        ("created_at", _TS), ("updated_at", _TS), ("in_reply_to_id", _I64)],
    "file_contents": [("repository", _S), ("path", _S), ("sha", _S), ("committed_at", _TS),
                      ("on_default_branch", _B), ("content", _S)],
}
# Early human PRs (by processing order) that are made to show a rare variety,
# so that even a tiny demo contains every case; later ones occur by chance.
_FORCED = {3: "rework", 7: "pending", 11: "dismissed", 13: "closed", 17: "self_merge",
           19: "ghost", 23: "post_merge", 29: "null_user"}
_LABELS = {"feat": ["enhancement"], "fix": ["bug"], "docs": ["documentation"], "perf": ["performance"]}
_CHUNK_TABLES = ("commits", "commit_files", "pull_requests", "pull_request_commits",
                 "pull_request_files", "reviews", "review_comments")


def _to_arrow(table: str, rows: list[tuple]) -> pa.Table:
    """Column-wise arrow table; timestamps arrive as epoch seconds."""
    spec = _SCHEMAS[table]
    columns = list(zip(*rows)) if rows else [()] * len(spec)
    arrays = []
    for (_, typ), col in zip(spec, columns):
        if typ == _TS:
            arrays.append(pa.array(col, _I64).cast(pa.timestamp("s")).cast(_TS))
        else:
            arrays.append(pa.array(col, typ))
    return pa.Table.from_arrays(arrays, names=[n for n, _ in spec])


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------

_CONV_TYPES = ("feat",) * 6 + ("fix",) * 6 + ("chore",) * 2 + ("refactor",) * 2 + ("test",) * 2 + (
    "docs", "perf", "ci", "build")
_VERBS = {
    "feat": ("add", "support", "introduce", "expose", "implement"),
    "fix": ("handle", "fix", "guard against", "correct", "avoid"),
    "chore": ("tidy", "update", "clean up", "bump"),
    "refactor": ("simplify", "extract", "split", "rename"),
    "test": ("cover", "add tests for", "stabilise tests for"),
    "docs": ("document", "explain", "update docs for"),
    "perf": ("speed up", "cache", "batch"),
    "ci": ("cache deps in", "parallelise", "pin runners for"),
    "build": ("update build for", "slim the image for"),
}
_THINGS = ("pagination on list endpoints", "retries on timeout", "null author emails",
           "rate-limit headers", "token refresh", "currency rounding", "CSV export",
           "dark mode", "push notifications", "timezone parsing", "the slow report query",
           "the flaky login test", "webhook signatures", "idempotency keys", "batch sizes",
           "cache invalidation", "audit logging", "feature flag cleanup", "error messages",
           "the settings page", "refund handling", "duplicate events", "the health check",
           "connection pooling", "input validation", "the onboarding flow")
_FREEFORM = ("Update {file}", "WIP", "Fix tests", "Refactor {scope}", "small cleanup", "typo",
             "Add {thing}", "Fix {thing}", "More work on {thing}", "Remove dead code in {scope}",
             "oops", "Make {scope} configurable", "Handle {thing}", "tweak {file}")
_REWORK = ("Address review comments", "fix: apply review suggestions", "refactor: rename per review",
           "review feedback", "test: add the case from review", "Fix lint")
_APPROVE = ("LGTM", "", "Looks good, thanks!", "Ship it", "Nice work.", "")
_CHANGES = ("A few things to fix before this can go in.", "Needs tests for the error path.",
            "Please split the migration out.", "This breaks the public API; see inline.")
_COMMENTED = ("Some questions inline.", "Left a few notes.", "Not blocking, just thoughts.", "")
_INLINE = ("Nit: naming.", "Could we add a test for this?", "Why is this needed?",
           "This can be None here.", "Consider extracting a helper.", "Off-by-one?",
           "Please add a docstring.", "Is this covered by the migration?", "Typo.",
           "Should this be behind a feature flag?", "This allocates in a loop.",
           # mentoring-style comments: suggestions with the reason, questions that teach
           "Consider a dict here instead, because the lookup in the loop is O(n) otherwise.",
           "How about moving the retry into the client? That way every caller gets it.",
           "Nice approach! Could we name it after what it returns, so that callers read better?",
           "This should close the connection in a finally block, otherwise it leaks on errors.",
           "See https://example.com/docs/style#errors for why we wrap errors at the boundary.")
_REPLIES = ("Done.", "Good catch, fixed.", "Intentional; added a comment.", "Will follow up in another PR.")


_WORD = re.compile(r"[a-z0-9]+")


def _slug(text: str) -> str:
    return "-".join(_WORD.findall(text.lower())[:4]) or "change"


# --------------------------------------------------------------------------
# Dependency manifests (raw.file_contents)
# --------------------------------------------------------------------------

_MANIFEST_ECOSYSTEM = {"requirements.txt": "pip", "pyproject.toml": "pip", "package.json": "npm_and_yarn",
                       "go.mod": "go_modules", "Cargo.toml": "cargo"}
_DEV_DEPS = {"pytest", "eslint", "vite", "typescript", "github.com/stretchr/testify", "clap"}
_INITIAL_DEPS = 4  # packages listed from the start; the others are added by commits


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


def _manifest_ecosystem(path: str) -> str | None:
    return _MANIFEST_ECOSYSTEM.get(path.rsplit("/", 1)[-1])


def _newest_line(pkg: str) -> tuple[int, int, int]:
    major = int(pkg.rsplit("/v", 1)[1]) if re.search(r"/v\d+$", pkg) else 1 + _crc(pkg) % 4
    return major, _crc(pkg + ":minor") % 20 + 2, _crc(pkg + ":patch") % 10


def _initial_manifest_state(repo: "_Repo", eco: str) -> dict[str, tuple[int, int, int]]:
    state = {}
    for pkg in _DEPS[eco][:_INITIAL_DEPS]:
        major, minor, patch = _newest_line(pkg)
        r = _crc(f"{repo.short}:{repo.source}:{pkg}") % 10
        lag_major = 1 + r % 2 if repo.source == "git" else 1 if r == 8 else 2 if r == 9 else 0
        lag_minor = r % 3 if lag_major == 0 else 0
        state[pkg] = (max(major - lag_major, 0), max(minor - lag_minor, 0), patch)
    return state


def _bumped(state: dict, eco: str, sha: str) -> dict:
    new = dict(state)
    pkgs = _DEPS[eco]
    pkg = pkgs[_crc(sha) % len(pkgs)]
    if pkg not in new:
        new[pkg] = _newest_line(pkg)
    else:
        major, minor, patch = new[pkg]
        new[pkg] = (major, minor + 1, 0) if _crc(sha + ":kind") % 3 == 0 else (major, minor, patch + 1)
    return new


def _render_manifest(repo: "_Repo", path: str, eco: str, state: dict) -> str:
    name = path.rsplit("/", 1)[-1]
    deps = sorted(state.items())

    def v(ver: tuple[int, int, int]) -> str:
        return ".".join(str(x) for x in ver)

    if name == "requirements.txt":
        return "# pinned by pip-compile\n" + "".join(f"{p}=={v(ver)}\n" for p, ver in deps)
    if name == "pyproject.toml":
        runtime = [f'    "{p}>={v(ver)}",\n' for p, ver in deps if p not in _DEV_DEPS]
        dev = ", ".join(f'"{p}>={v(ver)}"' for p, ver in deps if p in _DEV_DEPS)
        return (f'[project]\nname = "{repo.short}"\nversion = "1.0.0"\nrequires-python = ">=3.11"\n'
                f'dependencies = [\n{"".join(runtime)}]\n\n[project.optional-dependencies]\ndev = [{dev}]\n')
    if name == "package.json":
        runtime = ",\n".join(f'    "{p}": "^{v(ver)}"' for p, ver in deps if p not in _DEV_DEPS)
        dev = ",\n".join(f'    "{p}": "~{v(ver)}"' for p, ver in deps if p in _DEV_DEPS)
        return (f'{{\n  "name": "{repo.short}",\n  "version": "1.0.0",\n  "private": true,\n'
                f'  "dependencies": {{\n{runtime}\n  }},\n  "devDependencies": {{\n{dev}\n  }}\n}}\n')
    if name == "go.mod":
        lines = "".join(f"\t{p} v{v(ver)}\n" for p, ver in deps)
        return (f"module example.com/{repo.short}\n\ngo 1.22\n\nrequire (\n{lines})\n\n"
                "require golang.org/x/sys v0.20.0 // indirect\n")
    # Cargo.toml: plain, inline-table and sub-table dependencies
    out = [f'[package]\nname = "{repo.short}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n']
    tables = []
    for p, ver in deps:
        if p in _DEV_DEPS:
            continue
        if p == "serde":
            out.append(f'{p} = {{ version = "{v(ver)}", features = ["derive"] }}\n')
        elif p == "reqwest":
            tables.append(f'\n[dependencies.{p}]\nversion = "{v(ver)}"\ndefault-features = false\n')
        else:
            out.append(f'{p} = "{v(ver)}"\n')
    out += tables
    dev = [f'{p} = "{v(ver)}"\n' for p, ver in deps if p in _DEV_DEPS]
    if dev:
        out.append("\n[dev-dependencies]\n" + "".join(dev))
    return "".join(out)


# --------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------


@dataclass(eq=False)
class _Dev:
    idx: int
    p: DemoPerson
    login: str
    uid: int
    name: str
    email: str
    teams: frozenset[str]
    offs: list[int]  # UTC offset (seconds) per day of the offset table
    p_weekday: float
    p_weekend: float
    mult: float
    primary: _Repo | None = None
    secondary: _Repo | None = None
    focus: int = 0


@dataclass(eq=False)
class _PR:
    created: int
    repo: _Repo
    author: _Dev | None  # None: dependabot
    times: list[int]
    number: int = 0


class _Generator:
    def __init__(self, con, workspace_id, developers, days, seed, start, run_id, log):
        self.con = con
        self.ws = workspace_id
        self.run_id = run_id
        self.log = log
        self.rng = random.Random(seed)
        self.seed = seed
        self.start = start
        self.days = days
        self.d0 = (start - _EPOCH).days
        self.d1 = self.d0 + days
        self.t0 = self.d0 * DAY
        self.t1 = self.d1 * DAY
        h = zlib.crc32(workspace_id.encode())
        self.id_base = (h % 100_000 + 1) * 1_000_000_000
        self.sha_mask = int.from_bytes(hashlib.sha1(workspace_id.encode()).digest(), "big")
        self.review_seq = 0
        self.comment_seq = 0
        self.pr_seq = 0  # human PRs processed (drives the guaranteed varieties)
        self.pr_github_seq = 0
        self.done: set[str] = set()
        self.buf: dict[str, list[tuple]] = {t: [] for t in _CHUNK_TABLES}
        self.counts: dict[str, int] = {t: 0 for t in _SCHEMAS}
        self.inserted: dict[str, int] = {t: 0 for t in _SCHEMAS}
        self.updated: dict[str, int] = {t: 0 for t in _SCHEMAS}
        self._off_base = self.d0 - 4
        # Dependency manifests changed by commits: (committed, repo, sha, paths, default, bump)
        self.manifest_events: list[tuple] = []
        self._build_people(developers)
        self._build_repos()

    # -- setup -------------------------------------------------------------

    def _zone_offsets(self, zone: str) -> list[int]:
        tz = ZoneInfo(zone)
        out = []
        for d in range(self._off_base, self.d1 + 400):
            noon = datetime(1970, 1, 1, 12, tzinfo=timezone.utc) + timedelta(days=d)
            out.append(int(noon.astimezone(tz).utcoffset().total_seconds()))
        return out

    def _build_people(self, developers: int) -> None:
        rng = self.rng
        zones: dict[str, list[int]] = {}
        self.devs: list[_Dev] = []
        for i, p in enumerate(demo_developers(developers)):
            if p.timezone not in zones:
                zones[p.timezone] = self._zone_offsets(p.timezone)
            p_weekend = 0.6 if p.overworked else 0.18 if p.night_owl else 0.05
            mult = rng.lognormvariate(0.0, 0.35) / math.exp(0.35**2 / 2)
            if i < len(DEMO_PEOPLE):  # the named people's habits must show even in a short demo
                mult = max(mult, 0.9)
            if p.overworked:
                mult *= 1.4
            self.devs.append(_Dev(i, p, p.login, p.user_id, p.name, p.email, frozenset(p.teams),
                                  zones[p.timezone], 0.9, p_weekend, mult))
        self.by_uid = {d.uid: d for d in self.devs}

    def _build_repos(self) -> None:
        owner = self.ws.lower()
        ws_hash = zlib.crc32(self.ws.encode()) % 100_000
        self.repos: list[_Repo] = []
        n = _n_repos(len(self.devs))
        for i in range(n):
            short, team, lang = _repo_spec(i)
            manifest, eco = _MANIFESTS[lang]
            code = _file_pool(short, lang, i)
            self.repos.append(_Repo(
                idx=i, name=f"{owner}/{short}", short=short, team=team, lang=lang,
                default_branch="master" if i % 5 == 4 else "main",
                github_id=100_000_000 + ws_hash * 10_000 + i, code=code, manifest=manifest,
                ecosystem=eco,
                has_migrations=any(path.startswith("migrations/") for path, _ in code),
            ))
        self.pr_repos = list(self.repos)
        self.bot_scale = min(1.0, len(self.devs) / (8 * n))
        api = self.repos[0]
        self.legacy = _Repo(idx=n, name=f"{owner}/legacy-monolith", short="legacy-monolith", team="platform",
                            lang="python", source="git", default_branch="master",
                            github_id=0, code=_file_pool("legacy", "python", n),
                            manifest=_MANIFESTS["python"][0], has_migrations=True)
        self.fork = _Repo(idx=n + 1, name=f"{owner}-forks/api", short="api", team="platform", lang="python",
                          is_fork=True, parent=api.name, github_id=100_000_000 + ws_hash * 10_000 + n + 1,
                          code=api.code, manifest=api.manifest, has_migrations=True)
        self.all_repos = self.repos + [self.legacy, self.fork]
        for r in self.all_repos:
            r.scope_of = dict(r.code)

        by_team: dict[str, list[_Repo]] = {t: [r for r in self.repos if r.team == t] for t in DEMO_TEAMS}
        for d in self.devs:
            teams = d.p.teams
            if teams:
                own = by_team[teams[0]] or self.repos
                d.primary = own[(d.idx // len(DEMO_TEAMS)) % len(own)]
                other = by_team[teams[1]] if len(teams) > 1 else own
                other = [r for r in other if r is not d.primary] or [r for r in self.repos if r is not d.primary]
                d.secondary = other[(d.idx * 7 + 3) % len(other)] if other else d.primary
            else:
                d.primary = self.repos[d.idx % len(self.repos)]
                d.secondary = self.repos[(d.idx + 2) % len(self.repos)]
            d.focus = (d.idx * 11) % len(d.primary.code)
            for r in {d.primary.idx: d.primary, d.secondary.idx: d.secondary}.values():
                r.contributors.append(d)
        for r in self.repos:
            if not r.contributors:  # a repository nobody owns: its team reviews it
                r.contributors = [d for d in self.devs if r.team in d.teams] or list(self.devs)

    # -- time helpers -------------------------------------------------------

    def _off(self, d: _Dev, day: int) -> int:
        i = day - self._off_base
        offs = d.offs
        if 0 <= i < len(offs):
            return offs[i]
        return offs[0] if i < 0 else offs[-1]

    def _local_session_start(self, d: _Dev) -> int:
        """Seconds after local midnight at which a work session starts."""
        r = self.rng.random()
        p = d.p
        if p.night_owl and r < 0.55:
            return 22 * HOUR + int(self.rng.random() * 4 * HOUR)  # 22:00-02:00
        if p.overworked and r < 0.2:
            return 19 * HOUR + int(self.rng.random() * 7 * HOUR)  # 19:00-02:00
        if r > 0.985:
            return 22 * HOUR + int(self.rng.random() * 3 * HOUR)  # the occasional late night
        # Working hours, peaking early afternoon.
        return 9 * HOUR + int((self.rng.random() + self.rng.random()) * 4.5 * HOUR)

    def _next_work(self, d: _Dev, t: int) -> int:
        """The first moment at or after ``t`` at which ``d`` would plausibly act."""
        rng = self.rng
        if d.p.night_owl and rng.random() < 0.35:
            return t
        off = self._off(d, t // DAY)
        day, sec = divmod(t + off, DAY)
        wd = (day + 3) % 7
        if wd < 5 and 9 * HOUR <= sec < 18 * HOUR:
            return t
        nd = day if (wd < 5 and sec < 9 * HOUR) else day + 1
        while (nd + 3) % 7 >= 5 and rng.random() >= d.p_weekend:
            nd += 1
        return nd * DAY + 9 * HOUR + int(rng.random() * 3 * HOUR) - off

    def _delay(self, median_hours: float, sigma: float = 1.0, cap_hours: float = 240.0) -> int:
        return int(min(self.rng.lognormvariate(math.log(median_hours), sigma), cap_hours) * HOUR)

    def _poisson(self, lam: float) -> int:
        if lam <= 0:
            return 0
        limit = math.exp(-lam)
        k, p = 0, self.rng.random()
        while p > limit:
            k += 1
            p *= self.rng.random()
        return k

    def _login(self, d: _Dev, t: int) -> str:
        if d.login == _RENAMED[0] and t < self.t0 + _RENAMED[2] * DAY:
            return _RENAMED[1]
        return d.login

    # -- content helpers ----------------------------------------------------

    def _files(self, repo: _Repo, d: _Dev | None, manifest: bool = False) -> list[tuple[str, str, int, int]]:
        """The files one commit touches: (path, status, additions, deletions)."""
        rand = self.rng.random
        log = math.log
        code = repo.code
        size = len(code)
        n = 1
        while rand() < 0.55 and n < 12:
            n += 1
        chosen: dict[str, tuple[str, str, int, int]] = {}
        focus = d.focus if d is not None else 0
        for _ in range(n):
            if d is not None and rand() < 0.65:  # mostly the developer's own corner
                path = code[(focus + int(rand() * 6)) % size][0]
            else:
                path = code[int(rand() * size)][0]
            r = rand()
            # Exponential sizes: int(-mean * log(1 - U)).
            if r < 0.04:
                chosen[path] = (path, "added", 10 + int(-60 * log(1.0 - rand())), 0)
            elif r < 0.052:
                chosen[path] = (path, "removed", 0, 5 + int(-50 * log(1.0 - rand())))
            else:
                chosen[path] = (path, "modified", 1 + int(-25 * log(1.0 - rand())), int(-12 * log(1.0 - rand())))
        if repo.has_migrations and rand() < 0.025:
            repo.migration_no += 1
            path = f"migrations/{repo.migration_no:04d}_{_MODS[repo.migration_no % len(_MODS)]}.sql"
            chosen[path] = (path, "added", 8 + int(-30 * log(1.0 - rand())), 0)
        if manifest or rand() < 0.04:
            for path in repo.manifest:
                if path.endswith((".lock", ".sum", "-lock.json")):  # lock files churn
                    a = 20 + int(-150 * log(1.0 - rand()))
                    chosen[path] = (path, "modified", a, a)
                else:
                    chosen[path] = (path, "modified", 1 + int(-3 * log(1.0 - rand())), int(rand() * 2))
        return list(chosen.values())

    def _message(self, files: list[tuple[str, str, int, int]], repo: _Repo) -> str:
        rng = self.rng
        scope = repo.scope_of.get(files[0][0]) if files else None
        thing = _THINGS[int(rng.random() * len(_THINGS))]
        if rng.random() < 0.62:
            ctype = _CONV_TYPES[int(rng.random() * len(_CONV_TYPES))]
            verbs = _VERBS[ctype]
            subject = f"{verbs[int(rng.random() * len(verbs))]} {thing}"
            sc = f"({scope})" if scope and rng.random() < 0.6 else ""
            r = rng.random()
            if ctype in ("feat", "fix") and (r < 0.03 or "breaking" not in self.done):
                head = f"{ctype}{sc}!: {subject}"
                if rng.random() < 0.6 or "breaking" not in self.done:
                    self.done.add("breaking")
                    return f"{head}\n\nBREAKING CHANGE: {thing} now needs an explicit setting."
                return head
            head = f"{ctype}{sc}: {subject}"
            if r > 0.995:
                return f"{head}\n\nBREAKING CHANGE: the old {scope or 'v1'} behaviour is removed."
            if r > 0.8:
                return f"{head}\n\nSee the discussion in the design doc; {thing} was inconsistent."
            return head
        template = _FREEFORM[int(rng.random() * len(_FREEFORM))]
        file = files[0][0].rsplit("/", 1)[-1] if files else "README.md"
        return template.format(file=file, scope=scope or repo.short, thing=thing)

    def _coauthor_trailer(self, d: _Dev, repo: _Repo) -> str:
        rng = self.rng
        pool = repo.contributors if len(repo.contributors) > 1 else self.devs
        other = pool[int(rng.random() * len(pool))]
        if other is d:
            other = self.devs[(d.idx + 1) % len(self.devs)]
            if other is d:
                return ""
        email = other.email if rng.random() < 0.8 else f"{other.uid}+{other.login}@users.noreply.github.com"
        return f"\n\nCo-authored-by: {other.name} <{email}>"

    def _author(self, d: _Dev, t: int) -> tuple[int | None, str | None, str, str]:
        """(user id, login, name, email) of a human commit: usually linked, sometimes not."""
        rng = self.rng
        r = rng.random()
        if d.p.old_emails:
            early = t < self.t0 + max(self.days // 10, 3) * DAY
            key = f"old:{d.login}"
            if key not in self.done or r < (0.5 if early else 0.03):
                self.done.add(key)
                email = d.p.old_emails[0]
                if rng.random() < 0.2:  # emails compare case-insensitively
                    email = email.capitalize()
                return None, None, d.name, email
        if r > 0.99 or "noreply" not in self.done:
            # Pushed from a machine whose email is not linked to the account
            # (the first two such commits of a run are guaranteed).
            if r > 0.996 or "unlinked" in self.done:
                self.done.add("noreply")
                return None, None, d.name, f"{d.uid}+{d.login}@users.noreply.github.com"
            self.done.add("unlinked")
            return None, None, d.name, d.email
        return d.uid, self._login(d, t), d.name, d.email

    # -- row emitters -------------------------------------------------------

    def _commit(self, repo: _Repo, sha: str, author: tuple, t: int, message: str,
                files: list[tuple[str, str, int, int]], *, default: bool, parents: int = 1,
                committer: tuple[str | None, str] | None = None, committed: int | None = None,
                offset_min: int | None = None) -> None:
        adds = dels = 0
        name_ = repo.name
        cfiles = self.buf["commit_files"]
        for path, status, a, dl in files:
            cfiles.append((name_, sha, path, status, a, dl))
            adds += a
            dels += dl
        uid, login, name, email = author
        c_login, c_email = committer if committer is not None else (login, email)
        row = (name_, sha, uid, login, name, email, t, offset_min, c_login, c_email,
               committed if committed is not None else t, message, parents, adds, dels, default)
        commits = self.buf["commits"]
        commits.append(row)
        manifests = tuple(f[0] for f in files if _manifest_ecosystem(f[0]))
        if manifests:
            self.manifest_events.append((row[10], repo, sha, manifests, default,
                                         not message.startswith("chore(release)")))
        if default and repo is self.repos[0]:
            # The fork pulled some of upstream's history: same SHA, two repositories.
            if "fork" not in self.done or self.rng.random() < 0.12:
                self.done.add("fork")
                commits.append((self.fork.name,) + row[1:])
                for path, status, a, dl in files:
                    cfiles.append((self.fork.name, sha, path, status, a, dl))
                if manifests:
                    self.manifest_events.append((row[10], self.fork, sha, manifests, default,
                                                 not message.startswith("chore(release)")))

    def _sha(self) -> str:
        # XOR with a per-workspace mask: two demo workspaces never share SHAs.
        return f"{self.rng.getrandbits(160) ^ self.sha_mask:040x}"

    def _review(self, repo: _Repo, number: int, who: _Dev | None, state: str, body: str | None,
                t: int | None, user: tuple[int | None, str | None] | None = None) -> list:
        """A review record, finished (commit_id) when the PR is written."""
        self.review_seq += 1
        if user is None:
            user = (who.uid, self._login(who, t if t is not None else self.t0)) if who else (None, None)
        return [self.id_base + self.review_seq, repo.name, number, user[0], user[1], state, body, t, None]

    def _comment(self, repo: _Repo, number: int, review_id: int | None, user: tuple[int | None, str | None],
                 body: str, path: str, t: int, reply_to: int | None = None) -> tuple:
        self.comment_seq += 1
        edited = t + int(self.rng.random() * 2 * HOUR) if self.rng.random() < 0.08 else t
        return (self.id_base + self.comment_seq, repo.name, number, review_id, user[0], user[1],
                body, path, t, min(edited, self.t1 - 1), reply_to)

    # -- chunk phases -------------------------------------------------------

    def _plan_day(self, day: int, prs: list[_PR]) -> None:
        """One local date for every developer: direct commits and PR plans."""
        rng = self.rng
        wd = (day + 3) % 7
        t0, t1 = self.t0, self.t1
        for d in self.devs:
            if rng.random() >= (d.p_weekday if wd < 5 else d.p_weekend):
                continue
            off = self._off(d, day)
            base = day * DAY - off
            # Direct pushes to the default branch.
            for _ in range(self._poisson(0.4 * d.mult)):
                t = base + self._local_session_start(d) + int(rng.random() * 2 * HOUR)
                if not t0 <= t < t1:
                    continue
                r = rng.random()
                repo = (d.primary if r < 0.7 else d.secondary if r < 0.95
                        else self.repos[int(rng.random() * len(self.repos))])
                self._direct_commit(repo, d, t)
            # Pull requests started today.
            for _ in range(self._poisson(0.328 * d.mult)):
                k = 1
                while rng.random() < 0.6 and k < 12:
                    k += 1
                t = base + self._local_session_start(d)
                if rng.random() < 0.25:  # work started a working day or two earlier
                    back = day - 1 - int(rng.random() * 2)
                    while (back + 3) % 7 >= 5 and rng.random() >= d.p_weekend:
                        back -= 1
                    t -= (day - back) * DAY
                times = []
                for _ in range(k):
                    times.append(t)
                    t += 10 * MINUTE + int(rng.random() * 80 * MINUTE)
                created = t + 2 * MINUTE + int(rng.random() * 40 * MINUTE)
                if times[0] < t0 or created >= t1:
                    continue
                r = rng.random()
                repo = (d.primary if r < 0.72 else d.secondary if r < 0.92
                        else self.repos[int(rng.random() * len(self.repos))])
                prs.append(_PR(created, repo, d, times))
            # The git-only repository and the fork get occasional work too.
            if d.idx % 6 in (1, 5) and rng.random() < 0.2:
                t = base + self._local_session_start(d)
                if t0 <= t < t1:
                    self._git_commit(d, t, off)
            if d.idx == 0 and rng.random() < 0.08:
                t = base + self._local_session_start(d)
                if t0 <= t < t1:
                    files = self._files(self.fork, d)
                    self._commit(self.fork, self._sha(), self._author(d, t), t,
                                 "experiment: " + self._message(files, self.fork), files, default=True)
        # Per repository: Monday dependency updates, Friday releases (scaled so
        # that small organisations with few people per repository are not
        # dominated by bots).
        if wd == 0:
            for repo in self.pr_repos:
                if rng.random() < 0.6 * self.bot_scale or (repo.idx == 0 and "dependabot" not in self.done):
                    self.done.add("dependabot")
                    created = day * DAY + 5 * HOUR + int(rng.random() * HOUR)
                    if t0 <= created - MINUTE and created < t1:
                        prs.append(_PR(created, repo, None, [created - MINUTE]))
        elif wd == 4:
            for repo in self.pr_repos:
                if rng.random() < 0.5 * self.bot_scale or (repo.idx == 0 and "release" not in self.done):
                    self.done.add("release")
                    t = day * DAY + 16 * HOUR + int(rng.random() * HOUR)
                    if t0 <= t < t1:
                        self._release_commit(repo, t)

    def _direct_commit(self, repo: _Repo, d: _Dev, t: int) -> None:
        files = self._files(repo, d)
        msg = self._message(files, repo)
        if self.rng.random() < 0.06:
            msg += self._coauthor_trailer(d, repo)
        self._commit(repo, self._sha(), self._author(d, t), t, msg, files, default=True)
        if "departed" not in self.done:
            # Someone whose account was deleted: no linked user, an unknown email.
            self.done.add("departed")
            t2 = t + 7 * MINUTE
            if t2 < self.t1:
                self._commit(repo, self._sha(), (None, None, "Mallory Moss", "mallory@former.example.com"),
                             t2, "fix: drop the legacy session cookie", self._files(repo, None), default=True)

    def _git_commit(self, d: _Dev, t: int, off: int) -> None:
        rng = self.rng
        repo = self.legacy
        email = d.p.old_emails[0] if d.p.old_emails and rng.random() < 0.3 else d.email
        author = (None, None, d.name, email)
        if rng.random() < 0.07:
            msg, files, parents = f"Merge branch 'feature/{_slug(_THINGS[d.idx % len(_THINGS)])}'", [], 2
        else:
            files = self._files(repo, d)
            msg, parents = self._message(files, repo), 1
            if rng.random() < 0.05:
                msg += self._coauthor_trailer(d, self.repos[0])
        self._commit(repo, self._sha(), author, t, msg, files, default=True, parents=parents,
                     committer=(None, email), offset_min=off // 60)

    def _release_commit(self, repo: _Repo, t: int) -> None:
        v = repo.version
        v[1] += 1
        version = f"{v[0]}.{v[1]}.{v[2]}"
        vf = _VERSION_FILE[repo.lang]
        files = [("CHANGELOG.md", "modified", 12 + int(self.rng.random() * 30), 0), (vf, "modified", 1, 1)]
        author = (CI_RUNNER_ID, "ci-runner", "CI Runner", f"ci-runner@{_DOMAIN}")
        self._commit(repo, self._sha(), author, t, f"chore(release): v{version}", files, default=True)

    # -- pull request lifecycles -------------------------------------------

    def _pick_reviewers(self, pr: _PR, count: int) -> list[_Dev]:
        rng = self.rng
        pool = [d for d in pr.repo.contributors if d is not pr.author]
        if not pool:
            pool = [d for d in self.devs if d is not pr.author]
        if not pool:
            return []
        chosen = rng.sample(pool, min(count, len(pool)))
        if rng.random() < 0.15 or (self.pr_seq == 9 and "cross" not in self.done):
            # A reviewer from outside the author's teams.
            author_teams = pr.author.teams if pr.author else frozenset()
            outsiders = [d for d in self.devs[: 64 if len(self.devs) > 64 else None]
                         if d is not pr.author and not (d.teams & author_teams) and d not in chosen]
            if outsiders:
                self.done.add("cross")
                chosen[-1] = outsiders[int(rng.random() * len(outsiders))]
        return chosen

    def _human_pr(self, pr: _PR) -> None:
        rng = self.rng
        repo, author, number, t1 = pr.repo, pr.author, pr.number, self.t1
        seq = self.pr_seq
        self.pr_seq += 1
        force = _FORCED.get(seq)

        # Commits: (time, sha, files, message, parents, author fields).
        commits: list[tuple[int, str, list, str, int, tuple]] = []
        for t in pr.times:
            files = self._files(repo, author)
            msg = self._message(files, repo)
            if rng.random() < 0.06:
                msg += self._coauthor_trailer(author, repo)
            commits.append((t, self._sha(), files, msg, 1, self._author(author, t)))
        first = commits[0][3].split("\n", 1)[0]
        title = first if ":" in first else f"{first[:1].upper()}{first[1:]}"
        head_ref = f"{author.login}/{_slug(title)}"
        if len(pr.times) >= 2 and rng.random() < 0.06:  # the branch caught up with its base
            t = pr.times[-1] + 3 * MINUTE
            commits.append((t, self._sha(), [], f"Merge branch '{repo.default_branch}' into {head_ref}",
                            2, (author.uid, self._login(author, t), author.name, author.email)))

        r = rng.random()
        outcome = "closed" if r < 0.07 else "abandoned" if r < 0.09 else "merged"
        if force == "closed":
            outcome = "closed"
        elif force in ("rework", "dismissed", "self_merge", "post_merge", "pending"):
            outcome = "merged"
        self_merge = outcome == "merged" and (rng.random() < 0.06 or force == "self_merge")
        if force in ("rework", "dismissed", "post_merge"):
            self_merge = False

        reviews: list[list] = []
        comments: list[tuple] = []
        events = [pr.created]
        paths = sorted({f[0] for c in commits for f in c[2]}) or ["README.md"]

        def add_comments(review: list, who: _Dev | None, user, n: int, t: int) -> None:
            for _ in range(n):
                c = self._comment(repo, number, review[0], user, _INLINE[int(rng.random() * len(_INLINE))],
                                  paths[int(rng.random() * len(paths))], t)
                comments.append(c)
                if who is not None and rng.random() < 0.15:  # the author answers: their own review
                    rt = self._next_work(author, t + self._delay(2.0))
                    if rt < t1:
                        reply = self._review(repo, number, author, "COMMENTED", "", rt)
                        reviews.append(reply)
                        comments.append(self._comment(
                            repo, number, reply[0], (author.uid, self._login(author, rt)),
                            _REPLIES[int(rng.random() * len(_REPLIES))], c[7], rt, reply_to=c[0]))
                        events.append(rt)

        def rework(after: int) -> int:
            t = self._next_work(author, after + self._delay(3.0, 0.8))
            for _ in range(1 + (rng.random() < 0.4)):
                if t >= t1:
                    break
                files = self._files(repo, author)
                commits.append((t, self._sha(), files, _REWORK[int(rng.random() * len(_REWORK))], 1,
                                self._author(author, t)))
                for f in files:
                    if f[0] not in paths:
                        paths.append(f[0])
                events.append(t)
                t += 15 * MINUTE + int(rng.random() * 60 * MINUTE)
            return t

        if rng.random() < 0.15:  # the CI bot reports on the PR
            t = pr.created + 3 * MINUTE + int(rng.random() * 12 * MINUTE)
            if t < t1:
                reviews.append(self._review(repo, number, None, "COMMENTED", "CI: all checks passed.", t,
                                            user=(CI_RUNNER_ID, "ci-runner")))
        if self_merge and rng.random() < 0.5:
            n_reviewers = 0
        else:
            n_reviewers = 1 if rng.random() < 0.48 else 2 if rng.random() < 0.75 else 3
        if force in ("rework", "dismissed"):
            n_reviewers = max(n_reviewers, 1)
        approvals: list[list] = []
        for j, rv in enumerate(self._pick_reviewers(pr, n_reviewers) if n_reviewers else []):
            t = self._next_work(rv, pr.created + self._delay(4.0, 1.1))
            r = rng.random()
            state = "CHANGES_REQUESTED" if r < 0.19 else "COMMENTED" if r < 0.4 else "APPROVED"
            if j == 0 and force in ("rework", "dismissed"):
                state = "CHANGES_REQUESTED" if force == "rework" else "APPROVED"
            if self_merge:
                state = "COMMENTED"
            rounds = 0
            while t < t1:
                body = (_CHANGES if state == "CHANGES_REQUESTED" else _APPROVE if state == "APPROVED"
                        else _COMMENTED)
                review = self._review(repo, number, rv, state, body[int(rng.random() * len(body))], t)
                reviews.append(review)
                events.append(t)
                n_c = (1 + int(rng.random() * 4) if state == "CHANGES_REQUESTED"
                       else int(rng.random() * 4) if state == "COMMENTED" else int(rng.random() < 0.25))
                add_comments(review, rv, (review[3], review[4]), n_c, t)
                if state == "APPROVED":
                    approvals.append(review)
                if state != "CHANGES_REQUESTED" or rounds >= 2:
                    break
                rounds += 1
                after = rework(t)
                t = self._next_work(rv, after + self._delay(2.0))
                state = "APPROVED" if rng.random() < 0.85 or rounds >= 2 else "CHANGES_REQUESTED"

        if outcome == "merged" and approvals and (rng.random() < 0.015 or force == "dismissed"):
            # New commits after an approval dismiss it; sometimes nobody re-approves.
            dismissed = approvals[0]
            dismissed[5] = "DISMISSED"
            approvals.remove(dismissed)
            after = rework(dismissed[7])
            if rng.random() < 0.5 and force != "dismissed":
                rv = self.by_uid.get(dismissed[3])
                if rv is not None:
                    t = self._next_work(rv, after + self._delay(2.0))
                    if t < t1:
                        again = self._review(repo, number, rv, "APPROVED", "Re-approving.", t)
                        reviews.append(again)
                        approvals.append(again)
                        events.append(t)

        if rng.random() < 0.012 or force == "pending":
            # A review started and never submitted, with a draft comment.
            pool = [d for d in repo.contributors if d is not author] or [d for d in self.devs if d is not author]
            if pool:
                rv = pool[int(rng.random() * len(pool))]
                t = self._next_work(rv, pr.created + self._delay(6.0))
                if t < t1:
                    pending = self._review(repo, number, rv, "PENDING", None, None)
                    reviews.append(pending)
                    comments.append(self._comment(repo, number, pending[0], (rv.uid, self._login(rv, t)),
                                                  "Draft: " + _INLINE[int(rng.random() * len(_INLINE))],
                                                  paths[0], t))
        if rng.random() < 0.003 or force in ("ghost", "null_user"):
            # A reviewer whose account has since been deleted.
            t = pr.created + self._delay(5.0)
            if t < t1:
                null = force == "null_user" if force else rng.random() < 0.3
                user = (None, None) if null else (GHOST_ID, "ghost")
                gr = self._review(repo, number, None, "COMMENTED", "Drive-by comments.", t, user=user)
                reviews.append(gr)
                comments.append(self._comment(repo, number, gr[0], user, _INLINE[0], paths[0], t))
                events.append(t)

        merged_at = closed_at = None
        merged_by = None
        merger_dev: _Dev = author
        last = max(max(c[0] for c in commits), max(events))
        if outcome == "merged":
            merger = author
            if not self_merge and approvals and rng.random() < 0.25:
                merger = self.by_uid.get(approvals[0][3], author)
            t = self._next_work(merger, last + self._delay(1.5))
            if t < t1:
                merged_at = closed_at = t
                merged_by = merger.login
                merger_dev = merger
        elif outcome == "closed":
            t = self._next_work(author, last + self._delay(24.0))
            if t < t1:
                closed_at = t
        if merged_at is not None and (rng.random() < 0.02 or force == "post_merge"):
            pool = [d for d in repo.contributors if d is not author] or [d for d in self.devs if d is not author]
            if pool:
                rv = pool[int(rng.random() * len(pool))]
                t = self._next_work(rv, merged_at + self._delay(8.0))
                if t < t1:
                    reviews.append(self._review(repo, number, rv, "APPROVED", "LGTM (post-merge).", t))
                    events.append(t)

        # Write everything that happened before the window's end.
        commits = sorted((c for c in commits if c[0] < t1), key=lambda c: c[0])
        merged = merged_at is not None
        pr_files: dict[str, list] = {}
        pr_commits = self.buf["pull_request_commits"]
        for t, sha, files, msg, parents, who in commits:
            committed = t
            if rng.random() < 0.1:  # rebased or amended later: committer date moves
                committed = min(t + int(rng.random() * 3 * DAY), t1 - 1)
            self._commit(repo, sha, who, t, msg, files, default=merged, parents=parents,
                         committed=max(committed, t))
            pr_commits.append((repo.name, number, sha))
            for path, status, a, dl in files:
                cur = pr_files.get(path)
                if cur is None:
                    pr_files[path] = [status, a, dl]
                else:
                    cur[1] += a
                    cur[2] += dl
                    if status == "added" or cur[0] == "added":
                        cur[0] = "added"
                    elif status == "removed":
                        cur[0] = "removed"
        if merged and rng.random() < 0.7:  # a merge commit; otherwise rebased onto the branch
            m = merger_dev
            self._commit(repo, self._sha(), (m.uid, self._login(m, merged_at), m.name, m.email), merged_at,
                         f"Merge pull request #{number} from {repo.name.split('/')[0]}/{head_ref}\n\n{title}",
                         [], default=True, parents=2, committer=("web-flow", "noreply@github.com"))
        self._write_pr(pr, author.uid, self._login(author, pr.created), title, head_ref, outcome,
                       merged_at, closed_at, merged_by, pr_files, reviews, comments, commits, events)

    def _dependabot_pr(self, pr: _PR) -> None:
        rng = self.rng
        repo, number, t1 = pr.repo, pr.number, self.t1
        pkgs = _DEPS[repo.ecosystem]
        pkg = pkgs[int(rng.random() * len(pkgs))]
        major, minor = 1 + int(rng.random() * 4), int(rng.random() * 20)
        old, new = f"{major}.{minor}.{int(rng.random() * 9)}", f"{major}.{minor + 1}.0"
        title = f"chore(deps): bump {pkg} from {old} to {new}"
        head_ref = f"dependabot/{repo.ecosystem}/{pkg.replace('/', '-')}-{new}"
        files = [(path, "modified", 20 + int(rng.random() * 80), 15) if path.endswith((".lock", ".sum", "-lock.json"))
                 else (path, "modified", 1, 1) for path in repo.manifest]
        bot = (DEPENDABOT_ID, "dependabot[bot]", "dependabot[bot]",
               f"{DEPENDABOT_ID}+dependabot[bot]@users.noreply.github.com")
        msg = f"{title}\n\nBumps {pkg} from {old} to {new}.\n\nSigned-off-by: dependabot[bot] <support@github.com>"
        sha, ct = self._sha(), pr.times[0]
        reviews, events = [], [pr.created]
        r = rng.random()
        outcome = "merged" if r < 0.65 else "closed" if r < 0.87 else "open"
        merged_at = closed_at = merged_by = None
        pool = repo.contributors or self.devs
        maintainer = pool[int(rng.random() * len(pool))]
        if outcome == "merged":
            t = self._next_work(maintainer, pr.created + self._delay(20.0))
            if t < t1:
                if rng.random() < 0.8:
                    reviews.append(self._review(repo, number, maintainer, "APPROVED", "", t))
                    events.append(t)
                merged_at = closed_at = t + 2 * MINUTE
                merged_by = maintainer.login
                if merged_at >= t1:
                    merged_at = closed_at = merged_by = None
        elif outcome == "closed":  # superseded by a newer version
            t = pr.created + 7 * DAY
            if t < t1:
                closed_at = t
        merged = merged_at is not None
        self._commit(repo, sha, bot, ct, msg, files, default=merged)
        self.buf["pull_request_commits"].append((repo.name, number, sha))
        if merged:
            merger = (maintainer.uid, self._login(maintainer, merged_at), maintainer.name, maintainer.email)
            self._commit(repo, self._sha(), merger, merged_at,
                         f"Merge pull request #{number} from {repo.name.split('/')[0]}/{head_ref}\n\n{title}",
                         [], default=True, parents=2, committer=("web-flow", "noreply@github.com"))
        pr_files = {p: [s, a, d] for p, s, a, d in files}
        self._write_pr(pr, DEPENDABOT_ID, "dependabot[bot]", title, head_ref, outcome, merged_at, closed_at,
                       merged_by, pr_files, reviews, [], [(ct, sha)], events,
                       labels=["dependencies", repo.ecosystem],
                       body=f"Bumps [{pkg}](https://example.com/{pkg}) from {old} to {new}.")

    def _write_pr(self, pr: _PR, uid, login, title, head_ref, outcome, merged_at, closed_at, merged_by,
                  pr_files, reviews, comments, commits, events, labels=None, body=None) -> None:
        rng = self.rng
        repo, number = pr.repo, pr.number
        for path, (status, a, d) in pr_files.items():
            self.buf["pull_request_files"].append((repo.name, number, path, status, a, d))
        # Each review points at the head commit when it was submitted.
        heads = sorted((c[0], c[1]) for c in commits)
        out_reviews = self.buf["reviews"]
        for rv in reviews:
            t = rv[7]
            head = heads[0][1]
            for ct, sha in heads:
                if t is not None and ct <= t:
                    head = sha
            rv[8] = head
            out_reviews.append(tuple(rv))
        self.buf["review_comments"].extend(comments)
        if labels is None:
            kind = title.split("(", 1)[0].split(":", 1)[0].rstrip("!")
            labels = _LABELS.get(kind, [])
            if "!" in title.split(":", 1)[0]:
                labels = labels + ["breaking-change"]
        if body is None:
            r = rng.random()
            body = None if r < 0.2 else f"Closes #{1 + int(rng.random() * 900)}." if r < 0.6 else \
                f"## Summary\n\n{title}\n\n## Testing\n\n- unit tests"
        state = "closed" if closed_at is not None else "open"
        draft = state == "open" and outcome != "merged" and rng.random() < 0.3
        times = [t for t in events if t < self.t1] + [c[0] for c in commits]
        times += [t for t in (merged_at, closed_at) if t is not None]
        updated = max(times)
        adds = sum(v[1] for v in pr_files.values())
        dels = sum(v[2] for v in pr_files.values())
        self.pr_github_seq += 1
        self.buf["pull_requests"].append((
            repo.name, number, self.id_base + self.pr_github_seq, uid, login, title, body, state, draft,
            labels, repo.default_branch, head_ref, pr.created, updated, closed_at, merged_at, merged_by,
            adds, dels, len(pr_files)))

    # -- driver -------------------------------------------------------------

    def _write(self, table: str, rows: list[tuple]) -> tuple[int, int]:
        if not rows:
            return 0, 0
        result = upsert(self.con, table, _to_arrow(table, rows), self.run_id)
        self.counts[table] += len(rows)
        self.inserted[table] += result.inserted
        self.updated[table] += result.updated
        return result.inserted, result.updated

    def _write_static(self) -> None:
        ws = self.ws
        self._write("repositories", [(r.name, r.github_id or None, r.is_fork, r.parent, r.default_branch, r.source)
                                     for r in self.all_repos])
        self._write("workspace_repositories", [(ws, r.name) for r in self.all_repos])
        users = [(d.uid, d.login, "User", d.name, d.email if d.idx % 3 != 2 else None) for d in self.devs]
        users += [(DEPENDABOT_ID, "dependabot[bot]", "Bot", None, None),
                  (CI_RUNNER_ID, "ci-runner", "User", "CI Runner", f"ci-runner@{_DOMAIN}"),
                  (GHOST_ID, "ghost", "User", "Deleted user", None)]
        self._write("users", users)
        self._write("team_members", sorted((ws, t, d.login) for d in self.devs for t in d.p.teams))

    def _manifest_contents(self) -> list[tuple]:
        """raw.file_contents of every dependency manifest: the version before the
        window, then one per commit that touched it, in time order.

        The state evolves per repository and ecosystem (a Python repository's
        requirements.txt and pyproject.toml list the same packages): each
        human or bot commit touching a manifest bumps or adds one package
        (chosen from its SHA); a default-branch commit moves the state on, a
        commit of an unmerged PR shows its own change only. Repositories start
        at different release lines of each package (the git-sourced legacy
        repository a major or two behind), so the technology tracker sees
        current, recent, outdated and deprecated versions. Nothing here draws
        from the generator's random stream.
        """
        states: dict[tuple[str, str], dict[str, tuple[int, int, int]]] = {}
        rows: list[tuple] = []
        before = self.t0 - DAY
        for repo in self.all_repos:
            for path in repo.manifest:
                eco = _manifest_ecosystem(path)
                if eco is None:
                    continue
                state = states.setdefault((repo.name, eco), _initial_manifest_state(repo, eco))
                sha = hashlib.sha1(f"{self.ws}:{repo.name}:{path}:baseline".encode()).hexdigest()
                rows.append((repo.name, path, sha, before, True, _render_manifest(repo, path, eco, state)))
        for committed, repo, sha, paths, default, bump in sorted(self.manifest_events, key=lambda e: (e[0], e[1].name, e[2])):
            by_eco: dict[str, dict] = {}
            for path in paths:
                eco = _manifest_ecosystem(path)
                if eco not in by_eco:
                    state = states.setdefault((repo.name, eco), _initial_manifest_state(repo, eco))
                    new = _bumped(state, eco, sha) if bump else dict(state)
                    if default:
                        states[(repo.name, eco)] = new
                    by_eco[eco] = new
                rows.append((repo.name, path, sha, committed, default,
                             _render_manifest(repo, path, eco, by_eco[eco])))
        return rows

    def run(self) -> DemoSummary:
        ensure_raw_schema(self.con)
        self._write_static()
        day = self.d0
        while day < self.d1:
            started = time.perf_counter()
            first = _EPOCH + timedelta(days=day)
            nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
            end = min((nxt - _EPOCH).days, self.d1)
            prs: list[_PR] = []
            for d in range(day, end):
                self._plan_day(d, prs)
            prs.sort(key=lambda p: (p.created, p.repo.idx, p.author.idx if p.author else -1))
            for pr in prs:
                pr.number = pr.repo.next_pr
                pr.repo.next_pr += 1
                if pr.author is None:
                    self._dependabot_pr(pr)
                else:
                    self._human_pr(pr)
            built = time.perf_counter()
            sizes = {t: len(self.buf[t]) for t in _CHUNK_TABLES}
            ins = upd = 0
            for table in _CHUNK_TABLES:
                i, u = self._write(table, self.buf[table])
                ins, upd = ins + i, upd + u
                self.buf[table] = []
            if self.log:
                self.log(
                    f"demo {self.ws} {first:%Y-%m}: {sizes['commits']} commits, "
                    f"{sizes['pull_requests']} PRs, {sizes['reviews']} reviews, "
                    f"{sizes['review_comments']} comments; {ins} inserted, {upd} updated "
                    f"(build {built - started:.1f}s, upsert {time.perf_counter() - built:.1f}s)"
                )
            day = end
        self._write("file_contents", self._manifest_contents())
        c = self.counts
        return DemoSummary(
            workspace_id=self.ws, developers=len(self.devs), repositories=len(self.all_repos),
            commits=c["commits"], pull_requests=c["pull_requests"], reviews=c["reviews"],
            review_comments=c["review_comments"], start=self.start,
            end=self.start + timedelta(days=self.days), seed=self.seed,
            teams=len({t for d in self.devs for t in d.p.teams}),
            users=c["users"], commit_files=c["commit_files"], pull_request_commits=c["pull_request_commits"],
            pull_request_files=c["pull_request_files"], team_members=c["team_members"],
            inserted=dict(self.inserted), updated=dict(self.updated),
        )


def generate_demo(
    con: duckdb.DuckDBPyConnection,
    *,
    workspace_id: str = "demo",
    developers: int = 24,
    days: int = 120,
    seed: int = 42,
    start: date = date(2024, 1, 1),
    run_id: str = "demo",
    log: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Write a deterministic demo organisation's activity into the raw tables.

    Same arguments, same rows: re-running into the same warehouse inserts and
    updates nothing. ``log`` receives one progress line per month written.
    """
    if developers < 1 or days < 1:
        raise ValueError("developers and days must be at least 1")
    # Millions of small row tuples make the cyclic GC rescan them over and
    # over (a quarter of the build time); nothing here creates cycles.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _Generator(con, workspace_id, developers, days, seed, start, run_id, log).run()
    finally:
        if gc_was_enabled:
            gc.enable()

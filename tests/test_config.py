"""Config validation: ConfigError names the file, the line, the dotted key path and what was expected."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipelines.config import ConfigError, load_config, parse_config

REPO = Path(__file__).resolve().parents[1]
HEX = "0123456789abcdef" * 4

# Line numbers in comments: the tests below edit single lines and assert them.
FULL = f"""\
github:
  api_url: https://github.example.com/api/v3
  concurrency: 8
calendar:
  start: 2023-12-15
  biweekly_anchor: 2024-01-08
warehouse:
  path: wh/warehouse.duckdb
  serving_dir: wh/serving
workspaces:
  - id: acme
    name: Acme Inc
    sources:
      - github: {{org: acme}}
      - github: {{repo: Acme/API}}
      - git: {{path: /srv/git/legacy.git, repo: Acme/Legacy, refs: [refs/heads/release]}}
      - demo: {{developers: 5, days: 30, seed: 7}}
    teams_from_github: false
    teams:
      - id: platform
        name: Platform
        members: [Alice, BOB]
      - id: web
        members: [carol]
    bots: [CI-Runner]
    identities:
      Alice: [Alice@Old.example.com]
    working_schedules:
      Alice: {{timezone: Europe/Berlin, working_days: [mon, tue, wed, thu]}}
      bob: {{timezone: America/New_York}}
    settings:
      default_timezone: Asia/Kolkata
      working_days: [sun, mon, tue, wed, thu]
    alert_rules:
      - {{id: late-nights, metric: sustainability.late_night_commit_ratio, operator: ">", threshold: 0.3}}
  - id: beta
    sources:
      - demo: {{}}
api:
  keys:
    - {{name: ci, sha256: "{HEX}", workspaces: [acme, beta]}}
  cors_origins: [http://localhost:3000]
llm:
  model: local-model
  timeout_seconds: 12
"""
# 1-based lines of FULL that the error tests point at
LINE = {
    "biweekly_anchor": 6,
    "workspace0": 11,
    "org_source": 14,
    "team1": 23,
    "team1_members": 24,
    "alice_schedule": 29,
    "default_timezone": 32,
    "working_days": 33,
    "workspace1": 36,
    "key0": 41,
}


def _replace_line(text: str, line: int, old: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    assert old in lines[line - 1], (line, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new)
    return "".join(lines)


def _error(text: str, path: str = "conf/devlens.yaml") -> str:
    with pytest.raises(ConfigError) as e:
        parse_config(text, path)
    return str(e.value)


def test_line_table_matches_the_text():
    lines = FULL.splitlines()
    assert "biweekly_anchor" in lines[LINE["biweekly_anchor"] - 1]
    assert "- id: acme" in lines[LINE["workspace0"] - 1]
    assert "org: acme" in lines[LINE["org_source"] - 1]
    assert "- id: web" in lines[LINE["team1"] - 1]
    assert "members: [carol]" in lines[LINE["team1_members"] - 1]
    assert lines[LINE["alice_schedule"] - 1].strip().startswith("Alice:")
    assert "default_timezone" in lines[LINE["default_timezone"] - 1]
    assert "working_days" in lines[LINE["working_days"] - 1]
    assert "- id: beta" in lines[LINE["workspace1"] - 1]
    assert "sha256" in lines[LINE["key0"] - 1]


def test_full_config_parses(tmp_path):
    path = tmp_path / "devlens.yaml"
    path.write_text(FULL)
    cfg = load_config(path)
    assert cfg.github.api_url == "https://github.example.com/api/v3"
    assert cfg.github.concurrency == 8
    assert cfg.calendar.start == date(2023, 12, 15)
    assert cfg.calendar.biweekly_anchor == date(2024, 1, 8)
    assert [w.id for w in cfg.workspaces] == ["acme", "beta"]
    acme = cfg.workspace("acme")
    assert acme.name == "Acme Inc"
    # sources: one of each kind, repos lower-cased
    assert acme.sources[0].github.org == "acme" and acme.sources[0].github.repo is None
    assert acme.sources[1].github.repo == "acme/api"
    assert acme.sources[2].git.repo == "acme/legacy"
    assert acme.sources[2].git.path == "/srv/git/legacy.git"
    assert acme.sources[2].git.refs == ["refs/heads/release"]
    assert (acme.sources[3].demo.developers, acme.sources[3].demo.days, acme.sources[3].demo.seed) == (5, 30, 7)
    # logins lower-cased everywhere
    assert {t.id: t.members for t in acme.teams} == {"platform": ["alice", "bob"], "web": ["carol"]}
    assert acme.teams[0].name == "Platform"
    assert acme.bots == ["ci-runner"]
    assert acme.identities == {"alice": ["alice@old.example.com"]}
    assert set(acme.working_schedules) == {"alice", "bob"}
    assert acme.working_schedules["alice"].timezone == "Europe/Berlin"
    assert acme.working_schedules["alice"].working_days == ["mon", "tue", "wed", "thu"]
    assert acme.working_schedules["bob"].working_days is None
    assert acme.settings.default_timezone == "Asia/Kolkata"
    assert acme.settings.working_days == ["sun", "mon", "tue", "wed", "thu"]
    rule = acme.alert_rules[0]
    assert (rule.id, rule.metric, rule.operator, rule.threshold) == (
        "late-nights", "sustainability.late_night_commit_ratio", ">", 0.3)
    assert rule.period_type == "weekly" and rule.severity == "warning"
    # defaults
    beta = cfg.workspace("beta")
    assert beta.sources[0].demo.developers == 24
    assert beta.settings.default_timezone == "UTC"
    assert beta.settings.working_days == ["mon", "tue", "wed", "thu", "fri"]
    assert beta.teams == [] and beta.bots == [] and not beta.teams_from_github
    # api keys, llm, warehouse paths relative to the config's folder
    assert cfg.api.keys[0].sha256 == HEX and cfg.api.keys[0].workspaces == ["acme", "beta"]
    assert cfg.api.cors_origins == ["http://localhost:3000"]
    assert cfg.llm.model == "local-model" and cfg.llm.timeout_seconds == 12
    assert cfg.resolve(cfg.warehouse.path) == tmp_path / "wh" / "warehouse.duckdb"
    assert cfg.resolve("/abs/x") == Path("/abs/x")
    with pytest.raises(KeyError):
        cfg.workspace("nope")


def test_minimal_config_uses_defaults():
    cfg = parse_config("workspaces:\n  - id: solo\n")
    assert cfg.calendar.start == date(2024, 1, 1)
    assert cfg.calendar.biweekly_anchor == date(2024, 1, 1)
    assert cfg.github.api_url == "https://api.github.com"
    assert cfg.api.keys == []


def test_warehouse_memory_limit():
    assert parse_config("workspaces:\n  - id: solo\n").warehouse.memory_limit is None  # the built-in default
    for value in ("4GB", "512MiB", "25%", "1.5 GiB", "100%"):
        cfg = parse_config(f"workspaces:\n  - id: solo\nwarehouse:\n  memory_limit: {value}\n")
        assert cfg.warehouse.memory_limit == value


def test_repo_config_is_valid():
    cfg = load_config(REPO / "devlens.yaml")
    assert cfg.workspaces and cfg.calendar.biweekly_anchor.weekday() == 0


# --- errors: file, line, dotted path, reason -----------------------------------------


def _assert_names(msg: str, line: int, dotted: str, *reason: str, path: str = "conf/devlens.yaml"):
    assert f"{path}:{line}: {dotted}" in msg, msg
    for r in reason:
        assert r in msg, msg
    assert "Traceback" not in msg


def test_unknown_top_level_key():
    msg = _error(FULL + "reports: []\n")
    _assert_names(msg, len(FULL.splitlines()) + 1, "reports", "unknown key")


def test_misspelt_nested_key():
    text = _replace_line(FULL, LINE["team1_members"], "members:", "memberz:")
    _assert_names(_error(text), LINE["team1_members"], "workspaces[0].teams[1].memberz", "unknown key")


def test_misspelt_key_in_flow_mapping():
    text = _replace_line(FULL, LINE["alice_schedule"], "timezone:", "time_zone:")
    # the path names the key as written in the file
    _assert_names(_error(text), LINE["alice_schedule"], "workspaces[0].working_schedules.Alice.time_zone", "unknown key")


def test_biweekly_anchor_not_a_monday():
    text = _replace_line(FULL, LINE["biweekly_anchor"], "2024-01-08", "2024-01-10")
    _assert_names(_error(text), LINE["biweekly_anchor"], "calendar.biweekly_anchor", "2024-01-10", "Wednesday", "Monday")


def test_bad_time_zone():
    text = _replace_line(FULL, LINE["default_timezone"], "Asia/Kolkata", "Mars/Olympus")
    _assert_names(_error(text), LINE["default_timezone"], "workspaces[0].settings.default_timezone",
                  "Mars/Olympus", "time zone")
    text = _replace_line(FULL, LINE["alice_schedule"], "Europe/Berlin", "Europe/Atlantis")
    _assert_names(_error(text), LINE["alice_schedule"], "workspaces[0].working_schedules.Alice.timezone",
                  "Europe/Atlantis", "time zone")


@pytest.mark.parametrize("value, reason", [
    ("lots", "'lots' is not a memory size: expected e.g. '4GB', '512MB' or '25%'"),
    ("4 parsecs", "is not a memory size"),
    ("150%", "at most 100%"),
    ("0%", "more than 0%"),
    ("0GB", "must be more than 0"),
    ("4096", "valid string"),
])
def test_bad_warehouse_memory_limit(value, reason):
    text = "workspaces:\n  - id: solo\nwarehouse:\n  path: wh.duckdb\n  memory_limit: " + value + "\n"
    _assert_names(_error(text), 5, "warehouse.memory_limit", reason)


def test_bad_weekday():
    text = _replace_line(FULL, LINE["working_days"], "[sun, mon,", "[sun, monday,")
    _assert_names(_error(text), LINE["working_days"], "workspaces[0].settings.working_days[1]", "'mon'", "'sun'")


def test_source_with_both_org_and_repo():
    text = _replace_line(FULL, LINE["org_source"], "{org: acme}", "{org: acme, repo: acme/api}")
    _assert_names(_error(text), LINE["org_source"], "workspaces[0].sources[0].github", "exactly one of 'org' or 'repo'")


def test_source_with_two_kinds():
    text = _replace_line(FULL, LINE["org_source"], "- github: {org: acme}", "- {github: {org: acme}, demo: {}}")
    _assert_names(_error(text), LINE["org_source"], "workspaces[0].sources[0]", "exactly one of")


def test_api_key_with_non_hex_sha256():
    text = _replace_line(FULL, LINE["key0"], HEX, "z" * 64)
    _assert_names(_error(text), LINE["key0"], "api.keys[0].sha256", "[0-9a-f]{64}")


def test_api_key_naming_an_unknown_workspace():
    text = _replace_line(FULL, LINE["key0"], "[acme, beta]", "[acme, gamma]")
    msg = _error(text)
    assert "conf/devlens.yaml" in msg and "api.keys[0]" in msg and "gamma" in msg and "unknown workspace" in msg


def test_api_key_naming_an_unknown_workspace_points_at_the_key():
    text = _replace_line(FULL, LINE["key0"], "[acme, beta]", "[acme, gamma]")
    _assert_names(_error(text), LINE["key0"], "api.keys[0].workspaces", "gamma")


def test_duplicate_workspace_ids():
    text = _replace_line(FULL, LINE["workspace1"], "id: beta", "id: acme")
    msg = _error(text)
    assert "conf/devlens.yaml" in msg and "workspace ids must be unique" in msg and "acme" in msg


def test_duplicate_workspace_ids_points_at_the_repeat():
    text = _replace_line(FULL, LINE["workspace1"], "id: beta", "id: acme")
    _assert_names(_error(text), LINE["workspace1"], "workspaces[1]", "unique")


def test_duplicate_team_ids():
    text = _replace_line(FULL, LINE["team1"], "id: web", "id: platform")
    msg = _error(text)
    _assert_names(msg, LINE["team1"], "workspaces[0].teams[1].id", "team ids must be unique", "platform")


def test_duplicate_team_ids_points_at_the_repeat():
    text = _replace_line(FULL, LINE["team1"], "id: web", "id: platform")
    _assert_names(_error(text), LINE["team1"], "workspaces[0].teams[1]", "unique")


def test_invalid_yaml_names_the_line():
    text = _replace_line(FULL, LINE["team1_members"], "members: [carol]", "members: [carol")
    msg = _error(text)
    assert msg.startswith("conf/devlens.yaml:"), msg
    assert "not valid YAML" in msg
    line = int(msg.split(":")[1])
    assert LINE["team1_members"] <= line <= LINE["team1_members"] + 1, msg
    # a tab-indented line: the mark is that exact line
    lines = FULL.splitlines(keepends=True)
    lines.insert(7, "\tpath: x\n")
    msg = _error("".join(lines))
    assert msg.startswith("conf/devlens.yaml:8: not valid YAML"), msg


def test_top_level_must_be_a_mapping():
    msg = _error("- id: acme\n")
    assert "conf/devlens.yaml" in msg and "mapping" in msg


def test_empty_workspaces_list():
    msg = _error("calendar:\n  start: 2024-01-01\nworkspaces: []\n")
    _assert_names(msg, 3, "workspaces", "at least 1 item")


def test_missing_workspaces():
    msg = _error("calendar:\n  start: 2024-01-01\n")
    assert "conf/devlens.yaml" in msg and "workspaces" in msg and "required key is missing" in msg


def test_several_errors_are_all_reported():
    text = _replace_line(FULL, LINE["biweekly_anchor"], "2024-01-08", "2024-01-09")
    text = _replace_line(text, LINE["key0"], HEX, "x")
    msg = _error(text)
    assert f"conf/devlens.yaml:{LINE['biweekly_anchor']}: calendar.biweekly_anchor" in msg
    assert f"conf/devlens.yaml:{LINE['key0']}: api.keys[0].sha256" in msg


def test_missing_file_says_how_to_set_devlens_config(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError) as e:
        load_config(missing)
    assert str(missing) in str(e.value)
    assert "not found" in str(e.value)
    assert "DEVLENS_CONFIG" in str(e.value)


def test_devlens_config_variable_is_used(tmp_path, monkeypatch):
    path = tmp_path / "elsewhere.yaml"
    path.write_text("workspaces:\n  - id: fromenv\n")
    monkeypatch.setenv("DEVLENS_CONFIG", str(path))
    assert load_config().workspaces[0].id == "fromenv"
    monkeypatch.setenv("DEVLENS_CONFIG", str(tmp_path / "gone.yaml"))
    with pytest.raises(ConfigError, match="gone.yaml"):
        load_config()


def test_load_config_error_names_the_real_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(_replace_line(FULL, LINE["team1_members"], "members:", "memberz:"))
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert f"{path}:{LINE['team1_members']}: workspaces[0].teams[1].memberz" in str(e.value)


# --- the real CLI ---------------------------------------------------------------


def _start_cli(text: str) -> subprocess.Popen:
    """`devlens --config /dev/stdin config check` through the installed console script."""
    exe = REPO / ".venv" / "bin" / "devlens"
    if not exe.exists():  # pragma: no cover
        exe = Path(sys.executable).parent / "devlens"
    env = {k: v for k, v in os.environ.items() if k != "DEVLENS_CONFIG"}
    proc = subprocess.Popen([str(exe), "--config", "/dev/stdin", "config", "check"], cwd=REPO, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(text)  # far below a pipe's buffer: never blocks
    proc.stdin.close()
    proc.stdin = None  # so communicate() only reads
    return proc


# Each CLI start imports Dagster from source (a few seconds), so both runs start when this
# module is collected and overlap with the rest of the suite; the tests below collect them.
_CLI_PROCS = {
    "good": _start_cli(FULL),
    "bad": _start_cli(_replace_line(FULL, LINE["team1_members"], "members:", "memberz:")),
}


@pytest.fixture(scope="module")
def cli_runs():
    out = {}
    for name, proc in _CLI_PROCS.items():
        stdout, stderr = proc.communicate(timeout=120)
        out[name] = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return out


def test_cli_config_check_ok(cli_runs):
    r = cli_runs["good"]
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("config OK: ")
    assert "calendar: start 2023-12-15, biweekly anchor 2024-01-08" in r.stdout
    assert "workspace acme: 4 source(s), 2 team(s), 1 bot(s), 2 working schedule(s), tz Asia/Kolkata" in r.stdout
    assert "api keys: 1" in r.stdout


def test_cli_config_check_bad(cli_runs):
    r = cli_runs["bad"]
    assert r.returncode == 2
    assert r.stdout == ""
    assert f"/dev/stdin:{LINE['team1_members']}: workspaces[0].teams[1].memberz" in r.stderr
    assert "unknown key" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_config_check_json(tmp_path, capsys):
    """The same entry point (pipelines.cli:main) in-process, to keep the suite fast."""
    from pipelines.cli import main

    good = tmp_path / "good.yaml"
    good.write_text(FULL)
    assert main(["--config", str(good), "config", "check", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["config"] == str(good.resolve())
    assert doc["calendar"] == {"start": "2023-12-15", "biweekly_anchor": "2024-01-08"}
    assert doc["warehouse"] == str(tmp_path.resolve() / "wh" / "warehouse.duckdb")
    assert [w["id"] for w in doc["workspaces"]] == ["acme", "beta"]
    acme = doc["workspaces"][0]
    assert acme["teams"] == {"platform": ["alice", "bob"], "web": ["carol"]}
    assert acme["bots"] == ["ci-runner"]
    assert acme["sources"][1] == {"github": {"repo": "acme/api"}}
    assert acme["working_schedules"] == ["alice", "bob"]
    assert doc["api_keys"] == 1

    bad = tmp_path / "bad.yaml"
    bad.write_text("workspaces: []\n")
    assert main(["--config", str(bad), "config", "check", "--json"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1: workspaces" in err


def test_the_writer_uses_the_configured_memory_limit(tmp_path):
    from pipelines.context import DevLens

    path = tmp_path / "devlens.yaml"
    path.write_text(f"warehouse: {{path: {tmp_path / 'w.duckdb'}, memory_limit: 1GB}}\nworkspaces: [{{id: acme}}]\n")
    with DevLens(load_config(path)).writer() as con:
        setting = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    assert setting.replace(" ", "") in ("1.0GB", "953.6MiB", "1GB")

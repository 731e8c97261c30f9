"""The extension -> language map (assets/analyzers/languages.py -> sql_models/macros/languages.sql)."""

from assets.analyzers.languages import MACRO_FILE, build_language_map, render_macro


def test_the_macro_file_is_generated_from_the_installed_pygments():
    assert MACRO_FILE.read_text() == render_macro(), (
        "sql_models/macros/languages.sql is out of date: run `.venv/bin/python -m assets.analyzers.languages`")


def test_common_files_map_to_the_languages_people_name():
    mapping = {(kind, pattern): language for kind, pattern, language in build_language_map()}
    expected = {("ext", "py"): "Python", ("ext", "go"): "Go", ("ext", "ts"): "TypeScript",
                ("ext", "tsx"): "TypeScript", ("ext", "jsx"): "JavaScript", ("ext", "rs"): "Rust",
                ("ext", "sql"): "SQL", ("ext", "java"): "Java", ("ext", "h"): "C", ("ext", "sh"): "Bash",
                ("name", "Dockerfile"): "Docker", ("name", "Makefile"): "Makefile"}
    assert {k: mapping.get(k) for k in expected} == expected
    # formats and prose are not skills
    assert not {("ext", "md"), ("ext", "json"), ("ext", "yml"), ("ext", "toml"), ("ext", "txt"), ("ext", "mod")} & set(mapping)

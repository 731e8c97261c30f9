{#- Text, path and manifest rules of the analyzers (METRICS.md §7). Each
    rule is written once here and documented in docs/metrics.md
    ("Analyzers"); the models in sql_models/analyzers/ call them. -#}

{#- ---- periods ------------------------------------------------------------ -#}

{% macro shift_period(date_expr, k, period_type) -%}
{#- The start of the period k periods after the one starting at date_expr (k may be negative or a column). -#}
{%- if period_type == 'monthly' -%}
cast({{ date_expr }} + to_months(cast({{ k }} as integer)) as date)
{%- else -%}
cast({{ date_expr }} + to_days(cast({{ k }} as integer) * {{ {'daily': 1, 'weekly': 7, 'biweekly': 14}[period_type] }}) as date)
{%- endif -%}
{%- endmacro %}

{#- ---- commit messages (commit analyzer, PR titles) ----------------------- -#}

{% macro conventional_regex() -%}
(?i)^(feat|fix|refactor|chore|docs|test|style|perf|build|ci|revert)(\(.+\))?!?:
{%- endmacro %}

{% macro strip(text) -%}
{#- The text without leading and trailing whitespace (spaces, tabs, newlines). -#}
trim(coalesce({{ text }}, ''), chr(32) || chr(9) || chr(10) || chr(13))
{%- endmacro %}

{% macro commit_subject(message) -%}
trim(split_part(replace(coalesce({{ message }}, ''), chr(13), ''), chr(10), 1))
{%- endmacro %}

{% macro commit_body(message) -%}
{#- The message after its subject line, without trailers (Co-authored-by: ...). -#}
{{ strip("regexp_replace(substr(replace(coalesce(" ~ message ~ ", ''), chr(13), ''), length(split_part(replace(coalesce(" ~ message ~ ", ''), chr(13), ''), chr(10), 1)) + 1), '(?im)^[ \\t]*(co-authored-by|signed-off-by|reviewed-by|acked-by|change-id|cc):.*$', '', 'g')") }}
{%- endmacro %}

{% macro is_conventional(subject) -%}
regexp_matches({{ subject }}, '{{ conventional_regex() }}')
{%- endmacro %}

{% macro is_breaking(subject, message) -%}
(regexp_matches({{ subject }}, '(?i)^(feat|fix|refactor|chore|docs|test|style|perf|build|ci|revert)(\([^)]*\))?!:') or regexp_matches(coalesce({{ message }}, ''), 'BREAKING[ -]CHANGE'))
{%- endmacro %}

{% macro commit_scope(subject) -%}
{#- The Conventional Commits scope, lower-cased ('' without one). -#}
case when {{ is_conventional(subject) }} then lower(trim(regexp_extract({{ subject }}, '^[A-Za-z]+\(([^)]*)\)', 1))) else '' end
{%- endmacro %}

{% macro commit_type(subject) -%}
{#- Conventional type, else the first keyword rule that matches (in this order), else 'other'. -#}
case
    when {{ is_conventional(subject) }} then lower(regexp_extract({{ subject }}, '^([A-Za-z]+)', 1))
    when regexp_matches({{ subject }}, '(?i)^revert\b|\bthis reverts commit\b') then 'revert'
    when regexp_matches({{ subject }}, '(?i)\b(fix(es|ed|ing)?|bugs?|bugfix|hotfix|patch(es|ed)?|resolves?|resolved|repairs?|crash(es)?|broken|regression|handles?|handled)\b') then 'fix'
    when regexp_matches({{ subject }}, '(?i)\b(tests?|testing|specs?|coverage)\b') then 'test'
    when regexp_matches({{ subject }}, '(?i)\b(docs?|documentation|readme|changelog|typos?|docstrings?)\b') then 'docs'
    when regexp_matches({{ subject }}, '(?i)\b(perf|performance|speed ?up|faster|optimi[sz](e|es|ed|ation)|latency)\b') then 'perf'
    when regexp_matches({{ subject }}, '(?i)\b(refactor(s|ed|ing)?|restructured?|simplif(y|ies|ied)|extract(s|ed)?|renam(e|es|ed)|clean ?up|cleanups?|reorgani[sz]e[sd]?|dead code|move[sd]?)\b') then 'refactor'
    when regexp_matches({{ subject }}, '(?i)\b(style|format(ting)?|lint(ing)?|whitespace|prettier|black|isort|indent(ation)?)\b') then 'style'
    when regexp_matches({{ subject }}, '(?i)\b(ci|pipelines?|workflows?|github actions|jenkins|travis|circleci)\b') then 'ci'
    when regexp_matches({{ subject }}, '(?i)\b(build|deps|dependenc(y|ies)|bump(s|ed)?|upgrade[sd]?|downgrade[sd]?|release[sd]?|version|packaging|dockerfile|makefile)\b') then 'build'
    when regexp_matches({{ subject }}, '(?i)\b(add(s|ed|ing)?|implement(s|ed)?|introduce[sd]?|support(s|ed)?|create[sd]?|new|features?|allow(s|ed)?|enable[sd]?|makes?)\b') then 'feat'
    when regexp_matches({{ subject }}, '(?i)\b(chore|updated?|updates|wip|misc|maintenance|tweak(s|ed)?|tidy)\b') then 'chore'
    else 'other'
end
{%- endmacro %}

{#- ---- review texts (review quality: mentoring behaviours) ---------------- -#}

{% macro is_suggestion(text) -%}
regexp_matches(coalesce({{ text }}, ''), '(?i)```suggestion|\b(consider|suggest(ion)?|could (we|you)|how about|what about|maybe|perhaps|instead|you (could|might)|might want|prefer|nit)\b')
{%- endmacro %}

{% macro is_question(text) -%}
contains(coalesce({{ text }}, ''), '?')
{%- endmacro %}

{% macro is_explanation(text) -%}
regexp_matches(coalesce({{ text }}, ''), '(?i)\b(because|since|so that|otherwise|that way|the reason|which means|this (means|ensures|avoids|prevents)|in order to|for example|e\.g\.)\b|https?://')
{%- endmacro %}

{% macro is_praise(text) -%}
regexp_matches(coalesce({{ text }}, ''), '(?i)\b(nice|great|good (catch|call|idea|job|work)|well done|love (this|it)|neat|awesome|thanks|thank you|kudos)\b')
{%- endmacro %}

{#- ---- file paths (PR complexity, expertise, technology) ------------------ -#}

{% macro file_name(path) -%}
regexp_extract({{ path }}, '([^/]*)$', 1)
{%- endmacro %}

{% macro manifest_ecosystem(path) -%}
{#- pip | npm | go | cargo for a dependency manifest the technology tracker parses, else NULL. -#}
case
    when regexp_matches({{ path }}, '(?i)(^|/)requirements[^/]*\.txt$') then 'pip'
    when regexp_matches({{ path }}, '(?i)(^|/)pyproject\.toml$') then 'pip'
    when regexp_matches({{ path }}, '(?i)(^|/)package\.json$') then 'npm'
    when regexp_matches({{ path }}, '(^|/)go\.mod$') then 'go'
    when regexp_matches({{ path }}, '(?i)(^|/)cargo\.toml$') then 'cargo'
end
{%- endmacro %}

{% macro is_lock_file(path) -%}
regexp_matches({{ path }}, '(?i)(^|/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|go\.sum|cargo\.lock|poetry\.lock|uv\.lock|pipfile\.lock|pdm\.lock|composer\.lock|gemfile\.lock)$')
{%- endmacro %}

{% macro is_dependency_file(path) -%}
({{ manifest_ecosystem(path) }} is not null or {{ is_lock_file(path) }} or regexp_matches({{ path }}, '(?i)(^|/)(pipfile|gemfile|composer\.json|setup\.py|setup\.cfg|build\.gradle(\.kts)?|pom\.xml)$'))
{%- endmacro %}

{% macro is_migration_path(path) -%}
regexp_matches(lower({{ path }}), '(^|/)(migrations?|alembic|migrate|db/migrate)/')
{%- endmacro %}

{% macro is_security_path(path) -%}
regexp_matches(lower({{ path }}), '(^|[/_.-])(auth|oauth2?|authn|authz|authentication|authorization|security|crypto|secrets?|permissions?|acl|rbac)([/_.-]|$)')
{%- endmacro %}

{% macro is_doc_like_path(path) -%}
{#- Documentation by name (a dependency manifest such as requirements.txt is not: see layer_of). -#}
regexp_matches(lower({{ path }}), '\.(md|rst|adoc|txt)$|(^|/)docs?/')
{%- endmacro %}

{% macro is_sql_path(path) -%}
regexp_matches(lower({{ path }}), '\.sql$')
{%- endmacro %}

{% macro is_frontend_path(path) -%}
regexp_matches(lower({{ path }}), '\.(tsx|jsx|vue|svelte|css|scss|sass|less|html?)$|(^|/)(components|pages|views|styles|public)/')
{%- endmacro %}

{% macro is_test_path(path) -%}
regexp_matches(lower({{ path }}), '(^|/)(tests?|__tests__|spec|specs|testdata)/|(^|/)test_[^/]*$|_test\.[a-z0-9]+$|\.(test|spec)\.[a-z0-9]+$|(^|/)conftest\.py$')
{%- endmacro %}

{% macro is_infrastructure_path(path) -%}
regexp_matches(lower({{ path }}), '(^|/)(dockerfile[^/]*|docker-compose[^/]*|makefile|jenkinsfile|procfile|\.gitlab-ci\.yml|\.travis\.yml)$|(^|/)(\.github|\.circleci|terraform|k8s|kubernetes|helm|charts|deploy|deployment|infra|ansible)/|\.(tf|tfvars|hcl)$')
{%- endmacro %}

{% macro is_config_path(path) -%}
regexp_matches(lower({{ path }}), '\.(ya?ml|toml|ini|cfg|conf|env|properties)$|(^|/)(config|configs|settings)/|(^|/)[^/]*\.config\.[cm]?[jt]s$|(^|/)tsconfig[^/]*\.json$|(^|/)\.[a-z]+rc(\.json)?$')
{%- endmacro %}

{% macro is_performance_path(path) -%}
regexp_matches(lower({{ path }}), '(^|/)(bench|benches|benchmarks?|perf|profiling)/')
{%- endmacro %}

{% macro layer_of(doc_like, test, dependency, infrastructure, migration, sql, frontend, config) -%}
{#- One layer per file from its path flags (the macros above, each evaluated once), first rule that matches. -#}
case
    when {{ doc_like }} and not {{ dependency }} then 'docs'
    when {{ test }} then 'tests'
    when {{ dependency }} then 'dependencies'
    when {{ infrastructure }} then 'infrastructure'
    when {{ migration }} or {{ sql }} then 'database'
    when {{ frontend }} then 'frontend'
    when {{ config }} then 'configuration'
    else 'backend'
end
{%- endmacro %}

{% macro path_component(path) -%}
{#- The first directory after a generic source root (src/, lib/, internal/, ...); '(root)' for top-level files. -#}
coalesce(nullif(regexp_extract(regexp_replace({{ path }}, '^(src|lib|internal|pkg|app|cmd|packages|source)/', ''), '^([^/]+)/', 1), ''), '(root)')
{%- endmacro %}

{% macro category_of_type(commit_type, subject) -%}
{#- A PR category from its title: dependency updates first, then the conventional or keyword type. -#}
case
    when regexp_matches({{ subject }}, '(?i)\b(bump(s|ed)?|deps|dependenc(y|ies))\b') then 'dependency'
    when {{ commit_type }} = 'feat' then 'feature'
    when {{ commit_type }} in ('fix', 'revert') then 'bugfix'
    when {{ commit_type }} in ('refactor', 'style') then 'refactor'
    when {{ commit_type }} = 'docs' then 'documentation'
    when {{ commit_type }} = 'test' then 'test'
    when {{ commit_type }} = 'perf' then 'performance'
    when {{ commit_type }} in ('ci', 'build') then 'infrastructure'
end
{%- endmacro %}

{% macro category_of_label(label) -%}
case
    when regexp_matches(lower({{ label }}), '(^|[^a-z])(security|vulnerability|cve)([^a-z]|$)') then 'security'
    when regexp_matches(lower({{ label }}), '(^|[^a-z])(bug|bugfix|fix|regression)([^a-z]|$)') then 'bugfix'
    when regexp_matches(lower({{ label }}), '(^|[^a-z])(enhancement|feature|feat)([^a-z]|$)') then 'feature'
    when regexp_matches(lower({{ label }}), '(^|[^a-z])(performance|perf)([^a-z]|$)') then 'performance'
    when regexp_matches(lower({{ label }}), '(^|[^a-z])(refactor|refactoring|tech[- ]debt|cleanup)([^a-z]|$)') then 'refactor'
    when regexp_matches(lower({{ label }}), '(^|[^a-z])(dependencies|dependency|deps)([^a-z]|$)') then 'dependency'
    when regexp_matches(lower({{ label }}), '(^|[^a-z])(infrastructure|infra|ci|devops|build)([^a-z]|$)') then 'infrastructure'
    when regexp_matches(lower({{ label }}), '(^|[^a-z])(config|configuration)([^a-z]|$)') then 'configuration'
    when regexp_matches(lower({{ label }}), '(^|[^a-z])(documentation|docs)([^a-z]|$)') then 'documentation'
    when regexp_matches(lower({{ label }}), '(^|[^a-z])(test|tests|testing)([^a-z]|$)') then 'test'
end
{%- endmacro %}

{#- ---- versions and manifests (technology tracker, expertise) -------------- -#}

{% macro version_text(spec) -%}
nullif(regexp_extract(coalesce({{ spec }}, ''), '(\d+(\.\d+)*)', 1), '')
{%- endmacro %}

{% macro version_key(spec) -%}
{#- [major, minor, patch] of the first version number in a spec (">=2.31,<3" -> [2, 31, 0]); NULL without one. -#}
case when {{ version_text(spec) }} is not null then
    list_concat(try_cast(string_split({{ version_text(spec) }}, '.') as bigint[]), [0, 0, 0])[1:3]
end
{%- endmacro %}

{% macro pep503(name) -%}
lower(regexp_replace({{ name }}, '[-_.]+', '-', 'g'))
{%- endmacro %}

{% macro pep508_name(req) -%}
regexp_extract(trim({{ req }}), '^([A-Za-z0-9][A-Za-z0-9._-]*)', 1)
{%- endmacro %}

{% macro is_pep508(req) -%}
{#- A requirement that starts with a distribution name (not a URL, a path or an option). -#}
regexp_matches(trim({{ req }}), '^[A-Za-z0-9][A-Za-z0-9._-]*[ \t]*($|[\[<>=!~;@ \t(])')
{%- endmacro %}

{% macro pep508_spec(req) -%}
{#- The version part of a PEP 508 requirement: after the name and extras, before ';' markers; NULL for URLs. -#}
case when contains({{ req }}, '@') or contains({{ req }}, '://') then null
     else nullif(trim(regexp_extract(trim({{ req }}), '^[A-Za-z0-9][A-Za-z0-9._-]*[ \t]*(\[[^\]]*\])?[ \t]*([^;]*)', 2)), '') end
{%- endmacro %}

{% macro toml_table_version(value) -%}
{#- A TOML dependency value: "1.2" or { version = "1.2", ... }; NULL otherwise (path, git, workspace). -#}
case when regexp_matches(trim({{ value }}), '^["'']') then regexp_extract(trim({{ value }}), '^["'']([^"'']*)', 1)
     else nullif(regexp_extract({{ value }}, 'version[ \t]*=[ \t]*["'']([^"'']*)', 1), '') end
{%- endmacro %}

{% macro manifest_dependency_ctes(contents) -%}
{#- Two CTEs over `contents` (a relation with repository, path, sha, committed_at,
    on_default_branch, content, ecosystem): `manifest_toml_sections` and
    `manifest_dependencies`, every dependency declared in the manifests, one
    row per (repository, path, sha, package, dependency_type) with the
    declared version spec. Rules in docs/metrics.md ("Technology tracker"). -#}
manifest_toml_sections as (
    -- Cargo.toml / pyproject.toml split at their [section] headers
    select m.repository, m.path, m.sha, m.committed_at, m.on_default_branch, m.ecosystem,
           trim(regexp_extract(part.text, '^([^\]\n]*)\]', 1)) as section,
           case when contains(part.text, chr(10)) then substr(part.text, strpos(part.text, chr(10)) + 1) else '' end as body
    from {{ contents }} as m,
         unnest(regexp_split_to_array(chr(10) || coalesce(m.content, ''), '\n[ \t]*\[')) as part(text)
    where regexp_matches(m.path, '(?i)(^|/)(cargo|pyproject)\.toml$')
),

manifest_declarations as (
    -- requirements*.txt: one requirement per line; options (-r, -e, --hash) are skipped
    select m.repository, m.path, m.sha, m.committed_at, m.on_default_branch, m.ecosystem,
           {{ pep503(pep508_name('req.line')) }} as package,
           {{ pep508_spec('req.line') }} as version_spec,
           'runtime' as dependency_type
    from {{ contents }} as m,
         unnest(string_split(regexp_replace(coalesce(m.content, ''), '(?m)(^|[ \t])#.*$', '', 'g'), chr(10))) as req(line)
    where m.ecosystem = 'pip' and regexp_matches(m.path, '(?i)(^|/)requirements[^/]*\.txt$')
      and {{ is_pep508('req.line') }}

    union all
    -- package.json: dependencies (runtime) and devDependencies (dev)
    select m.repository, m.path, m.sha, m.committed_at, m.on_default_branch, m.ecosystem,
           dep.entry.key, dep.entry.value, 'runtime'
    from {{ contents }} as m,
         unnest(map_entries(try_cast(json_extract(case when json_valid(m.content) then m.content end, '$.dependencies') as map(varchar, varchar)))) as dep(entry)
    where m.ecosystem = 'npm'
    union all
    select m.repository, m.path, m.sha, m.committed_at, m.on_default_branch, m.ecosystem,
           dep.entry.key, dep.entry.value, 'dev'
    from {{ contents }} as m,
         unnest(map_entries(try_cast(json_extract(case when json_valid(m.content) then m.content end, '$.devDependencies') as map(varchar, varchar)))) as dep(entry)
    where m.ecosystem = 'npm'

    union all
    -- go.mod: `require` lines and `require ( ... )` blocks; `// indirect` requirements are left out
    select m.repository, m.path, m.sha, m.committed_at, m.on_default_branch, m.ecosystem,
           regexp_extract(req.line, '^[ \t]*(require[ \t]+)?([^ \t/(][^ \t]*)[ \t]+(v[^ \t]+)', 2),
           regexp_extract(req.line, '^[ \t]*(require[ \t]+)?([^ \t/(][^ \t]*)[ \t]+(v[^ \t]+)', 3),
           'runtime'
    from {{ contents }} as m,
         unnest(string_split(regexp_replace(coalesce(m.content, ''), '(?s)\brequire[ \t]*\(([^)]*)\)', '\1', 'g'), chr(10))) as req(line)
    where m.ecosystem = 'go'
      and regexp_matches(req.line, '^[ \t]*(require[ \t]+)?[^ \t/(][^ \t]*[ \t]+v[0-9]')
      and not regexp_matches(req.line, '^[ \t]*(module|go|toolchain|replace|exclude|retract)[ \t]')
      and not regexp_matches(req.line, '//[ \t]*indirect')

    union all
    -- TOML `name = value` dependency tables: Cargo [dependencies], [dev-dependencies],
    -- [build-dependencies], [workspace.dependencies], [target.*.dependencies];
    -- Poetry [tool.poetry.dependencies], [tool.poetry.group.*.dependencies]
    select s.repository, s.path, s.sha, s.committed_at, s.on_default_branch, s.ecosystem,
           regexp_extract(kv.line, '^[ \t]*["'']?([A-Za-z0-9_.-]+)', 1),
           {{ toml_table_version("regexp_extract(kv.line, '=[ \t]*(.*)$', 1)") }},
           case when regexp_matches(s.section, '(dev|test|group\.[^.]+)\.?-?dependencies$') then 'dev'
                when regexp_matches(s.section, 'build-dependencies$') then 'build'
                else 'runtime' end
    from manifest_toml_sections as s,
         unnest(string_split(s.body, chr(10))) as kv(line)
    where regexp_matches(s.section, '^(.*\.)?(dependencies|dev-dependencies|build-dependencies)$')
      and regexp_matches(kv.line, '^[ \t]*["'']?[A-Za-z0-9_.-]+["'']?[ \t]*=')
      and not regexp_matches(kv.line, '^[ \t]*python[ \t]*=')

    union all
    -- TOML [dependencies.<name>] sub-tables with a `version` key
    select s.repository, s.path, s.sha, s.committed_at, s.on_default_branch, s.ecosystem,
           regexp_extract(s.section, '\.([A-Za-z0-9_-]+)$', 1),
           nullif(regexp_extract(s.body, '(?m)^[ \t]*version[ \t]*=[ \t]*["'']([^"'']*)', 1), ''),
           case when regexp_matches(s.section, '^(.*\.)?dev-dependencies\.') then 'dev'
                when regexp_matches(s.section, '^(.*\.)?build-dependencies\.') then 'build'
                else 'runtime' end
    from manifest_toml_sections as s
    where regexp_matches(s.section, '^(.*\.)?(dependencies|dev-dependencies|build-dependencies)\.[A-Za-z0-9_-]+$')

    union all
    -- pyproject.toml: PEP 621 [project] dependencies = [...] (runtime); every array of
    -- [project.optional-dependencies] (optional) and PEP 735 [dependency-groups] (dev)
    select s.repository, s.path, s.sha, s.committed_at, s.on_default_branch, s.ecosystem,
           {{ pep508_name('req.quoted[2:-2]') }}, {{ pep508_spec('req.quoted[2:-2]') }},
           case when s.section = 'project' then 'runtime'
                when s.section = 'dependency-groups' then 'dev' else 'optional' end
    from manifest_toml_sections as s,
         unnest(case when s.section = 'project'
                     then [regexp_extract(s.body, '(?s)(^|\n)[ \t]*dependencies[ \t]*=[ \t]*\[((?:[^\]"'']|"[^"]*"|''[^'']*'')*)\]', 2)]
                     else regexp_extract_all(s.body, '=[ \t]*\[((?:[^\]"'']|"[^"]*"|''[^'']*'')*)\]', 1) end) as arr(text),
         unnest(regexp_extract_all(arr.text, '"[^"]*"|''[^'']*''', 0)) as req(quoted)
    where s.ecosystem = 'pip' and s.section in ('project', 'project.optional-dependencies', 'dependency-groups')
      and {{ is_pep508('req.quoted[2:-2]') }}
),

manifest_dependencies as (
    select repository, path, sha, committed_at, on_default_branch, ecosystem,
           case when ecosystem = 'pip' then {{ pep503('package') }}
                when ecosystem = 'cargo' then lower(package) else package end as package,
           nullif(trim(version_spec), '') as version_spec,
           dependency_type
    from manifest_declarations
    where package is not null and package <> ''
)
{%- endmacro %}

{% macro analyzer_days(ts) -%}
{#- Days (fractional) from 2000-01-01 00:00 UTC: the time axis of the decayed sums. -#}
((epoch(cast({{ ts }} as timestamp)) - 946684800) / 86400.0)
{%- endmacro %}

{% macro is_framework(package) -%}
{#- Packages that are application or test frameworks rather than libraries (a short, documented list). -#}
lower({{ package }}) in (
    'django', 'flask', 'fastapi', 'starlette', 'tornado', 'pyramid', 'pytest', 'celery', 'airflow', 'dagster', 'dbt-core',
    'react', 'react-dom', 'next', 'vue', 'nuxt', '@angular/core', 'svelte', '@sveltejs/kit', 'express', '@nestjs/core',
    'koa', 'fastify', 'jest', 'mocha', 'vitest', 'react-native', 'electron',
    'github.com/gin-gonic/gin', 'github.com/labstack/echo/v4', 'github.com/gofiber/fiber/v2', 'google.golang.org/grpc',
    'github.com/stretchr/testify', 'github.com/spf13/cobra',
    'tokio', 'actix-web', 'axum', 'rocket', 'warp', 'tauri', 'bevy')
{%- endmacro %}

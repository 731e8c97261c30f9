/* ---
description: >
  PR complexity per pull request (METRICS.md §7), for the human-authored
  PRs opened in the period: a level from its size and files (trivial: at
  most 10 changed lines in at most one file; simple: <= 50 lines; moderate:
  <= 250; complex: <= 1000; critical: > 1000 lines, or touching migrations,
  auth or security paths) and categories from its title prefix, labels and
  paths. Rules: docs/metrics.md "PR complexity".
kind: period
serve: true
grain: one row per (workspace_id, period_type, period_start, repository, number) of a human PR created in the period
unique_key: [workspace_id, period_type, period_start, repository, number]
columns:
  lines_changed: additions + deletions of the PR (the sum over its files when GitHub's totals are missing)
  files_changed: changed_files of the PR (the number of its listed files when missing)
  complexity_level: trivial | simple | moderate | complex | critical
  complexity_score: 1 (trivial) to 5 (critical)
  touches_critical_paths: a file under migrations/, or a path segment naming auth, security, crypto, secrets, permissions, acl or rbac
  primary_category: from the title (Conventional Commits type or keywords), else the labels, else the paths, else feature
  categories: every category the title, labels and paths give (feature, bugfix, refactor, documentation, infrastructure, configuration, dependency, test, security, performance)
  layers: the layers of its files (frontend, backend, database, infrastructure, configuration, dependencies, tests, docs)
  components: the first directory of each file after a generic source root (src/, lib/, internal/, ...)
  cross_cutting: files in at least two of the frontend, backend, database and infrastructure layers
  review_effort: counted reviews plus counted inline review comments the PR received
checks:
  non_negative: [lines_changed, files_changed, review_effort]
--- */
with

pull_requests as (select * from {{ ref('stg_pull_requests') }}),
pull_request_files as (select * from {{ source('raw', 'pull_request_files') }}),
reviews as (select * from {{ ref('stg_reviews') }}),
review_comments as (select * from {{ ref('stg_review_comments') }}),
periods as (select * from {{ periods() }}),

opened as (
    select *, {{ period_start_of('created_at') }} as period_start, {{ commit_subject('title') }} as subject
    from pull_requests
    where author_is_human and created_at >= {{ period_start }} and created_at < {{ period_end }}
),

file_flags as (
    -- each path rule evaluated once per file
    select
        opened.workspace_id, opened.repository, opened.number,
        pull_request_files.path,
        coalesce(pull_request_files.additions, 0) + coalesce(pull_request_files.deletions, 0) as file_lines,
        {{ path_component('pull_request_files.path') }} as component,
        {{ is_migration_path('pull_request_files.path') }} as migration_file,
        {{ is_security_path('pull_request_files.path') }} as security_file,
        {{ is_dependency_file('pull_request_files.path') }} as dependency_file,
        {{ is_doc_like_path('pull_request_files.path') }} as doc_like,
        {{ is_test_path('pull_request_files.path') }} as test_file,
        {{ is_infrastructure_path('pull_request_files.path') }} as infrastructure_file,
        {{ is_config_path('pull_request_files.path') }} as config_file,
        {{ is_performance_path('pull_request_files.path') }} as performance_file,
        {{ is_sql_path('pull_request_files.path') }} as sql_file,
        {{ is_frontend_path('pull_request_files.path') }} as frontend_file
    from opened
    join pull_request_files
        on pull_request_files.repository = opened.repository and pull_request_files.pr_number = opened.number
),

files as (
    -- the layer of a file: the first rule that matches
    select
        *,
        doc_like and not dependency_file as doc_file,
        migration_file or security_file as critical_path,
        {{ layer_of('doc_like', 'test_file', 'dependency_file', 'infrastructure_file', 'migration_file', 'sql_file',
                    'frontend_file', 'config_file') }} as layer
    from file_flags
),

file_facts as (
    select
        workspace_id, repository, number,
        count(*) as n_files,
        sum(file_lines) as file_lines,
        bool_or(critical_path) as touches_critical_paths,
        list(distinct layer) as layer_set,
        list_sort(list(distinct component)) as components,
        list_filter(['security', 'dependency', 'infrastructure', 'configuration', 'documentation', 'test', 'performance'],
                    lambda c: (c = 'security' and bool_or(security_file))
                           or (c = 'dependency' and bool_or(dependency_file))
                           or (c = 'infrastructure' and bool_or(infrastructure_file))
                           or (c = 'configuration' and bool_or(config_file and not dependency_file and not infrastructure_file))
                           or (c = 'documentation' and bool_and(doc_file))
                           or (c = 'test' and bool_and(test_file))
                           or (c = 'performance' and bool_or(performance_file))) as path_categories
    from files
    group by 1, 2, 3
),

effort as (
    select workspace_id, repository, pr_number, count(*) as n
    from (
        select workspace_id, repository, pr_number from reviews
        union all
        select workspace_id, repository, pr_number from review_comments
    ) as feedback
    group by 1, 2, 3
),

facts as (
    select
        opened.workspace_id,
        opened.period_start,
        opened.repository,
        opened.number,
        opened.author_id,
        opened.title,
        opened.created_at,
        opened.merged_at,
        case when opened.additions is null and opened.deletions is null then coalesce(file_facts.file_lines, 0)
             else coalesce(opened.additions, 0) + coalesce(opened.deletions, 0) end as lines_changed,
        coalesce(opened.changed_files, file_facts.n_files, 0) as files_changed,
        coalesce(file_facts.touches_critical_paths, false) as touches_critical_paths,
        {{ category_of_type(commit_type('opened.subject'), 'opened.subject') }} as title_category,
        list_filter(['security', 'bugfix', 'feature', 'performance', 'refactor', 'dependency', 'infrastructure',
                     'configuration', 'documentation', 'test'],
                    lambda c: list_contains(list_transform(coalesce(opened.labels, []), lambda l: {{ category_of_label('l') }}), c))
            as label_categories,
        coalesce(file_facts.path_categories, []) as path_categories,
        list_filter(['frontend', 'backend', 'database', 'infrastructure', 'configuration', 'dependencies', 'tests', 'docs'],
                    lambda x: list_contains(coalesce(file_facts.layer_set, []), x)) as layers,
        coalesce(file_facts.components, []) as components,
        coalesce(effort.n, 0) as review_effort
    from opened
    left join file_facts
        on file_facts.workspace_id = opened.workspace_id and file_facts.repository = opened.repository
       and file_facts.number = opened.number
    left join effort
        on effort.workspace_id = opened.workspace_id and effort.repository = opened.repository
       and effort.pr_number = opened.number
),

classified as (
    select
        *,
        case when lines_changed > 1000 or touches_critical_paths then 'critical'
             when lines_changed <= 10 and files_changed <= 1 then 'trivial'
             when lines_changed <= 50 then 'simple'
             when lines_changed <= 250 then 'moderate'
             else 'complex' end as complexity_level,
        coalesce(title_category, label_categories[1], path_categories[1], 'feature') as primary_category,
        list_filter(['feature', 'bugfix', 'refactor', 'documentation', 'infrastructure', 'configuration', 'dependency',
                     'test', 'security', 'performance'],
                    lambda c: c = title_category or list_contains(label_categories, c) or list_contains(path_categories, c))
            as found_categories
    from facts
),

final as (
    select
        classified.workspace_id,
        '{{ period_type }}' as period_type,
        classified.period_start,
        periods.period_end,
        classified.repository,
        classified.number,
        classified.author_id,
        classified.title,
        classified.created_at,
        classified.merged_at,
        classified.lines_changed,
        classified.files_changed,
        classified.complexity_level,
        case classified.complexity_level when 'trivial' then 1 when 'simple' then 2 when 'moderate' then 3
             when 'complex' then 4 else 5 end as complexity_score,
        classified.touches_critical_paths,
        classified.primary_category,
        case when len(classified.found_categories) = 0 then ['feature'] else classified.found_categories end as categories,
        classified.layers,
        classified.components,
        len(list_filter(classified.layers, lambda x: x in ('frontend', 'backend', 'database', 'infrastructure'))) >= 2
            as cross_cutting,
        classified.review_effort
    from classified
    join periods on periods.period_start = classified.period_start
)

select * from final

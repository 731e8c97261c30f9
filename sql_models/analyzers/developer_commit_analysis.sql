/* ---
description: >
  Commit analyzer per developer and period (METRICS.md §7): every counted
  commit of the period gets a type from its subject (Conventional Commits,
  else keyword rules, else `other`), its scope tags, a breaking flag and a
  quality score in [0, 1]; per developer the type distribution, the top
  scopes, the average quality score and the breaking changes. Rules and
  weights: docs/metrics.md "Commit analyzer".
kind: period
serve: true
grain: one row per (workspace_id, developer_id, period_type, period_start) with counted commits
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  commits_analyzed: counted commits authored in the period
  n_feat: commits typed feat (likewise n_fix ... n_revert; n_other for commits no rule types)
  conventional_count: commits whose subject follows Conventional Commits
  top_tags: up to five scopes, most frequent first (ties by name), as [{tag, count}]
  average_quality_score: mean quality score (0.4 conventional prefix + 0.3 subject of 10-72 characters + 0.3 a body on commits over 100 changed lines, free below)
  breaking_changes_count: commits with '!' before the colon or 'BREAKING CHANGE' in the message
checks:
  non_negative: [commits_analyzed, conventional_count, breaking_changes_count]
  ratios: [average_quality_score]
  equal:
    commits_analyzed: n_feat + n_fix + n_refactor + n_chore + n_docs + n_test + n_style + n_perf + n_build + n_ci + n_revert + n_other
--- */
{% set types = ['feat', 'fix', 'refactor', 'chore', 'docs', 'test', 'style', 'perf', 'build', 'ci', 'revert', 'other'] %}
with

commits as (select * from {{ ref('stg_commits') }}),

in_period as (
    select
        workspace_id,
        developer_id,
        sha,
        {{ period_start_of('authored_at') }} as period_start,
        additions + deletions as lines_changed,
        message,
        {{ commit_subject('message') }} as subject,
        {{ commit_body('message') }} as body
    from commits
    where is_counted and authored_at >= {{ period_start }} and authored_at < {{ period_end }}
),

classified as (
    select
        *,
        {{ commit_type('subject') }} as commit_type,
        {{ is_conventional('subject') }} as is_conventional,
        {{ is_breaking('subject', 'message') }} as is_breaking,
        {{ commit_scope('subject') }} as scope,
        -- quality in whole points (exact sums): 40 conventional prefix, 30 subject
        -- of 10-72 characters, 30 a body where the commit changes over 100 lines
        (case when {{ is_conventional('subject') }} then 40 else 0 end)
        + (case when length(subject) between 10 and 72 then 30 else 0 end)
        + (case when lines_changed <= 100 or body <> '' then 30 else 0 end) as quality_points
    from in_period
),

tags as (
    select workspace_id, developer_id, period_start, tag, count(*) as n
    from (
        select workspace_id, developer_id, period_start, trim(unnest(string_split(scope, ','))) as tag
        from classified
        where scope <> ''
    ) as scopes
    where tag <> ''
    group by 1, 2, 3, 4
),

top_tags as (
    select workspace_id, developer_id, period_start,
           list(struct_pack(tag := tag, count := n) order by n desc, tag)[1:5] as top_tags
    from tags
    group by 1, 2, 3
),

per_developer as (
    select
        workspace_id,
        developer_id,
        period_start,
        count(*) as commits_analyzed,
        {% for t in types %}
        count(*) filter (where commit_type = '{{ t }}') as n_{{ t }},
        {% endfor %}
        count(*) filter (where is_conventional) as conventional_count,
        count(*) filter (where is_breaking) as breaking_changes_count,
        sum(quality_points) as quality_points
    from classified
    group by 1, 2, 3
),

final as (
    select
        per_developer.workspace_id,
        per_developer.developer_id,
        '{{ period_type }}' as period_type,
        per_developer.period_start,
        periods.period_end,
        per_developer.commits_analyzed,
        {% for t in types %}
        per_developer.n_{{ t }},
        {% endfor %}
        per_developer.conventional_count,
        coalesce(top_tags.top_tags, []) as top_tags,
        {{ safe_div('per_developer.quality_points', '100 * per_developer.commits_analyzed') }} as average_quality_score,
        per_developer.breaking_changes_count
    from per_developer
    join {{ periods() }} as periods on periods.period_start = per_developer.period_start
    left join top_tags
        on top_tags.workspace_id = per_developer.workspace_id
       and top_tags.developer_id = per_developer.developer_id
       and top_tags.period_start = per_developer.period_start
)

select * from final

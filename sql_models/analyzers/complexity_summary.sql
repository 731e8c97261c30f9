/* ---
description: >
  PR complexity rolled up per developer (the PRs they opened in the
  period), per team (its members' PRs, a PR of a member of two teams counts
  in both) and for the workspace (every human PR), as the product spec's
  complexity profile: the level distribution, the main categories,
  components and layers, and the ratios below. Sums and counts of the PRs,
  never averages of averages.
kind: period
serve: true
grain: one row per (workspace_id, group_type, group_id, period_type, period_start) with PRs, plus every team and the workspace in every period
unique_key: [workspace_id, group_type, group_id, period_type, period_start]
columns:
  group_type: developer | team | workspace
  total_prs_analyzed: PRs opened in the period by the group
  primary_categories: "[{category, count}] of the PRs' primary categories, most frequent first (ties by name)"
  common_components: "[{component, count}] the five components touched by the most PRs"
  common_layers: "[{layer, count}] every layer, by the number of PRs touching it"
  avg_files_per_pr: files changed / PRs
  avg_lines_per_pr: lines changed / PRs
  avg_complexity_score: mean complexity score (1 trivial .. 5 critical)
  cross_cutting_ratio: share of PRs that are cross-cutting
  infrastructure_ratio: share of PRs with the infrastructure category
  handles_critical_changes: at least one critical PR
  avg_review_effort: counted reviews + inline comments received / PRs
checks:
  non_negative: [total_prs_analyzed, trivial_count, simple_count, moderate_count, complex_count, critical_count,
                 avg_files_per_pr, avg_lines_per_pr, avg_complexity_score, avg_review_effort]
  ratios: [cross_cutting_ratio, infrastructure_ratio]
  equal:
    total_prs_analyzed: trivial_count + simple_count + moderate_count + complex_count + critical_count
--- */
with

prs as (select * from {{ ref('pr_complexity') }}),
teams as (select * from {{ ref('stg_teams') }}),
team_members as (select * from {{ ref('stg_team_members') }}),
workspaces as (select * from {{ source('config', 'workspaces') }}),
periods as (select * from {{ periods() }}),

group_prs as (
    select prs.workspace_id, 'developer' as group_type, prs.author_id as group_id, prs.* exclude (workspace_id)
    from prs
    union all
    select prs.workspace_id, 'team', team_members.team_id, prs.* exclude (workspace_id)
    from prs
    join team_members on team_members.workspace_id = prs.workspace_id and team_members.developer_id = prs.author_id
    union all
    select prs.workspace_id, 'workspace', prs.workspace_id, prs.* exclude (workspace_id)
    from prs
),

groups as (
    select distinct workspace_id, group_type, group_id, period_start, period_end from group_prs
    union
    select * from ({{ group_periods('teams', 'workspaces', 'periods') }})
),

sums as (
    select
        workspace_id, group_type, group_id, period_start,
        count(*) as total_prs_analyzed,
        count(*) filter (where complexity_level = 'trivial') as trivial_count,
        count(*) filter (where complexity_level = 'simple') as simple_count,
        count(*) filter (where complexity_level = 'moderate') as moderate_count,
        count(*) filter (where complexity_level = 'complex') as complex_count,
        count(*) filter (where complexity_level = 'critical') as critical_count,
        sum(files_changed) as sum_files,
        sum(lines_changed) as sum_lines,
        sum(complexity_score) as sum_complexity_score,
        count(*) filter (where cross_cutting) as cross_cutting_prs,
        count(*) filter (where list_contains(categories, 'infrastructure')) as infrastructure_prs,
        sum(review_effort) as sum_review_effort
    from group_prs
    group by 1, 2, 3, 4
),

category_counts as (
    select workspace_id, group_type, group_id, period_start,
           list(struct_pack(category := primary_category, count := n) order by n desc, primary_category) as primary_categories
    from (select workspace_id, group_type, group_id, period_start, primary_category, count(*) as n
          from group_prs group by 1, 2, 3, 4, 5) as counted
    group by 1, 2, 3, 4
),

component_counts as (
    select workspace_id, group_type, group_id, period_start,
           list(struct_pack(component := component, count := n) order by n desc, component)[1:5] as common_components
    from (select workspace_id, group_type, group_id, period_start, component, count(*) as n
          from (select workspace_id, group_type, group_id, period_start, unnest(components) as component from group_prs) as c
          group by 1, 2, 3, 4, 5) as counted
    group by 1, 2, 3, 4
),

layer_counts as (
    select workspace_id, group_type, group_id, period_start,
           list(struct_pack(layer := layer, count := n) order by n desc, layer) as common_layers
    from (select workspace_id, group_type, group_id, period_start, layer, count(*) as n
          from (select workspace_id, group_type, group_id, period_start, unnest(layers) as layer from group_prs) as l
          group by 1, 2, 3, 4, 5) as counted
    group by 1, 2, 3, 4
),

final as (
    select
        groups.workspace_id,
        groups.group_type,
        groups.group_id,
        '{{ period_type }}' as period_type,
        groups.period_start,
        groups.period_end,
        coalesce(sums.total_prs_analyzed, 0) as total_prs_analyzed,
        coalesce(sums.trivial_count, 0) as trivial_count,
        coalesce(sums.simple_count, 0) as simple_count,
        coalesce(sums.moderate_count, 0) as moderate_count,
        coalesce(sums.complex_count, 0) as complex_count,
        coalesce(sums.critical_count, 0) as critical_count,
        coalesce(category_counts.primary_categories, []) as primary_categories,
        coalesce(component_counts.common_components, []) as common_components,
        coalesce(layer_counts.common_layers, []) as common_layers,
        {{ safe_div('sums.sum_files', 'sums.total_prs_analyzed') }} as avg_files_per_pr,
        {{ safe_div('sums.sum_lines', 'sums.total_prs_analyzed') }} as avg_lines_per_pr,
        {{ safe_div('sums.sum_complexity_score', 'sums.total_prs_analyzed') }} as avg_complexity_score,
        {{ safe_div('sums.cross_cutting_prs', 'sums.total_prs_analyzed') }} as cross_cutting_ratio,
        {{ safe_div('sums.infrastructure_prs', 'sums.total_prs_analyzed') }} as infrastructure_ratio,
        coalesce(sums.critical_count, 0) > 0 as handles_critical_changes,
        {{ safe_div('sums.sum_review_effort', 'sums.total_prs_analyzed') }} as avg_review_effort
    from groups
    left join sums
        on sums.workspace_id = groups.workspace_id and sums.group_type = groups.group_type
       and sums.group_id = groups.group_id and sums.period_start = groups.period_start
    left join category_counts
        on category_counts.workspace_id = groups.workspace_id and category_counts.group_type = groups.group_type
       and category_counts.group_id = groups.group_id and category_counts.period_start = groups.period_start
    left join component_counts
        on component_counts.workspace_id = groups.workspace_id and component_counts.group_type = groups.group_type
       and component_counts.group_id = groups.group_id and component_counts.period_start = groups.period_start
    left join layer_counts
        on layer_counts.workspace_id = groups.workspace_id and layer_counts.group_type = groups.group_type
       and layer_counts.group_id = groups.group_id and layer_counts.period_start = groups.period_start
)

select * from final

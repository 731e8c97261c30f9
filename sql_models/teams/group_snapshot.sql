/* ---
description: >
  Team and workspace snapshots (METRICS.md §6, §8.12, §8.13). A group is a
  team (its configured members, every period, inactive members included) or
  the workspace (every developer with a row in the period). Velocity counts
  are sums over the members; every ratio and mean is recomputed from the
  members' pooled sums (the same formulas as the developer models, via the
  category macros), never averaged. Per-person notions (streaks, active
  hours, focus, unique collaborators) are not rolled up.
kind: period
serve: true
grain: one row per (workspace_id, group_type, group_id, period_type, period_start)
unique_key: [workspace_id, group_type, group_id, period_type, period_start]
columns:
  group_type: team | workspace
  group_id: the team id, or the workspace id for the workspace row
  member_count: configured non-bot members (team), or developers with a row (workspace)
  active_member_count: members with an activity event in the period
  commit_frequency: commits_count / working days of the workspace default calendar in the period (at least 1)
  workload_gini: population Gini of commits_count + prs_merged + review_given_count over all members (0 = even)
checks:
  non_negative: [member_count, active_member_count, commits_count, prs_merged, lines_added, lines_removed,
                 commit_frequency, pr_throughput, avg_commit_size, review_given_count, review_received_count]
  ratios: [workload_gini, pr_merge_rate, rework_ratio, review_participation_rate, self_merge_rate,
           weekend_commit_ratio, late_night_commit_ratio, cross_team_pr_ratio, knowledge_sharing_score]
  equal:
    net_lines: lines_added - lines_removed
  reconcile:
    team_counts_equal_member_sums: |
      with members as (
          select t.workspace_id, t.team_id, developer_snapshot.period_start,
                 sum(commits_count) as commits_count, sum(prs_merged) as prs_merged,
                 sum(lines_added) as lines_added, sum(lines_removed) as lines_removed
          from {{ ref('stg_team_members') }} t
          join {{ ref('developer_snapshot') }}
            on developer_snapshot.workspace_id = t.workspace_id and developer_snapshot.developer_id = t.developer_id
          group by 1, 2, 3
      )
      select g.* from {{ this }} g
      left join members m
        on m.workspace_id = g.workspace_id and m.team_id = g.group_id and m.period_start = g.period_start
      where g.group_type = 'team'
        and (g.commits_count, g.prs_merged, g.lines_added, g.lines_removed) is distinct from
            (coalesce(m.commits_count, 0), coalesce(m.prs_merged, 0), coalesce(m.lines_added, 0),
             coalesce(m.lines_removed, 0))
--- */
{#- the members' counts and sums every group figure is pooled from -#}
{%- set pooled_sums = ['n_merged_prs', 'sum_cycle_seconds', 'n_reviewed_merged_prs', 'sum_first_review_seconds',
                       'sum_pr_size', 'n_merged_prs_with_commits', 'sum_first_commit_to_merge_seconds',
                       'n_merged_pr_commits', 'n_rework_commits', 'n_closed_prs', 'n_closed_prs_merged',
                       'n_participation_prs', 'n_participated_prs', 'n_review_comments_given',
                       'review_given_count', 'n_turnaround_prs', 'sum_turnaround_seconds', 'n_self_merged_prs',
                       'n_weekend_commits', 'n_late_night_commits', 'n_reviewed_prs',
                       'n_cross_team_reviewed_prs', 'review_received_count'] %}
with

developer_snapshot as (select * from {{ ref('developer_snapshot') }}),
teams as (select * from {{ ref('stg_teams') }}),
team_members as (select * from {{ ref('stg_team_members') }}),
workspaces as (select * from {{ source('config', 'workspaces') }}),
periods as (select * from {{ periods() }}),

developer_sums as (
    -- each developer's counts and sums in each period, as the developer snapshot computed them
    select
        workspace_id, developer_id, period_start, is_active,
        commits_count, prs_merged, lines_added, lines_removed,
        {% for column in pooled_sums -%}
        {{ column }},
        {% endfor -%}
        -- the workload whose spread across members workload_gini measures (METRICS.md §6)
        commits_count + prs_merged + review_given_count as workload
    from developer_snapshot
),

member_sums as (
    -- a team's members are its configured members, who have a developer row in every
    -- period (developer_snapshot), active or not; the workspace's are every developer with a row
    select team_members.workspace_id, 'team' as group_type, team_members.team_id as group_id, developer_sums.* exclude (workspace_id)
    from team_members
    join developer_sums
        on developer_sums.workspace_id = team_members.workspace_id
       and developer_sums.developer_id = team_members.developer_id
    union all
    select workspace_id, 'workspace', workspace_id, developer_sums.* exclude (workspace_id)
    from developer_sums
),

group_spine as (
    -- every team and the workspace have a row in every period, members or not
    {{ group_periods('teams', 'workspaces', 'periods') }}
),

pooled as (
    select
        group_spine.workspace_id, group_spine.group_type, group_spine.group_id,
        group_spine.period_start, group_spine.period_end,
        count(member_sums.developer_id) as member_count,
        count(*) filter (where member_sums.is_active) as active_member_count,
        cast(coalesce(sum(member_sums.commits_count), 0) as bigint) as commits_count,
        cast(coalesce(sum(member_sums.prs_merged), 0) as bigint) as prs_merged,
        cast(coalesce(sum(member_sums.lines_added), 0) as bigint) as lines_added,
        cast(coalesce(sum(member_sums.lines_removed), 0) as bigint) as lines_removed,
        {% for column in pooled_sums -%}
        coalesce(sum(member_sums.{{ column }}), 0) as {{ column }},
        {% endfor -%}
        sum(member_sums.workload) as workload,
        list(member_sums.workload) as workloads
    from group_spine
    left join member_sums using (workspace_id, group_type, group_id, period_start)
    group by 1, 2, 3, 4, 5
),

default_working_days as (
    select
        workspaces.workspace_id,
        periods.period_start,
        count(*) filter (where list_contains(workspaces.working_days, {{ weekday_name('day') }})) as working_days_in_period
    from workspaces
    cross join periods
    cross join lateral (
        select cast(unnest(generate_series(periods.period_start, periods.period_end - interval 1 day, interval 1 day)) as date) as day
    ) as days
    group by 1, 2
),

final as (
    select
        pooled.workspace_id,
        pooled.group_type,
        pooled.group_id,
        '{{ period_type }}' as period_type,
        pooled.period_start,
        pooled.period_end,
        pooled.member_count,
        pooled.active_member_count,
        -- population Gini from the sorted values: (2 * sum(i * x_i)) / (n * sum(x)) - (n + 1) / n
        case when pooled.member_count <= 1 or coalesce(pooled.workload, 0) = 0 then 0.0
             else greatest(0.0, 2.0 * list_sum(list_transform(list_sort(pooled.workloads), lambda x, i: i * x))
                                / (pooled.member_count * pooled.workload)
                                - (pooled.member_count + 1.0) / pooled.member_count)
        end as workload_gini,
        {{ velocity_from_sums('default_working_days.working_days_in_period', "date_diff('day', pooled.period_start, pooled.period_end)") }},
        {{ efficiency_from_sums() }},
        {{ quality_from_sums() }},
        {{ sustainability_ratios_from_sums() }},
        {{ collaboration_ratios_from_sums() }}
    from pooled
    left join default_working_days using (workspace_id, period_start)
)

select * from final

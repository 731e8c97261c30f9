/* ---
description: >
  Velocity per developer and period (METRICS.md §1): counted commits, merged
  PRs, lines, and the rates derived from them.
kind: ephemeral
grain: one row per (workspace_id, developer_id, period_type, period_start)
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  commits_count: counted commits (non-merge, human, de-duplicated by SHA) authored in the period
  prs_merged: PRs authored by the developer with merged_at in the period
  lines_added: sum of additions of the counted commits
  lines_removed: sum of deletions of the counted commits
  net_lines: lines_added - lines_removed
  commit_frequency: commits_count / max(working_days_in_period, 1)
  pr_throughput: prs_merged per week, prs_merged / (period_days / 7)
  avg_commit_size: (lines_added + lines_removed) / commits_count, 0 without commits
--- */
with

periods as (select * from {{ periods() }}),
developer_periods as (select * from {{ ref('developer_periods') }}),
pull_requests as (select * from {{ ref('stg_pull_requests') }}),
settings as (select * from {{ ref('stg_developer_settings') }}),

merged_prs as (
    select workspace_id, author_id as developer_id, {{ period_start_of('merged_at') }} as period_start, count(*) as prs_merged
    from pull_requests
    where author_is_human and merged_at >= {{ period_start }} and merged_at < {{ period_end }}
    group by 1, 2, 3
),

schedule_working_days as (
    -- UTC calendar dates in the period whose weekday is a working day, per
    -- distinct working-day set (METRICS.md §0)
    select
        schedules.working_days,
        periods.period_start,
        count(*) filter (where list_contains(schedules.working_days, {{ weekday_name('day') }})) as working_days_in_period
    from periods
    cross join (select distinct working_days from settings) as schedules
    cross join lateral (
        select cast(unnest(generate_series(periods.period_start, periods.period_end - interval 1 day, interval 1 day)) as date) as day
    ) as days
    group by 1, 2
),

working_days as (
    -- each developer's working days in each period
    select settings.workspace_id, settings.developer_id, schedule_working_days.period_start,
           schedule_working_days.working_days_in_period
    from settings
    join schedule_working_days on schedule_working_days.working_days = settings.working_days
),

sums as (
    select
        -- the spine, with the period's day-grain sums (developer_periods.sql)
        developer_periods.*,
        coalesce(merged_prs.prs_merged, 0) as prs_merged,
        working_days.working_days_in_period,
        date_diff('day', developer_periods.period_start, developer_periods.period_end) as period_days
    from developer_periods
    left join merged_prs using (workspace_id, developer_id, period_start)
    left join working_days using (workspace_id, developer_id, period_start)
),

final as (
    select
        workspace_id, developer_id, period_type, period_start, period_end,
        {{ velocity_from_sums('working_days_in_period', 'period_days') }}
    from sums
)

select * from final

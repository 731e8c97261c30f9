/* ---
description: >
  The row spine of every developer snapshot (METRICS.md §0, §8.7): a
  developer has a row for a period when they had an activity event in it,
  received a counted review in it, or are a configured member of one of the
  workspace's teams.
kind: period
grain: one row per (workspace_id, developer_id, period_type, period_start)
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  period_end: exclusive end of the period (UTC midnight)
  is_active: the developer had an activity event (METRICS.md §8.6) in the period
--- */
with

periods as (select * from {{ periods() }}),
developer_days as (select * from {{ ref('stg_developer_days') }}),
team_members as (select * from {{ ref('stg_team_members') }}),

active_or_reviewed as (
    -- the developer's days with an activity event or a counted review received
    select workspace_id, developer_id, {{ period_start_of('day') }} as period_start, bool_or(is_active) as is_active
    from developer_days
    where day >= {{ period_start }} and day < {{ period_end }}
      and (is_active or review_received_count > 0)
    group by 1, 2, 3
),

members as (
    select distinct team_members.workspace_id, team_members.developer_id, periods.period_start
    from team_members
    cross join periods
),

final as (
    select
        workspace_id,
        developer_id,
        '{{ period_type }}' as period_type,
        period_start,
        periods.period_end,
        coalesce(active_or_reviewed.is_active, false) as is_active
    from active_or_reviewed
    full join members using (workspace_id, developer_id, period_start)
    join periods using (period_start)
)

select * from final

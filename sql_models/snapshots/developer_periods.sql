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
activity_events as (select * from {{ ref('stg_activity_events') }}),
reviews as (select * from {{ ref('stg_reviews') }}),
team_members as (select * from {{ ref('stg_team_members') }}),

active as (
    select distinct workspace_id, developer_id, {{ period_start_of('event_at') }} as period_start
    from activity_events
    where event_at >= {{ period_start }} and event_at < {{ period_end }}
),

reviewed as (
    select workspace_id, pr_author_id as developer_id, {{ period_start_of('submitted_at') }} as period_start
    from reviews
    where submitted_at >= {{ period_start }} and submitted_at < {{ period_end }}
),

members as (
    select distinct team_members.workspace_id, team_members.developer_id, periods.period_start
    from team_members
    cross join periods
),

final as (
    select
        spine.workspace_id,
        spine.developer_id,
        '{{ period_type }}' as period_type,
        spine.period_start,
        periods.period_end,
        active.developer_id is not null as is_active
    from (select * from active union select * from reviewed union select * from members) as spine
    join periods on periods.period_start = spine.period_start
    left join active
        on active.workspace_id = spine.workspace_id
       and active.developer_id = spine.developer_id
       and active.period_start = spine.period_start
)

select * from final

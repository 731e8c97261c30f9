/* ---
description: >
  Activity heatmap per developer and period (API.md analytics,
  /heatmap/activity): activity events (METRICS.md §8.6: counted commits,
  the developer's PRs opened, merged and closed, counted reviews and review
  comments) selected into the period by their UTC time and counted by local
  weekday and local hour (the developer's local time, METRICS.md §0).
kind: period
serve: true
grain: one row per (workspace_id, developer_id, period_type, period_start, weekday, hour) with activity
unique_key: [workspace_id, developer_id, period_type, period_start, weekday, hour]
columns:
  weekday: local ISO weekday, 1 = Monday .. 7 = Sunday
  hour: local hour, 0-23
  events: activity events in that local weekday and hour
  commits: counted commits among them
checks:
  non_negative: [events, commits]
--- */
with

activity_events as (select * from {{ ref('stg_activity_events') }}),
periods as (select * from {{ periods() }}),

counted as (
    select
        workspace_id,
        developer_id,
        {{ period_start_of('event_at') }} as period_start,
        cast(isodow(local_at) as integer) as weekday,
        cast(hour(local_at) as integer) as hour,
        count(*) as events,
        count(*) filter (where event_type = 'commit') as commits
    from activity_events
    where event_at >= {{ period_start }} and event_at < {{ period_end }}
    group by 1, 2, 3, 4, 5
),

final as (
    select counted.workspace_id, counted.developer_id, '{{ period_type }}' as period_type,
           counted.period_start, periods.period_end, counted.weekday, counted.hour, counted.events, counted.commits
    from counted
    join periods on periods.period_start = counted.period_start
)

select * from final

/* ---
description: >
  The repositories of each developer's activity events (METRICS.md §8.6)
  per UTC date, with the counted commits there: "repositories where the
  developer was active in the period" (review_participation_rate, §3,
  §8.9) are those of the period's days, and the commits of a repository add
  up over days to the period's (focus_score §4, bus factor §6, §8.13). A
  repository counts once per period, on the first of its dates in the period
  (`previous_day` before the period).
kind: table
grain: one row per (workspace_id, developer_id, day, repository)
unique_key: [workspace_id, developer_id, day, repository]
columns:
  day: the UTC date of the activity events
  commits_count: counted commits the developer authored in the repository on the day
  previous_day: the latest earlier UTC date with activity of the developer in the repository (NULL for the first)
checks:
  non_negative: [commits_count]
--- */
with

activity_events as (select * from {{ ref('stg_activity_events') }}),

repository_days as (
    select
        workspace_id,
        developer_id,
        cast(event_at as date) as day,
        repository,
        count(*) filter (where event_type = 'commit') as commits_count
    from activity_events
    group by 1, 2, 3, 4
),

final as (
    select *, lag(day) over (partition by workspace_id, developer_id, repository order by day) as previous_day
    from repository_days
)

select * from final

/* ---
description: >
  The local dates and local clock hours with activity (METRICS.md §4, §8.6)
  per developer and UTC date, for streaks and active hours. Events are
  selected into periods by their UTC time, then converted to local dates and
  hours, so a period's active local dates and hours are those of the rows
  of its UTC dates. A local date seen on two UTC dates counts once per
  period, on the first of them in the period (`previous_day` before the
  period). A local hour nearly always has activity on one UTC date only and
  is counted in `n_local_hours` of that date; one with activity on two UTC
  dates (an hour that straddles UTC midnight under an offset such as
  +05:30, or a clock change near UTC midnight) is listed in
  `shared_local_hours` of both, to be counted once per period. Each row
  also places its local date in the developer's run of consecutive active
  local dates over all time: a period's dates are a subset of them, and a
  streak inside a period is the part of such a run that falls in it (see
  snapshots/developer_sustainability.sql).
kind: table
grain: one row per (workspace_id, developer_id, day, local_date)
unique_key: [workspace_id, developer_id, day, local_date]
columns:
  day: the UTC date of the events
  local_date: a local date of those events
  n_local_hours: local clock hours of this local date with activity on this UTC date and on no other
  shared_local_hours: local clock hours (timestamps truncated to the hour) of this local date with activity on this UTC date and on another one (NULL when none)
  previous_day: the latest earlier UTC date with events on this local date (NULL for the first)
  run_key: identifies the run of consecutive active local dates (over all time) that contains local_date (local_date minus its rank among the developer's active local dates, the same for every date of a run)
  local_date_shifts_vary: over all the developer's events, local_date - UTC date takes values more than one day apart (e.g. events east and west of UTC); see snapshots/developer_sustainability.sql
checks:
  non_negative: [n_local_hours]
--- */
with

activity_events as (select * from {{ ref('stg_activity_events') }}),

local_hours as (
    -- the local clock hours with activity per UTC date, and on how many UTC dates each has activity
    select *, count(*) over (partition by workspace_id, developer_id, local_hour) as n_utc_days
    from (
        select distinct workspace_id, developer_id, cast(event_at as date) as day, date_trunc('hour', local_at) as local_hour
        from activity_events
    ) as hours
),

dates as (
    select
        workspace_id,
        developer_id,
        day,
        cast(local_hour as date) as local_date,
        count(*) filter (where n_utc_days = 1) as n_local_hours,
        list(local_hour order by local_hour) filter (where n_utc_days > 1) as shared_local_hours
    from local_hours
    group by 1, 2, 3, 4
),

final as (
    select
        *,
        lag(day) over (partition by workspace_id, developer_id, local_date order by day) as previous_day,
        -- consecutive dates share (date - its rank): the gaps-and-islands trick, over all time
        local_date - cast(dense_rank() over (partition by workspace_id, developer_id order by local_date) as integer) as run_key,
        max(local_date - day) over (partition by workspace_id, developer_id)
            - min(local_date - day) over (partition by workspace_id, developer_id) > 1 as local_date_shifts_vary
    from dates
)

select * from final

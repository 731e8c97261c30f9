/* ---
description: >
  Sustainability per developer and period in the developer's local time
  (METRICS.md §4, §8.6): events are selected into the period by their UTC
  time, then converted to local dates and hours (so a daily period can show
  a two-day streak).
kind: ephemeral
grain: one row per (workspace_id, developer_id, period_type, period_start)
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  weekend_commit_ratio: counted commits on a local weekday that is not one of the developer's working days / commits_count
  late_night_commit_ratio: counted commits with local hour 22:00-05:59 / commits_count
  longest_streak_days: longest run of consecutive local dates with any activity event
  avg_daily_active_hours: distinct (local date, local hour) pairs with activity / distinct local dates with activity
  focus_score: share of counted commits in the developer's most-committed repository
  n_weekend_commits: counted commits on a local weekday that is not one of the developer's working days
  n_late_night_commits: counted commits with local hour 22:00-05:59
--- */
with

developer_periods as (select * from {{ ref('developer_periods') }}),
day_repositories as (select * from {{ ref('stg_developer_day_repositories') }}),
local_dates as (select * from {{ ref('stg_developer_local_dates') }}),

commits_per_repository as (
    select workspace_id, developer_id, {{ period_start_of('day') }} as period_start, repository,
           sum(commits_count) as commits
    from day_repositories
    where day >= {{ period_start }} and day < {{ period_end }} and commits_count > 0
    group by 1, 2, 3, 4
),

focus as (
    select workspace_id, developer_id, period_start, max(commits) as top_repository_commits
    from commits_per_repository
    group by 1, 2, 3
),

local_dates_in_period as (
    -- the local dates of the events of the period's UTC dates, with their local hours (those
    -- that no other UTC date has activity in, and those that straddle UTC midnight); a local
    -- date seen on two UTC dates counts once
    select
        workspace_id, developer_id, {{ period_start_of('day') }} as period_start,
        local_date, run_key, local_date_shifts_vary, n_local_hours, shared_local_hours,
        {{ first_in_period('previous_day', period_start_of('day')) }} as is_first_in_period
    from local_dates
    where day >= {{ period_start }} and day < {{ period_end }}
),

islands as (
    -- The period's runs of consecutive active local dates. When each of a developer's local
    -- dates is d or d + 1 days off its UTC date (the same d for all: offsets all east or all
    -- west of UTC), the period's UTC dates hold every active local date between the first
    -- and the last of the period's, so each run in the period is the part of a run over all
    -- time (run_key) that falls in it. Otherwise (local_date_shifts_vary) the period can miss
    -- a date inside such a run; then consecutive dates share (date - its rank in the period):
    -- the gaps-and-islands trick.
    select
        workspace_id, developer_id, period_start,
        count(*) filter (where is_first_in_period) as days,
        sum(n_local_hours) as n_local_hours
    from local_dates_in_period
    where not local_date_shifts_vary
    group by workspace_id, developer_id, period_start, run_key
    union all
    select workspace_id, developer_id, period_start, count(*), sum(n_local_hours)
    from (
        select
            *,
            local_date - cast(row_number() over (
                partition by workspace_id, developer_id, period_start order by local_date) as integer) as island
        from (
            select workspace_id, developer_id, period_start, local_date, sum(n_local_hours) as n_local_hours
            from local_dates_in_period
            where local_date_shifts_vary
            group by 1, 2, 3, 4
        ) as active_dates
    ) as numbered
    group by workspace_id, developer_id, period_start, island
),

active_time as (
    select
        workspace_id,
        developer_id,
        period_start,
        max(days) as longest_streak_days,
        sum(days) as active_dates,
        sum(n_local_hours) as n_local_hours
    from islands
    group by 1, 2, 3
),

shared_hours as (
    -- local hours that straddle UTC midnight, counted once however many of the period's dates have them
    select workspace_id, developer_id, period_start, count(distinct local_hour) as n_local_hours
    from (
        select workspace_id, developer_id, period_start, unnest(shared_local_hours) as local_hour
        from local_dates_in_period
        where shared_local_hours is not null
    ) as shared
    group by 1, 2, 3
),

sums as (
    select
        -- the spine, with the period's day-grain sums (developer_periods.sql)
        developer_periods.*,
        coalesce(active_time.longest_streak_days, 0) as longest_streak_days,
        {{ safe_div('active_time.n_local_hours + coalesce(shared_hours.n_local_hours, 0)', 'active_time.active_dates') }}
            as avg_daily_active_hours,
        {{ safe_div('focus.top_repository_commits', 'developer_periods.commits_count') }} as focus_score
    from developer_periods
    left join focus using (workspace_id, developer_id, period_start)
    left join active_time using (workspace_id, developer_id, period_start)
    left join shared_hours using (workspace_id, developer_id, period_start)
),

final as (
    select
        workspace_id, developer_id, period_type, period_start, period_end,
        {{ sustainability_ratios_from_sums() }},
        longest_streak_days,
        avg_daily_active_hours,
        focus_score,
        commits_count, n_weekend_commits, n_late_night_commits
    from sums
)

select * from final

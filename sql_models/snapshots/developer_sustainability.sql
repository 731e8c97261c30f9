/* ---
description: >
  Sustainability per developer and period in the developer's local time
  (METRICS.md §4, §8.6): events are selected into the period by their UTC
  time, then converted to local dates and hours (so a daily period can show
  a two-day streak).
kind: period
grain: one row per (workspace_id, developer_id, period_type, period_start)
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  weekend_commit_ratio: counted commits on a local weekday that is not one of the developer's working days / commits_count
  late_night_commit_ratio: counted commits with local hour 22:00-05:59 / commits_count
  longest_streak_days: longest run of consecutive local dates with any activity event
  avg_daily_active_hours: distinct (local date, local hour) pairs with activity / distinct local dates with activity
  focus_score: share of counted commits in the developer's most-committed repository
checks:
  non_negative: [longest_streak_days, avg_daily_active_hours, commits_count]
  ratios: [weekend_commit_ratio, late_night_commit_ratio, focus_score]
--- */
with

developer_periods as (select * from {{ ref('developer_periods') }}),
activity_events as (select * from {{ ref('stg_activity_events') }}),
settings as (select * from {{ ref('stg_developer_settings') }}),

events as (
    select activity_events.*, {{ period_start_of('event_at') }} as period_start
    from activity_events
    where event_at >= {{ period_start }} and event_at < {{ period_end }}
),

commit_sums as (
    select
        events.workspace_id,
        events.developer_id,
        events.period_start,
        count(*) as commits_count,
        count(*) filter (where not list_contains(settings.working_days, {{ weekday_name('events.local_at') }})) as n_weekend_commits,
        count(*) filter (where hour(events.local_at) >= 22 or hour(events.local_at) < 6) as n_late_night_commits
    from events
    join settings using (workspace_id, developer_id)
    where events.event_type = 'commit'
    group by 1, 2, 3
),

commits_per_repository as (
    select workspace_id, developer_id, period_start, repository, count(*) as commits
    from events
    where event_type = 'commit'
    group by 1, 2, 3, 4
),

focus as (
    select workspace_id, developer_id, period_start, max(commits) as top_repository_commits
    from commits_per_repository
    group by 1, 2, 3
),

active_days as (
    select distinct workspace_id, developer_id, period_start, cast(local_at as date) as local_date
    from events
),

streak_groups as (
    -- consecutive dates share (date - its rank): the gaps-and-islands trick
    select *, local_date - cast(row_number() over (
        partition by workspace_id, developer_id, period_start order by local_date) as integer) as island
    from active_days
),

streaks as (
    select workspace_id, developer_id, period_start, max(days) as longest_streak_days
    from (
        select workspace_id, developer_id, period_start, island, count(*) as days
        from streak_groups
        group by 1, 2, 3, 4
    ) as islands
    group by 1, 2, 3
),

active_hours as (
    select
        workspace_id, developer_id, period_start,
        count(distinct strftime(local_at, '%Y-%m-%d %H')) as active_hours,
        count(distinct cast(local_at as date)) as active_dates
    from events
    group by 1, 2, 3
),

sums as (
    select
        developer_periods.*,
        coalesce(commit_sums.commits_count, 0) as commits_count,
        coalesce(commit_sums.n_weekend_commits, 0) as n_weekend_commits,
        coalesce(commit_sums.n_late_night_commits, 0) as n_late_night_commits,
        coalesce(streaks.longest_streak_days, 0) as longest_streak_days,
        {{ safe_div('active_hours.active_hours', 'active_hours.active_dates') }} as avg_daily_active_hours,
        {{ safe_div('focus.top_repository_commits', 'commit_sums.commits_count') }} as focus_score
    from developer_periods
    left join commit_sums using (workspace_id, developer_id, period_start)
    left join focus using (workspace_id, developer_id, period_start)
    left join streaks using (workspace_id, developer_id, period_start)
    left join active_hours using (workspace_id, developer_id, period_start)
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

/* ---
description: >
  Burnout detector per developer and period (METRICS.md §7): risk_score =
  0.25 late_night_commit_ratio + 0.20 weekend_commit_ratio + 0.20
  min(longest_streak_days / 14, 1) + 0.20 min(days_since_break / 21, 1) +
  0.15 review_decline, its level, the indicators, alerts, and the trend
  versus the previous period. Everything is computed from the staging
  events, for the range's periods and the period before each (the trend),
  so a single-run backfill and per-partition runs give identical rows.
  Rules and thresholds: docs/metrics.md "Burnout detector".
kind: period
serve: true
late_data:
  # review_decline looks back four periods and the trend one more; days_since_break
  # counts back to the last break, however long ago: every later period can change
  following_periods: all
grain: one row per (workspace_id, developer_id, period_type, period_start) of developer_snapshot
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  late_night_commit_ratio: as METRICS.md §4 (local hour 22:00-05:59 / counted commits)
  weekend_commit_ratio: as METRICS.md §4 (non-working local weekday / counted commits)
  longest_streak_days: as METRICS.md §4 (consecutive local dates with activity in the period)
  days_since_break: days from the period's last day back to the end of the latest run of >= 2 consecutive local days without activity (0 when the period ends in such a run)
  review_count: counted reviews the developer submitted in the period
  previous_review_mean: mean counted reviews over the up to 4 periods before, from the period of the developer's first activity on
  review_decline: max(0, 1 - review_count / previous_review_mean); 0 when there is no previous period or its mean is 0
  risk_score: the weighted sum, rounded to 9 decimals (so that the level boundaries hold exactly)
  risk_level: low (< 0.3), moderate (< 0.5), high (< 0.7), critical
  previous_risk_score: the same score for the previous period
  risk_score_change: risk_score - previous_risk_score
  trend: increasing (change >= 0.05), decreasing (<= -0.05), else stable
  indicators: "[{name, value, normalized, weight, contribution}] of the five components"
  alerts: "[{indicator, severity, message}] for components over their thresholds"
checks:
  non_negative: [longest_streak_days, days_since_break, review_count, previous_review_mean]
  ratios: [late_night_commit_ratio, weekend_commit_ratio, review_decline, risk_score, previous_risk_score]
--- */
with

developer_snapshot as (select * from {{ ref('developer_snapshot') }}),
activity_events as (select * from {{ ref('stg_activity_events') }}),
settings as (select * from {{ ref('stg_developer_settings') }}),
reviews as (select * from {{ ref('stg_reviews') }}),

scored as (
    -- every developer row of the range, and the same developer in the period before it
    select workspace_id, developer_id, period_start, period_end from developer_snapshot
    union
    select workspace_id, developer_id, {{ shift_period('period_start', -1, period_type) }}, period_start
    from developer_snapshot
),

events as (
    select activity_events.*, {{ period_start_of('event_at') }} as period_start
    from activity_events
    where event_at >= {{ shift_period(period_start, -1, period_type) }} and event_at < {{ period_end }}
),

-- sustainability components (the rules of snapshots/developer_sustainability.sql)
commit_sums as (
    select
        events.workspace_id, events.developer_id, events.period_start,
        count(*) as commits_count,
        count(*) filter (where not list_contains(settings.working_days, {{ weekday_name('events.local_at') }})) as n_weekend_commits,
        count(*) filter (where hour(events.local_at) >= 22 or hour(events.local_at) < 6) as n_late_night_commits
    from events
    join settings using (workspace_id, developer_id)
    where events.event_type = 'commit'
    group by 1, 2, 3
),

active_dates as (
    select distinct workspace_id, developer_id, period_start, cast(local_at as date) as local_date
    from events
),

streaks as (
    select workspace_id, developer_id, period_start, max(days) as longest_streak_days
    from (
        select workspace_id, developer_id, period_start, island, count(*) as days
        from (
            select *, local_date - cast(row_number() over (
                partition by workspace_id, developer_id, period_start order by local_date) as integer) as island
            from active_dates
        ) as islands
        group by 1, 2, 3, 4
    ) as runs
    group by 1, 2, 3
),

-- days since the last break: local dates with activity over all history
day_activity as (
    select workspace_id, developer_id, cast(local_at as date) as local_date, min(event_at) as first_event_at
    from activity_events
    where event_at < {{ period_end }}
    group by 1, 2, 3
),

break_ends as (
    -- an active date after >= 2 inactive days (or the first one ever): the day before it ends a break
    select workspace_id, developer_id, local_date, cast(local_date - interval 1 day as date) as break_day
    from (
        select *, lag(local_date) over (partition by workspace_id, developer_id order by local_date) as previous_date
        from day_activity
    ) as days
    where previous_date is null or date_diff('day', previous_date, local_date) >= 3
),

last_days as (
    -- An event after the period end has a local date on or after its last day (offsets are
    -- within +-14 hours), so only the last day's activity depends on the period end.
    select
        scored.*,
        cast(scored.period_end - interval 1 day as date) as last_day,
        coalesce(last_day_activity.first_event_at < scored.period_end, false) as last_day_active,
        day_before_activity.local_date is not null as day_before_active
    from scored
    left join day_activity as last_day_activity
        on last_day_activity.workspace_id = scored.workspace_id
       and last_day_activity.developer_id = scored.developer_id
       and last_day_activity.local_date = cast(scored.period_end - interval 1 day as date)
    left join day_activity as day_before_activity
        on day_before_activity.workspace_id = scored.workspace_id
       and day_before_activity.developer_id = scored.developer_id
       and day_before_activity.local_date = cast(scored.period_end - interval 2 day as date)
),

breaks as (
    select
        last_days.*,
        case when not last_day_active and not day_before_active then 0
             else coalesce(date_diff('day', break_ends.break_day, last_days.last_day), 0) end as days_since_break
    from (
        select *, case when last_day_active then last_day else cast(last_day - interval 1 day as date) end as break_limit
        from last_days
    ) as last_days
    asof left join break_ends
        on break_ends.workspace_id = last_days.workspace_id
       and break_ends.developer_id = last_days.developer_id
       and break_ends.local_date <= last_days.break_limit
),

-- review decline: reviews given versus the up to 4 periods before, from the developer's first activity on
review_counts as (
    select workspace_id, reviewer_id as developer_id, {{ period_start_of('submitted_at') }} as period_start,
           count(*) as reviews
    from reviews
    where submitted_at >= {{ shift_period(period_start, -5, period_type) }} and submitted_at < {{ period_end }}
    group by 1, 2, 3
),

first_activity as (
    select workspace_id, developer_id, {{ period_start_of('min(event_at)') }} as first_period_start
    from activity_events
    group by 1, 2
),

previous_reviews as (
    select
        scored.workspace_id, scored.developer_id, scored.period_start,
        count(*) as previous_periods,
        coalesce(sum(review_counts.reviews), 0) as previous_reviews
    from scored
    cross join (select unnest(range(1, 5)) as k) as back
    join first_activity
        on first_activity.workspace_id = scored.workspace_id and first_activity.developer_id = scored.developer_id
    left join review_counts
        on review_counts.workspace_id = scored.workspace_id
       and review_counts.developer_id = scored.developer_id
       and review_counts.period_start = {{ shift_period('scored.period_start', '-back.k', period_type) }}
    where {{ shift_period('scored.period_start', '-back.k', period_type) }} >= first_activity.first_period_start
    group by 1, 2, 3
),

components as (
    select
        breaks.workspace_id, breaks.developer_id, breaks.period_start, breaks.period_end,
        {{ safe_div('commit_sums.n_late_night_commits', 'commit_sums.commits_count') }} as late_night_commit_ratio,
        {{ safe_div('commit_sums.n_weekend_commits', 'commit_sums.commits_count') }} as weekend_commit_ratio,
        coalesce(streaks.longest_streak_days, 0) as longest_streak_days,
        breaks.days_since_break,
        coalesce(this_period.reviews, 0) as review_count,
        {{ safe_div('previous_reviews.previous_reviews', 'previous_reviews.previous_periods') }} as previous_review_mean
    from breaks
    left join commit_sums
        on commit_sums.workspace_id = breaks.workspace_id and commit_sums.developer_id = breaks.developer_id
       and commit_sums.period_start = breaks.period_start
    left join streaks
        on streaks.workspace_id = breaks.workspace_id and streaks.developer_id = breaks.developer_id
       and streaks.period_start = breaks.period_start
    left join review_counts as this_period
        on this_period.workspace_id = breaks.workspace_id and this_period.developer_id = breaks.developer_id
       and this_period.period_start = breaks.period_start
    left join previous_reviews
        on previous_reviews.workspace_id = breaks.workspace_id and previous_reviews.developer_id = breaks.developer_id
       and previous_reviews.period_start = breaks.period_start
),

risk as (
    select
        *,
        round(0.25 * late_night_commit_ratio
              + 0.20 * weekend_commit_ratio
              + 0.20 * least(longest_streak_days / 14.0, 1.0)
              + 0.20 * least(days_since_break / 21.0, 1.0)
              + 0.15 * review_decline, 9) as risk_score
    from (
        select *,
               case when previous_review_mean = 0 then 0.0
                    else greatest(0.0, 1.0 - review_count / previous_review_mean) end as review_decline
        from components
    ) as with_decline
),

final as (
    select
        current_period.workspace_id,
        current_period.developer_id,
        '{{ period_type }}' as period_type,
        current_period.period_start,
        current_period.period_end,
        current_period.risk_score,
        case when current_period.risk_score < 0.3 then 'low'
             when current_period.risk_score < 0.5 then 'moderate'
             when current_period.risk_score < 0.7 then 'high'
             else 'critical' end as risk_level,
        current_period.late_night_commit_ratio,
        current_period.weekend_commit_ratio,
        current_period.longest_streak_days,
        current_period.days_since_break,
        current_period.review_count,
        current_period.previous_review_mean,
        current_period.review_decline,
        coalesce(previous_period.risk_score, 0.0) as previous_risk_score,
        round(current_period.risk_score - coalesce(previous_period.risk_score, 0.0), 9) as risk_score_change,
        case when round(current_period.risk_score - coalesce(previous_period.risk_score, 0.0), 9) >= 0.05 then 'increasing'
             when round(current_period.risk_score - coalesce(previous_period.risk_score, 0.0), 9) <= -0.05 then 'decreasing'
             else 'stable' end as trend,
        [
            struct_pack(name := 'late_night_commit_ratio', value := current_period.late_night_commit_ratio,
                        normalized := current_period.late_night_commit_ratio, weight := cast(0.25 as double),
                        contribution := 0.25 * current_period.late_night_commit_ratio),
            struct_pack(name := 'weekend_commit_ratio', value := current_period.weekend_commit_ratio,
                        normalized := current_period.weekend_commit_ratio, weight := cast(0.20 as double),
                        contribution := 0.20 * current_period.weekend_commit_ratio),
            struct_pack(name := 'longest_streak_days', value := cast(current_period.longest_streak_days as double),
                        normalized := least(current_period.longest_streak_days / 14.0, 1.0), weight := cast(0.20 as double),
                        contribution := 0.20 * least(current_period.longest_streak_days / 14.0, 1.0)),
            struct_pack(name := 'days_since_break', value := cast(current_period.days_since_break as double),
                        normalized := least(current_period.days_since_break / 21.0, 1.0), weight := cast(0.20 as double),
                        contribution := 0.20 * least(current_period.days_since_break / 21.0, 1.0)),
            struct_pack(name := 'review_decline', value := current_period.review_decline,
                        normalized := current_period.review_decline, weight := cast(0.15 as double),
                        contribution := 0.15 * current_period.review_decline)
        ] as indicators,
        list_filter([
            case when current_period.late_night_commit_ratio >= 0.3 then struct_pack(
                indicator := 'late_night_commit_ratio',
                severity := case when current_period.late_night_commit_ratio >= 0.5 then 'critical' else 'warning' end,
                message := printf('%.0f%% of commits between 22:00 and 06:00 local time',
                                  100 * current_period.late_night_commit_ratio)) end,
            case when current_period.weekend_commit_ratio >= 0.3 then struct_pack(
                indicator := 'weekend_commit_ratio',
                severity := case when current_period.weekend_commit_ratio >= 0.5 then 'critical' else 'warning' end,
                message := printf('%.0f%% of commits on non-working days', 100 * current_period.weekend_commit_ratio)) end,
            case when current_period.longest_streak_days >= 10 then struct_pack(
                indicator := 'longest_streak_days',
                severity := case when current_period.longest_streak_days >= 14 then 'critical' else 'warning' end,
                message := printf('active %d days in a row', current_period.longest_streak_days)) end,
            case when current_period.days_since_break >= 14 then struct_pack(
                indicator := 'days_since_break',
                severity := case when current_period.days_since_break >= 21 then 'critical' else 'warning' end,
                message := printf('no two days off in a row for %d days', current_period.days_since_break)) end,
            case when current_period.review_decline >= 0.5 then struct_pack(
                indicator := 'review_decline',
                severity := case when current_period.review_decline >= 0.8 then 'critical' else 'warning' end,
                message := printf('%.0f%% fewer reviews than in the previous periods', 100 * current_period.review_decline)) end
        ], lambda a: a is not null) as alerts
    from developer_snapshot
    join risk as current_period
        on current_period.workspace_id = developer_snapshot.workspace_id
       and current_period.developer_id = developer_snapshot.developer_id
       and current_period.period_start = developer_snapshot.period_start
    left join risk as previous_period
        on previous_period.workspace_id = developer_snapshot.workspace_id
       and previous_period.developer_id = developer_snapshot.developer_id
       and previous_period.period_end = developer_snapshot.period_start
)

select * from final

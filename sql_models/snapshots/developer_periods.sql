/* ---
description: >
  The row spine of every developer snapshot (METRICS.md §0, §8.7), with the
  period's sums of the developer's day rows: a developer has a row for a
  period when they had an activity event in it, received a counted review in
  it, or are a configured member of one of the workspace's teams. Every
  count and sum that adds up over days (staging/stg_developer_days.sql) is
  added up here once; the category models read them from this spine.
kind: ephemeral
grain: one row per (workspace_id, developer_id, period_type, period_start)
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  period_end: exclusive end of the period (UTC midnight)
  is_active: the developer had an activity event (METRICS.md §8.6) in the period
  workspace_id: the workspace
  developer_id: the developer (lower-cased login, after the identity map)
  period_type: daily | weekly | biweekly | monthly
  period_start: first UTC day of the period
--- */
{%- set day_counts = ['commits_count', 'n_weekend_commits', 'n_late_night_commits', 'review_given_count',
                      'review_received_count', 'n_review_comments_given', 'n_turnaround_prs'] %}
{%- set day_sums = ['lines_added', 'lines_removed', 'sum_turnaround_seconds'] %}
with

periods as (select * from {{ periods() }}),
developer_days as (select * from {{ ref('stg_developer_days') }}),
team_members as (select * from {{ ref('stg_team_members') }}),

day_totals as (
    select
        workspace_id,
        developer_id,
        {{ period_start_of('day') }} as period_start,
        bool_or(is_active) as is_active,
        {% for column in day_counts -%}
        {{ count_total(column) }},
        {% endfor -%}
        {% for column in day_sums -%}
        {{ sum_total(column) }}{{ ',' if not loop.last }}
        {% endfor %}
    from developer_days
    where day >= {{ period_start }} and day < {{ period_end }}
    group by 1, 2, 3
    -- (each day row has an activity event or a counted review received: stg_developer_days)
    having bool_or(is_active or review_received_count > 0)
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
        coalesce(day_totals.is_active, false) as is_active,
        {% for column in day_counts + day_sums -%}
        coalesce(day_totals.{{ column }}, 0) as {{ column }}{{ ',' if not loop.last }}
        {% endfor %}
    from day_totals
    full join members using (workspace_id, developer_id, period_start)
    join periods using (period_start)
)

select * from final

{#- Each category's metrics as ratios of sums (METRICS.md §1-§6).

    Durations are summed as whole seconds (exact integers, so the sums do not
    depend on the order a parallel aggregate adds them) and turned into
    hours only here.

    Developer models compute the sums over the developer's events; team and
    workspace models add the same sums up over their members and call the
    same macro, so a roll-up is always a ratio of pooled sums and the
    formula of each metric is written once. -#}

{#- A period's counts and sums as the sums of its days' (the developer x
    UTC-day rows of staging/stg_developer_days.sql). A count stays BIGINT, as
    count(*) over the events is, and a sum is HUGEINT, as sum() over the
    events is: a column has the same type and value whichever grain it is
    added up from. -#}

{% macro count_total(column) -%}
cast(coalesce(sum({{ column }}), 0) as bigint) as {{ column }}
{%- endmacro %}

{% macro sum_total(column) -%}
coalesce(sum({{ column }}), 0) as {{ column }}
{%- endmacro %}

{#- A thing the day-grain tables list per UTC date (a collaborator, a reviewed
    PR, a repository, a local date) counts once in a period: on the first of
    its dates in the period, whose previous date (`previous_day`) is before the
    period or does not exist. Distinct counts over a period are then plain
    counts of these rows. -#}

{% macro first_in_period(previous_day, period_start) -%}
({{ previous_day }} is null or {{ previous_day }} < {{ period_start }})
{%- endmacro %}

{% macro velocity_from_sums(working_days, period_days) -%}
commits_count, prs_merged, lines_added, lines_removed,
lines_added - lines_removed as net_lines,
commits_count / greatest(coalesce({{ working_days }}, 0), 1) as commit_frequency,
prs_merged / ({{ period_days }} / 7.0) as pr_throughput,
{{ safe_div('lines_added + lines_removed', 'commits_count') }} as avg_commit_size
{%- endmacro %}

{% macro efficiency_from_sums() -%}
{{ safe_div('sum_cycle_seconds / 3600.0', 'n_merged_prs') }} as avg_pr_cycle_time_hours,
{{ safe_div('sum_first_review_seconds / 3600.0', 'n_reviewed_merged_prs') }} as avg_time_to_first_review_hours,
{{ safe_div('sum_pr_size', 'n_merged_prs') }} as avg_pr_size,
{{ safe_div('n_closed_prs_merged', 'n_closed_prs') }} as pr_merge_rate,
{{ safe_div('sum_first_commit_to_merge_seconds / 3600.0', 'n_merged_prs_with_commits') }} as first_commit_to_merge_hours,
{{ safe_div('n_rework_commits', 'n_merged_pr_commits') }} as rework_ratio
{%- endmacro %}

{% macro quality_from_sums() -%}
{{ safe_div('n_participated_prs', 'n_participation_prs') }} as review_participation_rate,
{{ safe_div('n_review_comments_given', 'review_given_count') }} as avg_review_depth,
{{ safe_div('sum_turnaround_seconds / 3600.0', 'n_turnaround_prs') }} as review_turnaround_hours,
{{ safe_div('n_self_merged_prs', 'n_merged_prs') }} as self_merge_rate
{%- endmacro %}

{% macro sustainability_ratios_from_sums() -%}
{{ safe_div('n_weekend_commits', 'commits_count') }} as weekend_commit_ratio,
{{ safe_div('n_late_night_commits', 'commits_count') }} as late_night_commit_ratio
{%- endmacro %}

{% macro collaboration_ratios_from_sums() -%}
{{ safe_div('n_cross_team_reviewed_prs', 'n_reviewed_prs') }} as cross_team_pr_ratio,
review_given_count,
review_received_count,
{{ safe_div('review_given_count', 'review_given_count + review_received_count') }} as knowledge_sharing_score
{%- endmacro %}

{#- Small SQL helpers shared by every model. Each takes what it needs as
    arguments and renders a single-line expression. -#}

{% macro safe_div(numerator, denominator) -%}
coalesce(cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0), 0.0)
{%- endmacro %}

{% macro noreply_login(email) -%}
nullif(regexp_extract(lower({{ email }}), '^(?:[0-9]+[+])?([^@]+)@users[.]noreply[.]github[.]com$', 1), '')
{%- endmacro %}

{% macro account_login(user_login, row_login) -%}
nullif(lower(coalesce({{ user_login }}, {{ row_login }})), 'ghost')
{%- endmacro %}

{% macro to_local(utc_ts, timezone, offset_minutes, default_timezone) -%}
case when {{ timezone }} is not null then timezone({{ timezone }}, {{ utc_ts }} at time zone 'UTC') when {{ offset_minutes }} is not null then {{ utc_ts }} + to_minutes(cast({{ offset_minutes }} as integer)) else timezone({{ default_timezone }}, {{ utc_ts }} at time zone 'UTC') end
{%- endmacro %}

{% macro weekday_name(date_expr) -%}
lower(strftime({{ date_expr }}, '%a'))
{%- endmacro %}

{% macro seconds_between(later, earlier) -%}
date_diff('second', {{ earlier }}, {{ later }})
{%- endmacro %}

{% macro is_bot(developer_id, workspace_id, bots) -%}
({{ developer_id }} like '%[bot]' or ({{ workspace_id }} || '/' || {{ developer_id }}) in (select workspace_id || '/' || developer_id from {{ bots }}))
{%- endmacro %}

{% macro group_periods(teams, workspaces, periods) -%}
{#- Every (team, period) and (workspace, period): the spine of the group models. -#}
select {{ teams }}.workspace_id, 'team' as group_type, {{ teams }}.team_id as group_id, {{ periods }}.period_start, {{ periods }}.period_end
    from {{ teams }} cross join {{ periods }}
    union all
    select {{ workspaces }}.workspace_id, 'workspace', {{ workspaces }}.workspace_id, {{ periods }}.period_start, {{ periods }}.period_end
    from {{ workspaces }} cross join {{ periods }}
{%- endmacro %}

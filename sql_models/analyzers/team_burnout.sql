/* ---
description: >
  Burnout overview per team and for the whole workspace, per period
  (METRICS.md §7, the product spec's team burnout overview): how many
  members are at each risk level, the mean and highest risk score, how many
  are trending up, and every member's score, level and trend. A team is its
  configured members; the workspace is every developer with a row.
kind: period
serve: true
late_data:
  following_periods: all
grain: one row per (workspace_id, group_type, group_id, period_type, period_start)
unique_key: [workspace_id, group_type, group_id, period_type, period_start]
columns:
  group_type: team | workspace
  member_count: members with a burnout row in the period (every configured member has one)
  at_risk_count: members at high or critical risk
  avg_risk_score: mean of the members' risk scores
  max_risk_score: the highest member risk score
  increasing_count: members whose risk trend is increasing
  members: "[{developer_id, risk_score, risk_level, trend, alerts}] highest risk first (ties by developer_id)"
checks:
  non_negative: [member_count, at_risk_count, low_count, moderate_count, high_count, critical_count, increasing_count]
  ratios: [avg_risk_score, max_risk_score]
  equal:
    member_count: low_count + moderate_count + high_count + critical_count
--- */
with

burnout as (select * from {{ ref('developer_burnout') }}),
teams as (select * from {{ ref('stg_teams') }}),
team_members as (select * from {{ ref('stg_team_members') }}),
workspaces as (select * from {{ source('config', 'workspaces') }}),
periods as (select * from {{ periods() }}),

memberships as (
    select workspace_id, 'team' as group_type, team_id as group_id, developer_id from team_members
    union all
    select distinct workspace_id, 'workspace', workspace_id, developer_id from burnout
),

groups as (
    {{ group_periods('teams', 'workspaces', 'periods') }}
),

member_rows as (
    select memberships.group_type, memberships.group_id, burnout.*
    from memberships
    join burnout on burnout.workspace_id = memberships.workspace_id and burnout.developer_id = memberships.developer_id
),

final as (
    select
        groups.workspace_id,
        groups.group_type,
        groups.group_id,
        '{{ period_type }}' as period_type,
        groups.period_start,
        groups.period_end,
        count(member_rows.developer_id) as member_count,
        count(*) filter (where member_rows.risk_level in ('high', 'critical')) as at_risk_count,
        count(*) filter (where member_rows.risk_level = 'low') as low_count,
        count(*) filter (where member_rows.risk_level = 'moderate') as moderate_count,
        count(*) filter (where member_rows.risk_level = 'high') as high_count,
        count(*) filter (where member_rows.risk_level = 'critical') as critical_count,
        -- decimal sums are exact, so the mean does not depend on the order rows arrive in
        coalesce(avg(cast(member_rows.risk_score as decimal(38, 12))), 0.0) as avg_risk_score,
        coalesce(max(member_rows.risk_score), 0.0) as max_risk_score,
        count(*) filter (where member_rows.trend = 'increasing') as increasing_count,
        coalesce(list(struct_pack(developer_id := member_rows.developer_id, risk_score := member_rows.risk_score,
                                  risk_level := member_rows.risk_level, trend := member_rows.trend,
                                  alerts := len(member_rows.alerts))
                      order by member_rows.risk_score desc, member_rows.developer_id)
                 filter (where member_rows.developer_id is not null), []) as members
    from groups
    left join member_rows
        on member_rows.workspace_id = groups.workspace_id
       and member_rows.group_type = groups.group_type
       and member_rows.group_id = groups.group_id
       and member_rows.period_start = groups.period_start
    group by all
)

select * from final

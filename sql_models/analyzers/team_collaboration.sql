/* ---
description: >
  Team cohesion per period (METRICS.md §7, collaboration network): for each
  team (its configured members) and for the whole workspace (every
  developer with a row), the density and average clustering coefficient of
  the collaboration graph among its members, the interactions inside and
  across teams, and the silos: members with no edge outside their team.
  Edges are those of collaboration_edges. Rules: docs/metrics.md
  "Collaboration network".
kind: period
serve: true
grain: one row per (workspace_id, group_type, group_id, period_type, period_start)
unique_key: [workspace_id, group_type, group_id, period_type, period_start]
columns:
  group_type: team | workspace
  member_count: configured non-bot members (team), developers with a row (workspace)
  internal_edge_count: edges between two members
  density: internal_edge_count / (member_count * (member_count - 1) / 2); 0 below two members
  clustering_coefficient: mean over members of (edges among the member's neighbours in the group) / (k (k - 1) / 2), k its number of neighbours in the group; 0 for members with k < 2
  internal_interactions: interactions on edges between two members who share the team (for the workspace, share any team)
  external_interactions: interactions of members on edges to someone outside the team (for the workspace, sharing no team)
  cross_team_interaction_ratio: external_interactions / (internal_interactions + external_interactions)
  silo_members: members with at least one edge, none of them outside the team (for the workspace, developers with a team whose edges all stay among teammates)
  isolated_members: members without any edge in the period
checks:
  non_negative: [member_count, internal_edge_count, internal_interactions, external_interactions, silo_count, isolated_count]
  ratios: [density, clustering_coefficient, cross_team_interaction_ratio, avg_internal_strength]
--- */
with

edges as (select * from {{ ref('collaboration_edges') }}),
developer_snapshot as (select * from {{ ref('developer_snapshot') }}),
teams as (select * from {{ ref('stg_teams') }}),
team_members as (select * from {{ ref('stg_team_members') }}),
workspaces as (select * from {{ source('config', 'workspaces') }}),
periods as (select * from {{ periods() }}),

groups as (
    {{ group_periods('teams', 'workspaces', 'periods') }}
),

members as (
    select team_members.workspace_id, 'team' as group_type, team_members.team_id as group_id,
           periods.period_start, team_members.developer_id
    from team_members cross join periods
    union all
    select workspace_id, 'workspace', workspace_id, period_start, developer_id
    from developer_snapshot
),

teammates as (
    select distinct mine.workspace_id, mine.developer_id, theirs.developer_id as other_id
    from team_members as mine
    join team_members as theirs
        on theirs.workspace_id = mine.workspace_id and theirs.team_id = mine.team_id
       and theirs.developer_id <> mine.developer_id
),

adjacency as (
    select workspace_id, period_start, developer_a_id as developer_id, developer_b_id as other_id,
           interaction_count, strength_score
    from edges
    union all
    select workspace_id, period_start, developer_b_id, developer_a_id, interaction_count, strength_score
    from edges
),

member_edges as (
    select
        members.*,
        adjacency.other_id,
        adjacency.interaction_count,
        adjacency.strength_score,
        other_member.developer_id is not null as in_group,
        case when members.group_type = 'team' then other_member.developer_id is null
             else teammates.other_id is null end as outside_team
    from members
    join adjacency
        on adjacency.workspace_id = members.workspace_id
       and adjacency.period_start = members.period_start
       and adjacency.developer_id = members.developer_id
    left join members as other_member
        on other_member.workspace_id = members.workspace_id
       and other_member.group_type = members.group_type
       and other_member.group_id = members.group_id
       and other_member.period_start = members.period_start
       and other_member.developer_id = adjacency.other_id
    left join teammates
        on teammates.workspace_id = members.workspace_id
       and teammates.developer_id = members.developer_id
       and teammates.other_id = adjacency.other_id
),

triangles as (
    -- pairs of a member's in-group neighbours that are themselves connected
    select one.workspace_id, one.group_type, one.group_id, one.period_start, one.developer_id, count(*) as triangles
    from member_edges as one
    join member_edges as two
        on two.workspace_id = one.workspace_id and two.group_type = one.group_type and two.group_id = one.group_id
       and two.period_start = one.period_start and two.developer_id = one.developer_id
       and one.other_id < two.other_id
    join edges
        on edges.workspace_id = one.workspace_id and edges.period_start = one.period_start
       and edges.developer_a_id = one.other_id and edges.developer_b_id = two.other_id
    where one.in_group and two.in_group
    group by 1, 2, 3, 4, 5
),

per_member as (
    select
        members.workspace_id, members.group_type, members.group_id, members.period_start, members.developer_id,
        count(member_edges.other_id) as degree,
        count(*) filter (where member_edges.in_group) as group_degree,
        count(*) filter (where member_edges.outside_team) as outside_degree,
        coalesce(sum(member_edges.interaction_count) filter (where not member_edges.outside_team), 0) as inside_interactions,
        -- an edge between two members (possible for the workspace) is counted from one end
        coalesce(sum(member_edges.interaction_count) filter (
            where member_edges.outside_team
              and (not member_edges.in_group or member_edges.developer_id < member_edges.other_id)), 0) as outside_interactions,
        coalesce(max(triangles.triangles), 0) as triangles,
        bool_or(has_team.developer_id is not null) as has_team
    from members
    left join (select distinct workspace_id, developer_id from team_members) as has_team
        on has_team.workspace_id = members.workspace_id and has_team.developer_id = members.developer_id
    left join member_edges
        on member_edges.workspace_id = members.workspace_id and member_edges.group_type = members.group_type
       and member_edges.group_id = members.group_id and member_edges.period_start = members.period_start
       and member_edges.developer_id = members.developer_id
    left join triangles
        on triangles.workspace_id = members.workspace_id and triangles.group_type = members.group_type
       and triangles.group_id = members.group_id and triangles.period_start = members.period_start
       and triangles.developer_id = members.developer_id
    group by 1, 2, 3, 4, 5
),

internal_edges as (
    select workspace_id, group_type, group_id, period_start,
           count(*) as internal_edge_count,
           avg(cast(strength_score as decimal(38, 15))) as avg_internal_strength
    from member_edges
    where in_group and developer_id < other_id
    group by 1, 2, 3, 4
),

final as (
    select
        groups.workspace_id,
        groups.group_type,
        groups.group_id,
        '{{ period_type }}' as period_type,
        groups.period_start,
        groups.period_end,
        count(per_member.developer_id) as member_count,
        coalesce(any_value(internal_edges.internal_edge_count), 0) as internal_edge_count,
        case when count(per_member.developer_id) < 2 then 0.0
             else coalesce(any_value(internal_edges.internal_edge_count), 0)
                  / (count(per_member.developer_id) * (count(per_member.developer_id) - 1) / 2.0) end as density,
        coalesce(avg(cast(case when per_member.group_degree >= 2
                               then per_member.triangles / (per_member.group_degree * (per_member.group_degree - 1) / 2.0)
                               else 0.0 end as decimal(38, 15))), 0.0) as clustering_coefficient,
        coalesce(any_value(internal_edges.avg_internal_strength), 0.0) as avg_internal_strength,
        -- each inside edge is seen from both ends
        cast(coalesce(sum(per_member.inside_interactions), 0) / 2 as bigint) as internal_interactions,
        cast(coalesce(sum(per_member.outside_interactions), 0) as bigint) as external_interactions,
        {{ safe_div('coalesce(sum(per_member.outside_interactions), 0)',
                    'coalesce(sum(per_member.inside_interactions), 0) / 2 + coalesce(sum(per_member.outside_interactions), 0)') }}
            as cross_team_interaction_ratio,
        count(*) filter (where per_member.degree > 0 and per_member.outside_degree = 0
                           and per_member.has_team)
            as silo_count,
        coalesce(list(per_member.developer_id order by per_member.developer_id)
                 filter (where per_member.degree > 0 and per_member.outside_degree = 0
                           and per_member.has_team), [])
            as silo_members,
        count(*) filter (where per_member.degree = 0) as isolated_count,
        coalesce(list(per_member.developer_id order by per_member.developer_id) filter (where per_member.degree = 0), [])
            as isolated_members
    from groups
    left join per_member
        on per_member.workspace_id = groups.workspace_id and per_member.group_type = groups.group_type
       and per_member.group_id = groups.group_id and per_member.period_start = groups.period_start
    left join internal_edges
        on internal_edges.workspace_id = groups.workspace_id and internal_edges.group_type = groups.group_type
       and internal_edges.group_id = groups.group_id and internal_edges.period_start = groups.period_start
    group by groups.workspace_id, groups.group_type, groups.group_id, groups.period_start, groups.period_end
)

select * from final

/* ---
description: >
  Expertise compared across teams, per skill, as of each period's end
  (METRICS.md §7, the product spec's team expertise comparison): for each
  team (its configured members) and the whole workspace, how many members
  have the skill, how proficient they are and who leads, from
  developer_expertise.
kind: period
serve: true
late_data:
  following_periods: all
grain: one row per (workspace_id, group_type, group_id, period_type, period_start, skill_type, skill) with at least one member having the skill
unique_key: [workspace_id, group_type, group_id, period_type, period_start, skill_type, skill]
columns:
  group_type: team | workspace
  member_count: configured members (team), developers with any skill as of the period end (workspace)
  members_with_skill: members with evidence of the skill
  proficient_members: members at advanced or expert depth (proficiency >= 50)
  coverage: members_with_skill / member_count
  avg_proficiency: mean proficiency of the members with the skill
  max_proficiency: the highest member proficiency
  avg_confidence: mean confidence of the members with the skill
  top_developer_id: the most proficient member (ties by developer_id)
  members: "[{developer_id, proficiency, confidence, depth, recency_factor}] the 20 most proficient members (ties by developer_id)"
checks:
  non_negative: [member_count, members_with_skill, proficient_members, avg_proficiency, max_proficiency, commit_count]
  ratios: [coverage, avg_confidence]
--- */
with

expertise as (select * from {{ ref('developer_expertise') }}),
team_members as (select * from {{ ref('stg_team_members') }}),
periods as (select * from {{ periods() }}),

memberships as (
    select workspace_id, 'team' as group_type, team_id as group_id, developer_id, period_start
    from team_members
    cross join periods
    union all
    select distinct workspace_id, 'workspace', workspace_id, developer_id, period_start
    from expertise
),

sizes as (
    select workspace_id, group_type, group_id, period_start, count(*) as member_count
    from memberships
    group by 1, 2, 3, 4
),

per_skill as (
    select
        memberships.workspace_id,
        memberships.group_type,
        memberships.group_id,
        memberships.period_start,
        expertise.skill_type,
        expertise.skill,
        any_value(expertise.period_end) as period_end,
        any_value(expertise.ecosystem) as ecosystem,
        count(*) as members_with_skill,
        count(*) filter (where expertise.proficiency >= 50) as proficient_members,
        -- decimal sums are exact: the means do not depend on the order rows arrive in
        avg(cast(expertise.proficiency as decimal(38, 12))) as avg_proficiency,
        max(expertise.proficiency) as max_proficiency,
        avg(cast(expertise.confidence as decimal(38, 15))) as avg_confidence,
        sum(expertise.commit_count) as commit_count,
        -- the 20 smallest (-proficiency, developer_id): most proficient first, ties by developer_id
        min_by(struct_pack(developer_id := expertise.developer_id, proficiency := expertise.proficiency,
                           confidence := expertise.confidence, depth := expertise.depth,
                           recency_factor := expertise.recency_factor),
               struct_pack(p := -expertise.proficiency, d := expertise.developer_id), 20) as members
    from memberships
    join expertise
        on expertise.workspace_id = memberships.workspace_id and expertise.developer_id = memberships.developer_id
       and expertise.period_start = memberships.period_start
    group by 1, 2, 3, 4, 5, 6
),

final as (
    select
        per_skill.workspace_id,
        per_skill.group_type,
        per_skill.group_id,
        '{{ period_type }}' as period_type,
        per_skill.period_start,
        per_skill.period_end,
        per_skill.skill_type,
        per_skill.skill,
        per_skill.ecosystem,
        sizes.member_count,
        per_skill.members_with_skill,
        per_skill.proficient_members,
        per_skill.members_with_skill / sizes.member_count as coverage,
        per_skill.avg_proficiency,
        per_skill.max_proficiency,
        per_skill.avg_confidence,
        per_skill.commit_count,
        per_skill.members,
        per_skill.members[1].developer_id as top_developer_id
    from per_skill
    join sizes
        on sizes.workspace_id = per_skill.workspace_id and sizes.group_type = per_skill.group_type
       and sizes.group_id = per_skill.group_id and sizes.period_start = per_skill.period_start
)

select * from final

/* ---
description: >
  Technology tracker per workspace, team and developer, as of each period's
  end (METRICS.md §7, the product spec's technology profile): the packages
  of the manifests of the group's repositories (technology_versions) with
  the versions in use, their worst status, the counts per status, an
  adoption score and upgrade suggestions. A developer's repositories are
  those they authored counted commits in during the period (the code they
  worked on then), a team's are its members', the workspace's are all of
  its repositories; versions and statuses are as of the period end.
kind: period
serve: true
late_data:
  following_periods: all
grain: one row per (workspace_id, group_type, group_id, period_type, period_start) with manifests in the group's repositories (developers and teams with commits in the period)
unique_key: [workspace_id, group_type, group_id, period_type, period_start]
columns:
  group_type: workspace | team | developer
  technologies: "[{name, ecosystem, versions, oldest_version, latest_version, status, repositories}] per package, by ecosystem and name"
  technologies_count: packages in use
  current_count: packages whose worst status is current (likewise recent_count, outdated_count, deprecated_count)
  adoption_score: (current_count + 0.5 recent_count) / technologies_count
  upgrade_suggestions: "[{name, ecosystem, current_version, suggested_version, status, priority, repositories}] for packages not current: priority high (deprecated), medium (outdated), low (recent); repositories: those not on the latest version"
checks:
  non_negative: [technologies_count, current_count, recent_count, outdated_count, deprecated_count, repositories_count]
  ratios: [adoption_score]
  equal:
    technologies_count: current_count + recent_count + outdated_count + deprecated_count
--- */
with

versions as (select * from {{ ref('technology_versions') }}),
commits as (select * from {{ ref('stg_commits') }}),
team_members as (select * from {{ ref('stg_team_members') }}),

contributions as (
    select distinct workspace_id, developer_id, repository, {{ period_start_of('authored_at') }} as period_start
    from commits
    where is_counted and authored_at >= {{ period_start }} and authored_at < {{ period_end }}
),

group_entries as (
    select versions.workspace_id, 'workspace' as group_type, versions.workspace_id as group_id, versions.*
        exclude (workspace_id)
    from versions
    union all
    select versions.workspace_id, 'developer', contributions.developer_id, versions.* exclude (workspace_id)
    from versions
    join contributions
        on contributions.workspace_id = versions.workspace_id and contributions.repository = versions.repository
       and contributions.period_start = versions.period_start
    union all
    select distinct versions.workspace_id, 'team', team_members.team_id, versions.* exclude (workspace_id)
    from versions
    join contributions
        on contributions.workspace_id = versions.workspace_id and contributions.repository = versions.repository
       and contributions.period_start = versions.period_start
    join team_members
        on team_members.workspace_id = contributions.workspace_id and team_members.developer_id = contributions.developer_id
),

packages as (
    select
        workspace_id, group_type, group_id, period_start, period_end, ecosystem, package,
        -- list, then list_distinct: much faster than an aggregate DISTINCT on a million groups
        coalesce(list_sort(list_distinct(list(version) filter (where version is not null))), []) as versions_in_use,
        arg_min(version, version_key) as oldest_version,
        max(latest_version) as latest_version,
        max(case status when 'deprecated' then 4 when 'outdated' then 3 when 'recent' then 2 else 1 end) as severity,
        list_sort(list_distinct(list(repository))) as repositories,
        coalesce(list_sort(list_distinct(list(repository) filter (where status <> 'current'))), []) as repositories_behind
    from group_entries
    group by 1, 2, 3, 4, 5, 6, 7
),

statused as (
    select *,
           case severity when 4 then 'deprecated' when 3 then 'outdated' when 2 then 'recent' else 'current' end as status
    from packages
),

repository_counts as (
    select workspace_id, group_type, group_id, period_start, count(distinct repository) as repositories_count
    from group_entries
    group by 1, 2, 3, 4
),

final as (
    select
        statused.workspace_id,
        statused.group_type,
        statused.group_id,
        '{{ period_type }}' as period_type,
        statused.period_start,
        statused.period_end,
        list(struct_pack(name := package, ecosystem := ecosystem, versions := versions_in_use,
                         oldest_version := oldest_version, latest_version := latest_version, status := status,
                         repositories := repositories)
             order by ecosystem, package) as technologies,
        count(*) as technologies_count,
        count(*) filter (where status = 'current') as current_count,
        count(*) filter (where status = 'recent') as recent_count,
        count(*) filter (where status = 'outdated') as outdated_count,
        count(*) filter (where status = 'deprecated') as deprecated_count,
        (count(*) filter (where status = 'current') + 0.5 * count(*) filter (where status = 'recent')) / count(*)
            as adoption_score,
        coalesce(list(struct_pack(name := package, ecosystem := ecosystem, current_version := oldest_version,
                                  suggested_version := latest_version, status := status,
                                  priority := case status when 'deprecated' then 'high' when 'outdated' then 'medium'
                                                          else 'low' end,
                                  repositories := repositories_behind)
                      order by severity desc, ecosystem, package) filter (where status <> 'current'), [])
            as upgrade_suggestions,
        any_value(repository_counts.repositories_count) as repositories_count
    from statused
    join repository_counts
        on repository_counts.workspace_id = statused.workspace_id and repository_counts.group_type = statused.group_type
       and repository_counts.group_id = statused.group_id and repository_counts.period_start = statused.period_start
    group by statused.workspace_id, statused.group_type, statused.group_id, statused.period_start, statused.period_end
)

select * from final

/* ---
description: >
  Technology tracker, per manifest entry, as of each period's end
  (METRICS.md §7): the packages and versions declared in the dependency
  manifests (requirements*.txt, pyproject.toml, package.json, go.mod,
  Cargo.toml) of each repository's default branch as it stood at the
  period end (the latest raw.file_contents version committed before it),
  with their status against the newest version of the package seen in the
  workspace's manifests up to then. Parsing and status rules:
  docs/metrics.md "Technology tracker".
kind: period
serve: true
late_data:
  following_periods: all
grain: one row per (workspace_id, period_type, period_start, repository, path, package, dependency_type)
unique_key: [workspace_id, period_type, period_start, repository, path, package, dependency_type]
columns:
  ecosystem: pip | npm | go | cargo
  dependency_type: runtime | dev | build | optional (the manifest section that declares it)
  version_spec: the declared requirement as written (e.g. '>=2.31,<3', '^18.2.0'); NULL when unpinned
  version: the first version number of the spec (the pin, or the lower bound)
  version_key: "[major, minor, patch] of version, for comparisons"
  latest_version: the highest version of the package declared on a default branch of the workspace up to the period end
  status: current (no version, or the latest), recent (same release line), outdated (one major behind; for 0.x, one minor), deprecated (two or more behind)
  majors_behind: release lines behind the latest (majors; minors for 0.x)
--- */
with

file_contents as (select * from {{ source('raw', 'file_contents') }}),
workspace_repositories as (select * from {{ source('raw', 'workspace_repositories') }}),
periods as (select * from {{ periods() }}),

manifest_contents as (
    select file_contents.*, {{ manifest_ecosystem('file_contents.path') }} as ecosystem
    from file_contents
    where {{ manifest_ecosystem('file_contents.path') }} is not null
      and file_contents.on_default_branch and file_contents.committed_at < {{ period_end }}
),

{{ manifest_dependency_ctes('manifest_contents') }},

declarations as (
    select
        workspace_repositories.workspace_id,
        manifest_dependencies.*,
        {{ version_text('manifest_dependencies.version_spec') }} as version,
        {{ version_key('manifest_dependencies.version_spec') }} as version_key
    from manifest_dependencies
    join workspace_repositories using (repository)
),

versions_seen as (
    -- each version of a package declared on a default branch, and when it first was
    select workspace_id, ecosystem, package, version_key, min(version) as version, min(committed_at) as first_seen_at
    from declarations
    where version_key is not null
    group by 1, 2, 3, 4
),

latest_seen as (
    -- per package and period, the highest version declared before the period end
    select versions_seen.workspace_id, versions_seen.ecosystem, versions_seen.package, periods.period_start,
           max(versions_seen.version_key) as latest_key,
           arg_max(versions_seen.version, versions_seen.version_key) as latest_version
    from versions_seen
    join periods on versions_seen.first_seen_at < cast(periods.period_end as timestamp)
    group by 1, 2, 3, 4
),

manifests as (
    select distinct workspace_repositories.workspace_id, manifest_contents.repository, manifest_contents.path
    from manifest_contents
    join workspace_repositories using (repository)
),

manifest_versions as (
    select distinct repository, path, sha, committed_at from manifest_contents
),

as_of as (
    -- each manifest's version at each period end (deleted files have no content, so no entries)
    select manifests.workspace_id, manifests.repository, manifests.path,
           periods.period_start, periods.period_end, manifest_versions.sha
    from manifests
    cross join periods
    asof join manifest_versions
        on manifest_versions.repository = manifests.repository
       and manifest_versions.path = manifests.path
       and manifest_versions.committed_at < cast(periods.period_end as timestamp)
),

entries as (
    select
        as_of.workspace_id, as_of.period_start, as_of.period_end, as_of.repository, as_of.path,
        declarations.ecosystem, declarations.package, declarations.dependency_type,
        declarations.version_spec, declarations.version, declarations.version_key,
        cast(as_of.period_end as timestamp) as period_end_at
    from as_of
    join declarations
        on declarations.workspace_id = as_of.workspace_id and declarations.repository = as_of.repository
       and declarations.path = as_of.path and declarations.sha = as_of.sha
    qualify row_number() over (
        partition by as_of.workspace_id, as_of.period_start, as_of.repository, as_of.path,
                     declarations.package, declarations.dependency_type
        order by declarations.version_spec nulls last) = 1
),

with_latest as (
    select entries.*, latest_seen.latest_key, latest_seen.latest_version
    from entries
    left join latest_seen
        on latest_seen.workspace_id = entries.workspace_id
       and latest_seen.ecosystem = entries.ecosystem
       and latest_seen.package = entries.package
       and latest_seen.period_start = entries.period_start
),

final as (
    select
        workspace_id,
        '{{ period_type }}' as period_type,
        period_start,
        period_end,
        repository,
        path,
        ecosystem,
        package,
        dependency_type,
        version_spec,
        version,
        version_key,
        coalesce(latest_version, version) as latest_version,
        case when version_key is null or latest_key is null or version_key >= latest_key then 0
             when latest_key[1] > 0 then latest_key[1] - version_key[1]
             else latest_key[2] - version_key[2] end as majors_behind,
        case when version_key is null or latest_key is null or version_key >= latest_key then 'current'
             when (case when latest_key[1] > 0 then latest_key[1] - version_key[1]
                        else latest_key[2] - version_key[2] end) >= 2 then 'deprecated'
             when (case when latest_key[1] > 0 then latest_key[1] - version_key[1]
                        else latest_key[2] - version_key[2] end) = 1 then 'outdated'
             else 'recent' end as status
    from with_latest
)

select * from final

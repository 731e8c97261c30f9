/* ---
description: >
  Expertise with confidence per developer and skill, as of each period's
  end over all history before it (METRICS.md §7). Evidence: the developer's
  counted commits. A language skill is the language of the files a commit
  changed (file extension or name, mapped with Pygments' filename patterns:
  macros/languages.sql); a framework or library skill is a package the
  commit added to a dependency manifest or whose declared version it
  changed (raw.file_contents, compared with the previous default-branch
  version of that manifest). Each commit weighs w = 0.5 ** (age_days / 180):
  proficiency = 100 * (1 - exp(-sum(w * lines_changed) / 2000)),
  confidence = 1 - exp(-sum(w) / 10), recency_factor = 0.5 **
  (days_since_last_activity / 180). Rules: docs/metrics.md "Expertise".
kind: period
serve: true
late_data:
  following_periods: all
grain: one row per (workspace_id, developer_id, period_type, period_start, skill_type, skill) with evidence before the period end
unique_key: [workspace_id, developer_id, period_type, period_start, skill_type, skill]
columns:
  skill_type: language | framework | library
  skill: the language name (Pygments), or the package name as its manifest declares it
  ecosystem: pip | npm | go | cargo for packages; empty for languages
  proficiency: 100 * (1 - exp(-sum over evidence commits of w * lines_changed / 2000)), w = 0.5 ** (age_days / 180) with age_days = (period_end - authored_at) in days
  confidence: 1 - exp(-sum(w) / 10)
  recency_factor: 0.5 ** ((period_end - last_activity_at) in days / 180)
  depth: novice (proficiency < 25), intermediate (< 50), advanced (< 75), expert
  context: learning (first evidence within 90 days of the period end and proficiency < 50), personal (most evidence commits in forks), else production
  commit_count: evidence commits before the period end
  lines_of_code: lines changed by them (additions + deletions; of the skill's files for languages, of the whole commit for packages)
  last_activity_at: the latest evidence commit before the period end (UTC)
  first_activity_at: the first evidence commit (UTC)
checks:
  non_negative: [proficiency, commit_count, lines_of_code]
  ratios: [confidence, recency_factor]
--- */
with

commits as (select * from {{ ref('stg_commits') }}),
commit_files as (select * from {{ source('raw', 'commit_files') }}),
file_contents as (select * from {{ source('raw', 'file_contents') }}),
repositories as (select * from {{ source('raw', 'repositories') }}),
language_patterns as (select * from {{ language_patterns() }}),
periods as (select * from {{ periods() }}),

evidence_commits as (
    -- counted commits before the end of the range: an "as of" model reads all history
    select
        commits.workspace_id, commits.developer_id, commits.sha, commits.repository, commits.authored_at,
        commits.additions + commits.deletions as lines_changed,
        coalesce(repositories.is_fork, false) as in_fork
    from commits
    left join repositories on repositories.repository = commits.repository
    where commits.is_counted and commits.authored_at < {{ period_end }}
),

files as (
    select
        evidence_commits.*,
        commit_files.path,
        coalesce(commit_files.additions, 0) + coalesce(commit_files.deletions, 0) as file_lines,
        {{ file_name('commit_files.path') }} as file_name,
        nullif(regexp_extract({{ file_name('commit_files.path') }}, '\.([^.]+)$', 1), '') as extension
    from evidence_commits
    join commit_files on commit_files.repository = evidence_commits.repository and commit_files.sha = evidence_commits.sha
),

file_languages as (
    -- an exact file name first, then the last extension as written, then lower-cased;
    -- dependency manifests and lock files are evidence of packages, not of a language
    select
        files.*,
        coalesce(by_name.language, by_extension.language, by_lower_extension.language) as language
    from files
    left join language_patterns as by_name
        on by_name.match_kind = 'name' and by_name.pattern = files.file_name
    left join language_patterns as by_extension
        on by_extension.match_kind = 'ext' and by_extension.pattern = files.extension
    left join language_patterns as by_lower_extension
        on by_lower_extension.match_kind = 'ext' and by_lower_extension.pattern = lower(files.extension)
    where not {{ is_dependency_file('files.path') }}
),

language_evidence as (
    select workspace_id, developer_id, sha, authored_at, in_fork,
           'language' as skill_type, language as skill, '' as ecosystem, sum(file_lines) as lines_changed
    from file_languages
    where language is not null
    group by all
),

manifest_contents as (
    select file_contents.*, {{ manifest_ecosystem('file_contents.path') }} as ecosystem
    from file_contents
    where {{ manifest_ecosystem('file_contents.path') }} is not null and file_contents.committed_at < {{ period_end }}
),

{{ manifest_dependency_ctes('manifest_contents') }},

declared as (
    -- one entry per package of a manifest version (its declarations in every section)
    select repository, path, sha, ecosystem, package,
           string_agg(dependency_type || '=' || coalesce(version_spec, ''), ';' order by dependency_type, version_spec) as declaration
    from manifest_dependencies
    group by 1, 2, 3, 4, 5
),

manifest_versions as (
    select distinct repository, path, sha, committed_at, on_default_branch from manifest_contents
),

previous_version as (
    -- the default-branch version of the same manifest just before this one
    select current_version.repository, current_version.path, current_version.sha, previous.sha as previous_sha
    from manifest_versions as current_version
    asof left join (select * from manifest_versions where on_default_branch) as previous
        on previous.repository = current_version.repository
       and previous.path = current_version.path
       and previous.committed_at < current_version.committed_at
),

changed_packages as (
    -- packages a manifest version added or re-declared (another version spec or section)
    select declared.repository, declared.path, declared.sha, declared.ecosystem, declared.package
    from declared
    join previous_version using (repository, path, sha)
    left join declared as before
        on before.repository = declared.repository and before.path = declared.path
       and before.sha = previous_version.previous_sha and before.package = declared.package
    where before.declaration is distinct from declared.declaration
),

package_evidence as (
    select distinct
        evidence_commits.workspace_id, evidence_commits.developer_id, evidence_commits.sha,
        evidence_commits.authored_at, evidence_commits.in_fork,
        case when {{ is_framework('changed_packages.package') }} then 'framework' else 'library' end as skill_type,
        changed_packages.package as skill,
        changed_packages.ecosystem,
        evidence_commits.lines_changed
    from evidence_commits
    join commit_files on commit_files.repository = evidence_commits.repository and commit_files.sha = evidence_commits.sha
    join changed_packages
        on changed_packages.repository = commit_files.repository and changed_packages.path = commit_files.path
       and changed_packages.sha = commit_files.sha
),

evidence as (
    select * from language_evidence
    union all
    select * from package_evidence
),

cumulative as (
    -- running sums per skill in time order; w = 2 ** ((t - period_end) / 180 days) is
    -- 2 ** (t / 180) * 2 ** (-period_end / 180), so each period reads the running sum of
    -- 2 ** (t / 180) at its last evidence commit and scales it (days counted from 2000-01-01)
    select
        workspace_id, developer_id, skill_type, skill, ecosystem, authored_at,
        sum(pow(2.0, {{ analyzer_days('authored_at') }} / 180.0) * lines_changed) over skill_history as growth_lines,
        sum(pow(2.0, {{ analyzer_days('authored_at') }} / 180.0)) over skill_history as growth_commits,
        count(*) over skill_history as commit_count,
        sum(lines_changed) over skill_history as lines_of_code,
        sum(cast(in_fork as integer)) over skill_history as fork_commits,
        min(authored_at) over (partition by workspace_id, developer_id, skill_type, skill) as first_activity_at
    from evidence
    window skill_history as (
        partition by workspace_id, developer_id, skill_type, skill
        order by authored_at, sha
        rows between unbounded preceding and current row
    )
),

skills as (
    select distinct workspace_id, developer_id, skill_type, skill, ecosystem from evidence
),

as_of as (
    select
        skills.workspace_id, skills.developer_id, skills.skill_type, skills.skill, skills.ecosystem,
        periods.period_start, periods.period_end,
        cast(periods.period_end as timestamp) as period_end_at
    from skills
    cross join periods
),

state as (
    select as_of.*, cumulative.* exclude (workspace_id, developer_id, skill_type, skill, ecosystem)
    from as_of
    asof join cumulative
        on cumulative.workspace_id = as_of.workspace_id
       and cumulative.developer_id = as_of.developer_id
       and cumulative.skill_type = as_of.skill_type
       and cumulative.skill = as_of.skill
       and cumulative.authored_at < as_of.period_end_at
),

scored as (
    select
        *,
        100.0 * (1 - exp(-growth_lines * pow(2.0, -{{ analyzer_days('period_end_at') }} / 180.0) / 2000.0)) as proficiency,
        1 - exp(-growth_commits * pow(2.0, -{{ analyzer_days('period_end_at') }} / 180.0) / 10.0) as confidence,
        pow(0.5, date_diff('second', authored_at, period_end_at) / 86400.0 / 180.0) as recency_factor
    from state
),

final as (
    select
        workspace_id,
        developer_id,
        '{{ period_type }}' as period_type,
        period_start,
        period_end,
        skill_type,
        skill,
        ecosystem,
        proficiency,
        confidence,
        recency_factor,
        case when proficiency < 25 then 'novice' when proficiency < 50 then 'intermediate'
             when proficiency < 75 then 'advanced' else 'expert' end as depth,
        case when first_activity_at >= period_end_at - interval 90 day and proficiency < 50 then 'learning'
             when 2 * fork_commits > commit_count then 'personal'
             else 'production' end as context,
        commit_count,
        lines_of_code,
        authored_at as last_activity_at,
        first_activity_at
    from scored
)

select * from final

/* ---
description: >
  The counts and sums behind the developer metrics that come from events
  and add up over days (METRICS.md §1, §3-§5), per developer and UTC date:
  one row per developer and day with an activity event (§8.6) or a counted
  review received (§8.7). Each event counts on the UTC date of the
  timestamp its metric selects it by (§0 "Event time"): a commit its
  authored_at, a review its submitted_at, a review comment its created_at,
  the developer's first review of a PR that review's submitted_at. Since
  periods are made of whole UTC days, a period's figure is the sum of its
  days' rows; the period models add them up and divide at the end (ratios
  of sums, never means of means). Durations are whole seconds. (Figures of
  merged and closed PRs come from stg_pr_facts, one row per PR.)
kind: table
grain: one row per (workspace_id, developer_id, day)
unique_key: [workspace_id, developer_id, day]
columns:
  day: the UTC date
  is_active: the developer had an activity event (METRICS.md §8.6) on the day
  commits_count: counted commits authored on the day
  lines_added: additions of those commits
  lines_removed: deletions of those commits
  n_weekend_commits: of those, commits on a local weekday that is not one of the developer's working days
  n_late_night_commits: of those, commits with local hour 22:00-05:59
  review_given_count: counted reviews the developer submitted on the day
  review_received_count: counted reviews others submitted on the day on the developer's PRs
  n_review_comments_given: counted inline review comments the developer wrote on the day
  n_turnaround_prs: PRs whose first counted review by the developer (across all time) was submitted on the day
  sum_turnaround_seconds: over those, that review's submitted_at - PR created_at
checks:
  non_negative: [commits_count, n_weekend_commits, n_late_night_commits, review_given_count,
                 review_received_count, n_review_comments_given, n_turnaround_prs]
--- */
with

activity_events as (select * from {{ ref('stg_activity_events') }}),
commits as (select * from {{ ref('stg_commits') }}),
pull_requests as (select * from {{ ref('stg_pull_requests') }}),
reviews as (select * from {{ ref('stg_reviews') }}),
settings as (select * from {{ ref('stg_developer_settings') }}),

activity as (
    -- the activity events of the day: counted commits (weekend and late-night ones in
    -- local time, §0), counted reviews given and counted review comments written
    select
        activity_events.workspace_id,
        activity_events.developer_id,
        cast(activity_events.event_at as date) as day,
        true as is_active,
        count(*) filter (where activity_events.event_type = 'commit') as commits_count,
        count(*) filter (
            where activity_events.event_type = 'commit'
              and not list_contains(settings.working_days, {{ weekday_name('activity_events.local_at') }})
        ) as n_weekend_commits,
        count(*) filter (
            where activity_events.event_type = 'commit'
              and (hour(activity_events.local_at) >= 22 or hour(activity_events.local_at) < 6)
        ) as n_late_night_commits,
        count(*) filter (where activity_events.event_type = 'review') as review_given_count,
        count(*) filter (where activity_events.event_type = 'review_comment') as n_review_comments_given
    from activity_events
    join settings using (workspace_id, developer_id)
    group by 1, 2, 3
),

commit_lines as (
    select
        workspace_id,
        developer_id,
        cast(authored_at as date) as day,
        sum(additions) as lines_added,
        sum(deletions) as lines_removed
    from commits
    where is_counted
    group by 1, 2, 3
),

reviews_received as (
    select workspace_id, pr_author_id as developer_id, cast(submitted_at as date) as day,
           count(*) as review_received_count
    from reviews
    group by 1, 2, 3
),

first_review_by_reviewer as (
    select workspace_id, reviewer_id, repository, pr_number, min(submitted_at) as first_reviewed_at
    from reviews
    group by 1, 2, 3, 4
),

turnaround as (
    select
        first_review_by_reviewer.workspace_id,
        first_review_by_reviewer.reviewer_id as developer_id,
        cast(first_review_by_reviewer.first_reviewed_at as date) as day,
        count(*) as n_turnaround_prs,
        sum({{ seconds_between('first_review_by_reviewer.first_reviewed_at', 'pull_requests.created_at') }}) as sum_turnaround_seconds
    from first_review_by_reviewer
    join pull_requests
        on pull_requests.workspace_id = first_review_by_reviewer.workspace_id
       and pull_requests.repository = first_review_by_reviewer.repository
       and pull_requests.number = first_review_by_reviewer.pr_number
    group by 1, 2, 3
),

final as (
    -- one row per developer and day with any of these events (each part has at most one);
    -- a day's sums fit a BIGINT (a period model's sum() of them is a HUGEINT, as a sum()
    -- over the events themselves is)
    select
        workspace_id,
        developer_id,
        day,
        coalesce(activity.is_active, false) as is_active,
        coalesce(activity.commits_count, 0) as commits_count,
        cast(coalesce(commit_lines.lines_added, 0) as bigint) as lines_added,
        cast(coalesce(commit_lines.lines_removed, 0) as bigint) as lines_removed,
        coalesce(activity.n_weekend_commits, 0) as n_weekend_commits,
        coalesce(activity.n_late_night_commits, 0) as n_late_night_commits,
        coalesce(activity.review_given_count, 0) as review_given_count,
        coalesce(reviews_received.review_received_count, 0) as review_received_count,
        coalesce(activity.n_review_comments_given, 0) as n_review_comments_given,
        coalesce(turnaround.n_turnaround_prs, 0) as n_turnaround_prs,
        cast(coalesce(turnaround.sum_turnaround_seconds, 0) as bigint) as sum_turnaround_seconds
    from activity
    full join commit_lines using (workspace_id, developer_id, day)
    full join reviews_received using (workspace_id, developer_id, day)
    full join turnaround using (workspace_id, developer_id, day)
)

select * from final

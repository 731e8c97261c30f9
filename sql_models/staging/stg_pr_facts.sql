/* ---
description: >
  One row per pull request with the facts the efficiency and quality metrics
  need (METRICS.md §2, §3, §8.4): the first counted review at or before the
  merge, the first commit, the PR's commits and how many were authored after
  the first review (rework), and whether another person approved it before
  the merge.
kind: table
grain: one row per (workspace_id, repository, number)
unique_key: [workspace_id, repository, number]
columns:
  first_review_at: earliest counted review with submitted_at <= merged_at (NULL when unmerged or unreviewed before merge)
  first_commit_at: min(authored_at) over the commits listed for the PR, merge commits included
  commit_count: commits listed for the PR, merge commits included
  rework_commit_count: of those, commits authored strictly after first_review_at
  approved_before_merge: a counted APPROVED review with submitted_at <= merged_at
--- */
with

pull_requests as (select * from {{ ref('stg_pull_requests') }}),
reviews as (select * from {{ ref('stg_reviews') }}),
pr_commits as (select * from {{ ref('stg_pr_commits') }}),

reviews_before_merge as (
    select
        reviews.workspace_id,
        reviews.repository,
        reviews.pr_number,
        min(reviews.submitted_at) as first_review_at,
        bool_or(reviews.state = 'APPROVED') as approved_before_merge
    from reviews
    join pull_requests
        on pull_requests.workspace_id = reviews.workspace_id
       and pull_requests.repository = reviews.repository
       and pull_requests.number = reviews.pr_number
    where pull_requests.merged_at is not null and reviews.submitted_at <= pull_requests.merged_at
    group by 1, 2, 3
),

commit_facts as (
    select
        pr_commits.workspace_id,
        pr_commits.repository,
        pr_commits.pr_number,
        min(pr_commits.authored_at) as first_commit_at,
        count(*) as commit_count,
        count(*) filter (where pr_commits.authored_at > reviews_before_merge.first_review_at) as rework_commit_count
    from pr_commits
    left join reviews_before_merge
        on reviews_before_merge.workspace_id = pr_commits.workspace_id
       and reviews_before_merge.repository = pr_commits.repository
       and reviews_before_merge.pr_number = pr_commits.pr_number
    group by 1, 2, 3
),

final as (
    select
        pull_requests.workspace_id,
        pull_requests.repository,
        pull_requests.number,
        pull_requests.author_id,
        pull_requests.author_is_human,
        pull_requests.created_at,
        pull_requests.merged_at,
        pull_requests.closed_at,
        coalesce(pull_requests.additions, 0) + coalesce(pull_requests.deletions, 0) as size,
        reviews_before_merge.first_review_at,
        commit_facts.first_commit_at,
        coalesce(commit_facts.commit_count, 0) as commit_count,
        coalesce(commit_facts.rework_commit_count, 0) as rework_commit_count,
        coalesce(reviews_before_merge.approved_before_merge, false) as approved_before_merge
    from pull_requests
    left join reviews_before_merge
        on reviews_before_merge.workspace_id = pull_requests.workspace_id
       and reviews_before_merge.repository = pull_requests.repository
       and reviews_before_merge.pr_number = pull_requests.number
    left join commit_facts
        on commit_facts.workspace_id = pull_requests.workspace_id
       and commit_facts.repository = pull_requests.repository
       and commit_facts.pr_number = pull_requests.number
)

select * from final

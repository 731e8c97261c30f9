/* ---
description: >
  Collaboration network per period (METRICS.md §7): one edge per unordered
  pair of developers who interacted in the period, through counted reviews
  (either reviewing the other's PR), co-authored counted commits
  (`Co-authored-by:`, METRICS.md §8.8) or counted inline review comments
  on the other's PR. interaction_count = review_count + co_author_count +
  comment_count; strength_score = 1 - exp(-interaction_count / 10).
kind: period
serve: true
grain: one row per (workspace_id, period_type, period_start, developer_a_id, developer_b_id), developer_a_id < developer_b_id
unique_key: [workspace_id, period_type, period_start, developer_a_id, developer_b_id]
columns:
  developer_a_id: the pair's smaller developer_id
  developer_b_id: the pair's larger developer_id
  review_count: counted reviews either submitted on the other's PR in the period
  co_author_count: counted commits of the period one authored with the other as co-author
  comment_count: counted inline review comments either wrote on the other's PR in the period
  interaction_types: the kinds with a count above 0, in the order review, co_author, comment
  last_interaction_at: the latest of those interactions (UTC)
checks:
  non_negative: [review_count, co_author_count, comment_count, interaction_count]
  ratios: [strength_score]
  equal:
    interaction_count: review_count + co_author_count + comment_count
--- */
with

reviews as (select * from {{ ref('stg_reviews') }}),
co_authors as (select * from {{ ref('stg_commit_co_authors') }}),
review_comments as (select * from {{ ref('stg_review_comments') }}),
periods as (select * from {{ periods() }}),

interactions as (
    select workspace_id, reviewer_id as one_id, pr_author_id as other_id, submitted_at as interaction_at, 'review' as kind
    from reviews
    where submitted_at >= {{ period_start }} and submitted_at < {{ period_end }}
    union all
    select workspace_id, author_id, co_author_id, authored_at, 'co_author'
    from co_authors
    where authored_at >= {{ period_start }} and authored_at < {{ period_end }}
    union all
    select workspace_id, author_id, pr_author_id, created_at, 'comment'
    from review_comments
    where created_at >= {{ period_start }} and created_at < {{ period_end }}
),

pairs as (
    select
        workspace_id,
        {{ period_start_of('interaction_at') }} as period_start,
        least(one_id, other_id) as developer_a_id,
        greatest(one_id, other_id) as developer_b_id,
        count(*) filter (where kind = 'review') as review_count,
        count(*) filter (where kind = 'co_author') as co_author_count,
        count(*) filter (where kind = 'comment') as comment_count,
        max(interaction_at) as last_interaction_at
    from interactions
    where one_id <> other_id
    group by 1, 2, 3, 4
),

final as (
    select
        pairs.workspace_id,
        '{{ period_type }}' as period_type,
        pairs.period_start,
        periods.period_end,
        pairs.developer_a_id,
        pairs.developer_b_id,
        pairs.review_count + pairs.co_author_count + pairs.comment_count as interaction_count,
        pairs.review_count,
        pairs.co_author_count,
        pairs.comment_count,
        1 - exp(-(pairs.review_count + pairs.co_author_count + pairs.comment_count) / 10.0) as strength_score,
        list_filter(['review', 'co_author', 'comment'],
                    lambda kind: (kind = 'review' and pairs.review_count > 0)
                              or (kind = 'co_author' and pairs.co_author_count > 0)
                              or (kind = 'comment' and pairs.comment_count > 0)) as interaction_types,
        pairs.last_interaction_at
    from pairs
    join periods on periods.period_start = pairs.period_start
)

select * from final

/* ---
description: >
  Review quality per reviewer and period (METRICS.md §7): counted reviews,
  their depth and thoroughness, the review rate, reviews per week, the
  mentoring behaviours of the reviewer's texts (review bodies and inline
  comments, by the text rules of docs/metrics.md "Review quality") and the
  mentoring score; plus response times (the reviewer's first counted review
  of a PR after the PR was opened, METRICS.md §8.10).
kind: period
serve: true
grain: one row per (workspace_id, developer_id, period_type, period_start) with a review, a review comment or a first response in the period
unique_key: [workspace_id, developer_id, period_type, period_start]
columns:
  total_reviews: counted reviews the developer submitted in the period
  average_depth_score: mean over those reviews of min(inline comments of the review, 3) / 3
  rubber_stamp_count: approvals with no inline comment and no body
  light_count: other reviews with at most two inline comments
  thorough_count: reviews with three or more inline comments
  review_rate: the developer's review_participation_rate (METRICS.md §3)
  reviews_per_week: total_reviews / (period days / 7)
  texts_count: non-empty review bodies and counted inline comments the developer wrote in the period
  top_mentoring_behaviors: behaviours seen in those texts, most frequent first, as [{behavior, count}]
  mentoring_score: mean over texts of min(1, explanation + 0.5 suggestion + 0.5 question)
  responses_count: PRs whose first counted review by the developer falls in the period
  avg_response_hours: mean of that review's submitted_at - PR created_at
  median_response_hours: median of the same
  p90_response_hours: 90th percentile (linear interpolation) of the same
  responses_within_24h_ratio: share of those responses within 24 hours
checks:
  non_negative: [total_reviews, rubber_stamp_count, light_count, thorough_count, reviews_per_week, texts_count,
                 responses_count, avg_response_hours, median_response_hours, p90_response_hours]
  ratios: [average_depth_score, review_rate, mentoring_score, responses_within_24h_ratio]
  equal:
    total_reviews: rubber_stamp_count + light_count + thorough_count
--- */
with

reviews as (select * from {{ ref('stg_reviews') }}),
review_comments as (select * from {{ ref('stg_review_comments') }}),
pull_requests as (select * from {{ ref('stg_pull_requests') }}),
developer_snapshot as (select * from {{ ref('developer_snapshot') }}),
periods as (select * from {{ periods() }}),

comments_per_review as (
    select workspace_id, review_id, count(*) as n_comments
    from review_comments
    where review_id is not null
    group by 1, 2
),

reviews_in_period as (
    select
        reviews.workspace_id,
        reviews.reviewer_id as developer_id,
        {{ period_start_of('reviews.submitted_at') }} as period_start,
        reviews.state,
        {{ strip('reviews.body') }} as body,
        coalesce(comments_per_review.n_comments, 0) as n_comments
    from reviews
    left join comments_per_review
        on comments_per_review.workspace_id = reviews.workspace_id
       and comments_per_review.review_id = reviews.review_id
    where reviews.submitted_at >= {{ period_start }} and reviews.submitted_at < {{ period_end }}
),

review_sums as (
    select
        workspace_id, developer_id, period_start,
        count(*) as total_reviews,
        sum(least(n_comments, 3)) as depth_points,
        count(*) filter (where state = 'APPROVED' and n_comments = 0 and body = '') as rubber_stamp_count,
        count(*) filter (where n_comments >= 3) as thorough_count
    from reviews_in_period
    group by 1, 2, 3
),

texts as (
    select workspace_id, developer_id, period_start, body as text
    from reviews_in_period
    where body <> ''
    union all
    select workspace_id, author_id, {{ period_start_of('created_at') }}, {{ strip('body') }}
    from review_comments
    where created_at >= {{ period_start }} and created_at < {{ period_end }} and {{ strip('body') }} <> ''
),

text_flags as (
    select
        workspace_id, developer_id, period_start,
        {{ is_suggestion('text') }} as suggestion,
        {{ is_question('text') }} as question,
        {{ is_explanation('text') }} as explanation,
        {{ is_praise('text') }} as praise
    from texts
),

text_sums as (
    select
        workspace_id, developer_id, period_start,
        count(*) as texts_count,
        count(*) filter (where suggestion) as suggestion_count,
        count(*) filter (where question) as question_count,
        count(*) filter (where explanation) as explanation_count,
        count(*) filter (where praise) as praise_count,
        -- half points per text: 2 explanation, 1 suggestion, 1 question, at most 2
        sum(least(2, 2 * cast(explanation as integer) + cast(suggestion as integer) + cast(question as integer))) as mentoring_points
    from text_flags
    group by 1, 2, 3
),

first_responses as (
    select
        first_review.workspace_id,
        first_review.reviewer_id as developer_id,
        {{ period_start_of('first_review.first_reviewed_at') }} as period_start,
        {{ seconds_between('first_review.first_reviewed_at', 'pull_requests.created_at') }} as response_seconds
    from (
        select workspace_id, reviewer_id, repository, pr_number, min(submitted_at) as first_reviewed_at
        from reviews
        group by 1, 2, 3, 4
    ) as first_review
    join pull_requests
        on pull_requests.workspace_id = first_review.workspace_id
       and pull_requests.repository = first_review.repository
       and pull_requests.number = first_review.pr_number
    where first_review.first_reviewed_at >= {{ period_start }} and first_review.first_reviewed_at < {{ period_end }}
),

response_sums as (
    select
        workspace_id, developer_id, period_start,
        count(*) as responses_count,
        sum(response_seconds) as sum_response_seconds,
        quantile_cont(response_seconds, 0.5) as median_response_seconds,
        quantile_cont(response_seconds, 0.9) as p90_response_seconds,
        count(*) filter (where response_seconds <= 24 * 3600) as responses_within_24h
    from first_responses
    group by 1, 2, 3
),

spine as (
    select workspace_id, developer_id, period_start from review_sums
    union
    select workspace_id, developer_id, period_start from text_sums
    union
    select workspace_id, developer_id, period_start from response_sums
),

final as (
    select
        spine.workspace_id,
        spine.developer_id,
        '{{ period_type }}' as period_type,
        spine.period_start,
        periods.period_end,
        coalesce(review_sums.total_reviews, 0) as total_reviews,
        {{ safe_div('review_sums.depth_points', '3 * review_sums.total_reviews') }} as average_depth_score,
        coalesce(review_sums.rubber_stamp_count, 0) as rubber_stamp_count,
        coalesce(review_sums.total_reviews - review_sums.rubber_stamp_count - review_sums.thorough_count, 0) as light_count,
        coalesce(review_sums.thorough_count, 0) as thorough_count,
        coalesce(developer_snapshot.review_participation_rate, 0.0) as review_rate,
        coalesce(review_sums.total_reviews, 0) / (date_diff('day', spine.period_start, periods.period_end) / 7.0) as reviews_per_week,
        coalesce(text_sums.texts_count, 0) as texts_count,
        coalesce(text_sums.suggestion_count, 0) as suggestion_count,
        coalesce(text_sums.question_count, 0) as question_count,
        coalesce(text_sums.explanation_count, 0) as explanation_count,
        coalesce(text_sums.praise_count, 0) as praise_count,
        list_filter(
            [struct_pack(behavior := 'suggestion', count := coalesce(text_sums.suggestion_count, 0)),
             struct_pack(behavior := 'question', count := coalesce(text_sums.question_count, 0)),
             struct_pack(behavior := 'explanation', count := coalesce(text_sums.explanation_count, 0)),
             struct_pack(behavior := 'praise', count := coalesce(text_sums.praise_count, 0))],
            lambda b: b.count > 0
        ) as mentoring_behaviors,
        {{ safe_div('text_sums.mentoring_points', '2 * text_sums.texts_count') }} as mentoring_score,
        coalesce(response_sums.responses_count, 0) as responses_count,
        {{ safe_div('response_sums.sum_response_seconds / 3600.0', 'response_sums.responses_count') }} as avg_response_hours,
        coalesce(response_sums.median_response_seconds / 3600.0, 0.0) as median_response_hours,
        coalesce(response_sums.p90_response_seconds / 3600.0, 0.0) as p90_response_hours,
        {{ safe_div('response_sums.responses_within_24h', 'response_sums.responses_count') }} as responses_within_24h_ratio
    from spine
    join periods on periods.period_start = spine.period_start
    left join review_sums
        on review_sums.workspace_id = spine.workspace_id and review_sums.developer_id = spine.developer_id
       and review_sums.period_start = spine.period_start
    left join text_sums
        on text_sums.workspace_id = spine.workspace_id and text_sums.developer_id = spine.developer_id
       and text_sums.period_start = spine.period_start
    left join response_sums
        on response_sums.workspace_id = spine.workspace_id and response_sums.developer_id = spine.developer_id
       and response_sums.period_start = spine.period_start
    left join developer_snapshot
        on developer_snapshot.workspace_id = spine.workspace_id and developer_snapshot.developer_id = spine.developer_id
       and developer_snapshot.period_start = spine.period_start
)

select
    * exclude (mentoring_behaviors),
    -- most frequent first, ties by name
    list_transform(
        list_sort(list_transform(mentoring_behaviors,
                                 lambda b: struct_pack(rank := -b.count, behavior := b.behavior, count := b.count))),
        lambda b: struct_pack(behavior := b.behavior, count := b.count)
    ) as top_mentoring_behaviors
from final

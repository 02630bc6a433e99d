-- Seed membership_levels: ranks 0, 1, 2, ..., each level needing more points than the one below.
with

membership_levels as (
    select * from {{ ref('membership_levels') }}
),

ordered as (
    select
        level_rank,
        min_points,
        lag(min_points) over (order by level_rank) as previous_min_points,
        row_number() over (order by level_rank) - 1 as expected_rank
    from membership_levels
)

select *
from ordered
where
    level_rank <> expected_rank
    or min_points <= previous_min_points

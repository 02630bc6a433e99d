{#-
    The selected rfm_segment_grid preset must map every (R, F, M) cell of the
    rfm_bins^3 cube to exactly one segment, with scores within 1..rfm_bins.
-#}
{%- set bins = var_number('rfm_bins', 2, 9, integer=true) %}

with

grid as (
    select * from {{ ref('rfm_segment_grid') }}
    where grid = {{ sql_string(var_choice('rfm_segment_grid')) }}
),

cells as (
    select
        recency_score,
        frequency_score,
        monetary_score,
        count(*) as segments
    from grid
    group by recency_score, frequency_score, monetary_score
),

problems as (
    select 'cell mapped more than once' as problem
    from cells
    where segments > 1
    union all
    select 'score outside 1..{{ bins }}' as problem
    from cells
    where
        recency_score not between 1 and {{ bins }}
        or frequency_score not between 1 and {{ bins }}
        or monetary_score not between 1 and {{ bins }}
    union all
    select 'grid does not cover all {{ bins ** 3 }} cells' as problem
    from (select count(*) as cell_count from cells) as covered
    where covered.cell_count <> {{ bins ** 3 }}
)

select * from problems

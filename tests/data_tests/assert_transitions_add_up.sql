{#-
    For every scheme and period, transitions out of real segments add up to the
    customers of the earlier snapshot, transitions into real segments to the
    customers of the later one.
-#}
with

transitions as (
    select * from {{ ref('segment_transitions') }}
),

history as (
    select * from {{ ref('customer_segment_history') }}
),

snapshot_sizes as (
    select
        snapshot_date,
        count(*) as customers
    from history
    group by snapshot_date
),

period_totals as (
    select
        segmentation_scheme,
        period_start,
        period_end,
        sum(case when from_segment <> '(entered)' then customers else 0 end)
            as customers_from,
        sum(case when to_segment <> '(exited)' then customers else 0 end)
            as customers_to
    from transitions
    group by segmentation_scheme, period_start, period_end
)

select
    period_totals.segmentation_scheme,
    period_totals.period_start,
    period_totals.customers_from,
    period_totals.customers_to
from period_totals
inner join snapshot_sizes as start_sizes
    on period_totals.period_start = start_sizes.snapshot_date
inner join snapshot_sizes as end_sizes
    on period_totals.period_end = end_sizes.snapshot_date
where
    period_totals.customers_from <> start_sizes.customers
    or period_totals.customers_to <> end_sizes.customers

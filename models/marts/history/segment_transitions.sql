-- Per scheme and period: how many customers moved from each segment to each segment.
{#
    One row per (scheme, period, from segment, to segment) between consecutive
    snapshot dates of customer_segment_history. Customers new in the period come
    from '(entered)'; customers missing from the later snapshot go to '(exited)',
    so the rows of a period add up to the customers of both snapshots.
-#}
{%- set schemes = segmentation_schemes(tracked_only=true) %}

with

history as (
    select * from {{ ref('customer_segment_history') }}
),

snapshot_dates as (
    select distinct snapshot_date from history
),

periods as (
    select
        snapshot_date as period_start,
        lead(snapshot_date) over (order by snapshot_date) as period_end
    from snapshot_dates
),

labels as (
    {% for scheme in schemes %}
        select
            '{{ scheme }}' as segmentation_scheme,
            snapshot_date,
            customer_id,
            {{ scheme }} as segment,
            net_revenue
        from history
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

stayed_or_left as (
    select
        start_labels.segmentation_scheme,
        periods.period_start,
        periods.period_end,
        start_labels.segment as from_segment,
        coalesce(end_labels.segment, '(exited)') as to_segment,
        coalesce(end_labels.net_revenue, 0) as net_revenue_end,
        start_labels.net_revenue as net_revenue_start
    from periods
    inner join labels as start_labels
        on periods.period_start = start_labels.snapshot_date
    left join labels as end_labels
        on
            start_labels.segmentation_scheme = end_labels.segmentation_scheme
            and start_labels.customer_id = end_labels.customer_id
            and periods.period_end = end_labels.snapshot_date
    where periods.period_end is not null
),

entered as (
    select
        end_labels.segmentation_scheme,
        periods.period_start,
        periods.period_end,
        '(entered)' as from_segment,
        end_labels.segment as to_segment,
        end_labels.net_revenue as net_revenue_end,
        0 as net_revenue_start
    from periods
    inner join labels as end_labels
        on periods.period_end = end_labels.snapshot_date
    left join labels as start_labels
        on
            end_labels.segmentation_scheme = start_labels.segmentation_scheme
            and end_labels.customer_id = start_labels.customer_id
            and periods.period_start = start_labels.snapshot_date
    where start_labels.customer_id is null
),

moves as (
    select * from stayed_or_left
    union all
    select * from entered
),

aggregated as (
    select
        segmentation_scheme,
        period_start,
        period_end,
        from_segment,
        to_segment,
        count(*) as customers,
        sum(net_revenue_start) as net_revenue_at_start,
        sum(net_revenue_end) as net_revenue_at_end
    from moves
    group by
        segmentation_scheme, period_start, period_end, from_segment, to_segment
),

shared as (
    select
        aggregated.*,
        cast(customers as {{ type_double() }})
        / sum(customers) over (
            partition by segmentation_scheme, period_start, from_segment
        ) as share_of_from_segment
    from aggregated
)

select * from shared

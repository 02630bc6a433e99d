{#- In segment_summary, every scheme's segments add up to all customers of customer_segments. -#}
with

segment_summary as (
    select * from {{ ref('segment_summary') }}
),

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

scheme_totals as (
    select
        segmentation_scheme,
        sum(customers) as customers,
        sum(net_revenue) as net_revenue
    from segment_summary
    group by segmentation_scheme
),

overall as (
    select
        count(*) as customers,
        sum(net_revenue) as net_revenue
    from customer_segments
)

select scheme_totals.*
from scheme_totals
cross join overall
where
    scheme_totals.customers <> overall.customers
    or scheme_totals.net_revenue <> overall.net_revenue

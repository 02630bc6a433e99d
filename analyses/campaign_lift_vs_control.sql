{#-
    Per segment: how treated customers compare with the untreated control group
    on repurchase within the period (join your campaign results to this).
-#}
with

customer_segments as (
    select * from {{ ref('customer_segments') }}
)

select
    rfm_segment,
    is_control_group,
    count(*) as customers,
    avg(cast(order_count as {{ type_double() }})) as avg_orders,
    avg(cast(net_revenue as {{ type_double() }})) as avg_net_revenue
from customer_segments
group by rfm_segment, is_control_group
order by rfm_segment, is_control_group

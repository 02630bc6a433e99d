-- Per scheme and segment: size, revenue, shares, AOV, recency, churn, CLV and playbook goal.
{#
    avg_predicted_clv and avg_p_alive average customer_predictions over the segment's
    customers that have one, summed as exact decimals so that the result does not depend
    on the order rows are added in (threads).
#}
{% set schemes = segmentation_schemes() %}

with

customer_segments_only as (
    select * from {{ ref('customer_segments') }}
),

customer_predictions as (
    select * from {{ ref('customer_predictions') }}
),

customer_segments as (
    select
        customer_segments_only.*,
        cast(customer_predictions.p_alive as decimal(38, 15)) as p_alive_exact,
        cast(customer_predictions.predicted_clv as decimal(38, 9)) as predicted_clv_exact
    from customer_segments_only
    left join customer_predictions
        on customer_segments_only.customer_id = customer_predictions.customer_id
),

segment_playbook as (
    select * from {{ ref('segment_playbook') }}
),

totals as (
    select
        count(*) as total_customers,
        sum(net_revenue) as total_net_revenue
    from customer_segments
),

segments_aggregated as (
    {% for scheme in schemes %}
        select
            '{{ scheme }}' as segmentation_scheme,
            {{ scheme }} as segment,
            count(*) as customers,
            sum(net_revenue) as net_revenue,
            sum(gross_revenue) as gross_revenue,
            sum(order_count) as order_count,
            sum(recency_days) as recency_days_sum,
            count(recency_days) as buyers,
            {{ count_where('purchase_days >= 2') }} as repeat_customers,
            {{ count_where("lifecycle_stage = 'churned'") }} as churned_customers,
            {{ count_where("lifecycle_stage in ('dormant', 'churned')") }}
                as dormant_or_churned_customers,
            {{ count_where("churn_risk = 'high'") }}
                as high_churn_risk_customers,
            {{ count_where('is_control_group') }} as control_group_customers,
            sum(predicted_clv_exact) as predicted_clv_sum,
            count(predicted_clv_exact) as predicted_clv_customers,
            sum(p_alive_exact) as p_alive_sum,
            count(p_alive_exact) as p_alive_customers
        from customer_segments
        group by {{ scheme }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

kpis as (
    select
        segments_aggregated.segmentation_scheme,
        segments_aggregated.segment,
        segment_playbook.segment_rank,
        segments_aggregated.customers,
        cast(segments_aggregated.customers as {{ type_double() }})
        / totals.total_customers as share_of_customers,
        segments_aggregated.net_revenue,
        case
            when totals.total_net_revenue <> 0
                then
                    cast(segments_aggregated.net_revenue as {{ type_double() }})
                    / cast(totals.total_net_revenue as {{ type_double() }})
        end as share_of_revenue,
        case
            when segments_aggregated.order_count > 0
                then
                    cast(segments_aggregated.gross_revenue as {{ type_double() }})
                    / segments_aggregated.order_count
        end as avg_order_value,
        case
            when segments_aggregated.buyers > 0
                then
                    cast(segments_aggregated.recency_days_sum as {{ type_double() }})
                    / segments_aggregated.buyers
        end as avg_recency_days,
        case
            when segments_aggregated.buyers > 0
                then
                    cast(segments_aggregated.repeat_customers as {{ type_double() }})
                    / segments_aggregated.buyers
        end as repurchase_rate,
        cast(segments_aggregated.churned_customers as {{ type_double() }})
        / segments_aggregated.customers as churn_rate,
        cast(segments_aggregated.dormant_or_churned_customers as {{ type_double() }})
        / segments_aggregated.customers as dormant_or_churned_share,
        cast(segments_aggregated.high_churn_risk_customers as {{ type_double() }})
        / segments_aggregated.customers as high_churn_risk_share,
        cast(segments_aggregated.net_revenue as {{ type_double() }})
        / segments_aggregated.customers as avg_historic_clv,
        segments_aggregated.control_group_customers,
        case
            when segments_aggregated.predicted_clv_customers > 0
                then
                    cast(segments_aggregated.predicted_clv_sum as {{ type_double() }})
                    / segments_aggregated.predicted_clv_customers
        end as avg_predicted_clv,
        case
            when segments_aggregated.p_alive_customers > 0
                then
                    cast(segments_aggregated.p_alive_sum as {{ type_double() }})
                    / segments_aggregated.p_alive_customers
        end as avg_p_alive,
        segment_playbook.goal as segment_goal,
        segment_playbook.target_kpi,
        segment_playbook.recommended_action
    from segments_aggregated
    cross join totals
    left join segment_playbook
        on
            segments_aggregated.segmentation_scheme = segment_playbook.scheme
            and segments_aggregated.segment = segment_playbook.segment
)

select * from kpis

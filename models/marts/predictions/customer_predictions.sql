-- One row per customer: P(alive), expected purchases, expected spend per purchase, predicted CLV.
{#
    BG/NBD + Gamma-Gamma scores from the parameters in btyd_model_parameters (time in
    days). predicted_clv follows lifetimes' customer_lifetime_value: over
    clv_horizon_months months of 30 days, month i's expected purchases times the expected
    spend, discounted by (1 + clv_monthly_discount_rate)^i, times clv_profit_margin.
#}
{%- set horizons = btyd_prediction_horizons() -%}
{%- set months = var_number('clv_horizon_months', 1, 120, integer=true) -%}
{%- set discount = var_number('clv_monthly_discount_rate', 0, 1) -%}
{%- set margin = var_number('clv_profit_margin', 0, 1) -%}
{%- set curve_days = btyd_curve_horizons() %}

with

parameters as (
    {{ btyd_parameters_row(ref('btyd_model_parameters')) }}
),

customer_features as (
    select * from {{ ref('customer_features') }}
),

purchase_curves as (
    select * from {{ ref('int_btyd_purchase_curves') }}
),

curves_pivoted as (
    select
        repeat_purchase_days,
        customer_age_days,
        {% for days in curve_days %}
            max(
                case
                    when horizon_days = {{ days }} then expected_purchases_if_alive
                end
            ) as if_alive_{{ days }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from purchase_curves
    group by repeat_purchase_days, customer_age_days
),

joined as (
    select
        customer_features.customer_id,
        customer_features.as_of_date,
        customer_features.is_buyer,
        customer_features.repeat_purchase_days,
        customer_features.avg_repeat_purchase_value,
        parameters.gg_q,
        {{ btyd_p_alive(
            'customer_features.repeat_purchase_days',
            'customer_features.btyd_recency_days',
            'customer_features.customer_age_days') }} as p_alive,
        {{ gamma_gamma_expected_spend(
            'customer_features.repeat_purchase_days',
            'customer_features.avg_repeat_purchase_value') }} as expected_avg_order_value,
        {% for days in curve_days %}
            curves_pivoted.if_alive_{{ days }},
        {% endfor %}
        parameters.btyd_r is not null as has_bg_nbd
    from customer_features
    cross join parameters
    left join curves_pivoted
        on
            customer_features.repeat_purchase_days = curves_pivoted.repeat_purchase_days
            and customer_features.customer_age_days = curves_pivoted.customer_age_days
),

scored as (
    select
        customer_id,
        as_of_date,
        case when is_buyer and has_bg_nbd then p_alive end as p_alive,
        {% for days in horizons %}
            case
                when is_buyer and has_bg_nbd then p_alive * if_alive_{{ days }}
            end as expected_purchases_next_{{ days }}_days,
        {% endfor %}
        case
            when is_buyer and has_bg_nbd then expected_avg_order_value
        end as expected_avg_order_value,
        case
            when is_buyer and has_bg_nbd
                then
                    {{ margin }} * expected_avg_order_value * p_alive * (
                        {%- for month in range(1, months + 1) %}
                            {% if not loop.first %}+ {% endif -%}
                            {%- if month == 1 -%}
                                if_alive_30 / power(1 + {{ discount }}, 1)
                            {%- else -%}
                                (if_alive_{{ month * 30 }} - if_alive_{{ (month - 1) * 30 }})
                                / power(1 + {{ discount }}, {{ month }})
                            {%- endif -%}
                        {%- endfor %}
                    )
        end as predicted_clv,
        case
            when not is_buyer then 'prospect'
            when not has_bg_nbd then 'no_parameters'
            when expected_avg_order_value is null and gg_q is null then 'no_spend_parameters'
            when expected_avg_order_value is null then 'spend_not_modelled'
            else 'scored'
        end as prediction_status
    from joined
)

select * from scored

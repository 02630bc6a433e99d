-- Per customer: churn early-warning signals and the resulting risk level.
{#
    Churn early warning: each signal is a rule over customer_features (see
    macro churn_risk_signals); churn_risk is high with at least
    churn_high_min_signals signals, medium with one, low with none.
-#}
{%- set signals = churn_risk_signals() -%}
{%- set high_min = var_number('churn_high_min_signals', 1, integer=true) -%}
{%- set signal_count -%}
    {%- for code, condition in signals -%}
        has_{{ code }}{% if not loop.last %} + {% endif %}
    {%- endfor -%}
{%- endset %}

with

customer_features_only as (
    select * from {{ ref('customer_features') }}
),

customer_predictions as (
    select * from {{ ref('customer_predictions') }}
),

customer_features as (
    {#- p_alive for the optional unlikely_alive signal (var churn_p_alive_below) -#}
    select
        customer_features_only.*,
        customer_predictions.p_alive
    from customer_features_only
    left join customer_predictions
        on customer_features_only.customer_id = customer_predictions.customer_id
),

signals as (
    select
        {% for code, condition in signals %}
            case when {{ condition }} then 1 else 0 end as has_{{ code }},
        {% endfor %}
        customer_id
    from customer_features
),

counted as (
    select
        signals.*,
        {{ signal_count }} as churn_signal_count,
        {{ dbt.concat(churn_reason_pieces(signals)) }} as reason_list
    from signals
),

classified as (
    select
        customer_id,
        churn_signal_count,
        case
            when churn_signal_count >= {{ high_min }} then 'high'
            when churn_signal_count >= 1 then 'medium'
            else 'low'
        end as churn_risk,
        case
            when reason_list = '' then 'none'
            else {{ dbt.right('reason_list', dbt.length('reason_list') ~ ' - 1') }}
        end as churn_risk_reasons
    from counted
)

select * from classified

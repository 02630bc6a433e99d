{#
    The churn early-warning signals as (code, boolean SQL over customer_features
    columns), thresholds from vars. Order here is the order of churn_risk_reasons.
    unlikely_alive (P(alive) of customer_predictions below churn_p_alive_below) is on only
    when that var is above 0 (macro churn_uses_p_alive).
#}
{% macro churn_risk_signals() %}
    {%- set overdue_factor = var_number('churn_overdue_factor', 0) -%}
    {%- set single_days = var_number('churn_single_purchase_overdue_days', 0, integer=true) -%}
    {%- set visit_ratio = var_number('churn_visit_drop_ratio', 0, 1) -%}
    {%- set visit_min = var_number('churn_visit_min_previous', 1, integer=true) -%}
    {%- set complaints_min = var_number('churn_complaints_threshold', 1, integer=true) -%}
    {%- set spend_ratio = var_number('churn_spend_drop_ratio', 0, 1) -%}
    {#- overdue: recency > factor * mean gap, in exact arithmetic as
        recency * (purchase_days - 1) > factor * (last - first purchase day) -#}
    {%- set signals = [
        ('overdue',
            '(purchase_days >= 2 and recency_days * (purchase_days - 1) > '
            ~ overdue_factor ~ ' * btyd_recency_days)'
            ~ ' or (purchase_days = 1 and recency_days > ' ~ single_days ~ ')'),
        ('falling_visits',
            'visits_previous_60_days >= ' ~ visit_min
            ~ ' and 2 * visits_last_30_days < ' ~ visit_ratio ~ ' * visits_previous_60_days'),
        ('recent_complaints', 'complaints_last_90_days >= ' ~ complaints_min),
        ('falling_spend',
            'spend_previous_90_days > 0 and spend_last_90_days < '
            ~ spend_ratio ~ ' * spend_previous_90_days'),
    ] -%}
    {%- if churn_uses_p_alive() -%}
        {%- do signals.append(
            ('unlikely_alive', 'p_alive < ' ~ var_number('churn_p_alive_below', 0, 1))) -%}
    {%- endif -%}
    {{ return(signals) }}
{% endmacro %}


{# Whether the churn signals include P(alive) (var churn_p_alive_below above 0). #}
{% macro churn_uses_p_alive() %}
    {{ return(var_number('churn_p_alive_below', 0, 1) > 0) }}
{% endmacro %}

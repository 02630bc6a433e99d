{#
    The three RFM dimensions as (dimension, customer_features column, higher is
    better), from vars rfm_recency_measure / rfm_frequency_measure /
    rfm_monetary_measure, checked against the feature columns that are never
    null for a buyer.
#}
{% macro rfm_dimensions() %}
    {%- set allowed = [
        'recency_days', 'btyd_recency_days',
        'order_count', 'purchase_days', 'repeat_purchase_days',
        'net_revenue', 'gross_revenue', 'avg_order_value',
        'avg_repeat_purchase_value', 'spend_last_90_days'
    ] -%}
    {%- set dimensions = [
        ('recency', var_choice('rfm_recency_measure', allowed), false),
        ('frequency', var_choice('rfm_frequency_measure', allowed), true),
        ('monetary', var_choice('rfm_monetary_measure', allowed), true),
    ] -%}
    {{ return(dimensions) }}
{% endmacro %}

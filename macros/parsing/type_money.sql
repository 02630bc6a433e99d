{# The exact decimal type money is carried in end to end (raw amounts and sums). #}
{% macro type_money() %}
    {{ return(adapter.dispatch('type_money', 'customer_segmentation')()) }}
{% endmacro %}

{% macro default__type_money() -%}
    decimal(18, 4)
{%- endmacro %}

{# The exact decimal type money is carried in end to end (raw amounts and sums). #}
{% macro type_money() %}
    {{ return(adapter.dispatch('type_money', 'customer_segmentation')()) }}
{% endmacro %}

{% macro default__type_money() -%}
    decimal(18, 4)
{%- endmacro %}

{# The decimal type of money sums and of values derived from them (38 digits: no sum of amounts below money_limit() can overflow it). #}
{% macro type_money_sum() %}
    {{ return(adapter.dispatch('type_money_sum', 'customer_segmentation')()) }}
{% endmacro %}

{% macro default__type_money_sum() -%}
    decimal(38, 4)
{%- endmacro %}

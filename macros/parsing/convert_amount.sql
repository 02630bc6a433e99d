{# An amount times an exchange rate, rounded back to the money type (half away from zero). #}
{% macro convert_amount(amount, rate) -%}
    cast({{ amount }} * {{ rate }} as {{ type_money() }})
{%- endmacro %}

{# Round a floating-point expression to `decimals` places (Postgres has no round(double, int)). #}
{% macro round_double(expr, decimals) %}
    {{ return(adapter.dispatch('round_double', 'customer_segmentation')(expr, decimals)) }}
{% endmacro %}

{% macro default__round_double(expr, decimals) -%}
    round({{ expr }}, {{ decimals }})
{%- endmacro %}

{% macro postgres__round_double(expr, decimals) -%}
    cast(round(cast({{ expr }} as numeric), {{ decimals }}) as double precision)
{%- endmacro %}

{# A 64-bit floating-point type on every engine (dbt.type_float() is 32-bit on some). #}
{% macro type_double() %}
    {{ return(adapter.dispatch('type_double', 'customer_segmentation')()) }}
{% endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}

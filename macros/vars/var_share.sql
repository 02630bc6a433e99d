{# Var `name` as a share in [0, 1], rendered as parts per million (an integer) for exact comparisons. #}
{% macro var_share_ppm(name) %}
    {%- set share = var_number(name, 0, 1) -%}
    {{ return((share * 1000000) | round | int) }}
{% endmacro %}

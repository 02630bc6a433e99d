{# Portable conditional count as a bigint (count_if and sum(boolean) are not portable). #}
{% macro count_where(condition) -%}
    cast(sum(case when {{ condition }} then 1 else 0 end) as {{ dbt.type_bigint() }})
{%- endmacro %}

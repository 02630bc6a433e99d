{# True when a UTC timestamp falls on a day after the (UTC) day this dbt run started. #}
{% macro is_future_dated(timestamp_expr) -%}
    cast({{ timestamp_expr }} as date)
    > cast('{{ run_started_at.strftime("%Y-%m-%d") }}' as date)
{%- endmacro %}

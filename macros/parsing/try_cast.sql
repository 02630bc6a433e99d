{# Cast text to a type, giving null instead of an error when it cannot be cast. #}
{% macro try_cast(text_expr, type_name) %}
    {{ return(adapter.dispatch('try_cast', 'customer_segmentation')(text_expr, type_name)) }}
{% endmacro %}

{% macro default__try_cast(text_expr, type_name) -%}
    {{ dbt.safe_cast(text_expr, type_name) }}
{%- endmacro %}

{% macro duckdb__try_cast(text_expr, type_name) -%}
    {#- dbt-duckdb's safe_cast renders a plain cast, which raises on bad input -#}
    try_cast({{ text_expr }} as {{ type_name }})
{%- endmacro %}

{% macro postgres__try_cast(text_expr, type_name) -%}
    {#- postgres has no try_cast: numbers only, guarded by their shape -#}
    case
        when {{ text_expr }} ~ '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$'
            then cast({{ text_expr }} as {{ type_name }})
    end
{%- endmacro %}

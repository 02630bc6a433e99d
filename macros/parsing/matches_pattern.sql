{# True when the whole text matches a regular expression (POSIX-style classes only, for portability). #}
{% macro matches_pattern(text_expr, pattern) %}
    {{ return(adapter.dispatch('matches_pattern', 'customer_segmentation')(
        text_expr, pattern)) }}
{% endmacro %}

{% macro default__matches_pattern(text_expr, pattern) -%}
    regexp_like({{ text_expr }}, '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__matches_pattern(text_expr, pattern) -%}
    regexp_full_match({{ text_expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__matches_pattern(text_expr, pattern) -%}
    ({{ text_expr }} ~ '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro spark__matches_pattern(text_expr, pattern) -%}
    ({{ text_expr }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro bigquery__matches_pattern(text_expr, pattern) -%}
    regexp_contains({{ text_expr }}, r'^(?:{{ pattern }})$')
{%- endmacro %}

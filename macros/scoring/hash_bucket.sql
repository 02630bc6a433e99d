{# A stable integer in [0, 2^32) from the md5 of a text expression, equal on every engine. #}
{% macro hash_bucket(text_expr) %}
    {{ return(adapter.dispatch('hash_bucket', 'customer_segmentation')(text_expr)) }}
{% endmacro %}

{% macro default__hash_bucket(text_expr) -%}
    cast(('0x' || substr(md5({{ text_expr }}), 1, 8)) as bigint)
{%- endmacro %}

{% macro postgres__hash_bucket(text_expr) -%}
    ('x' || lpad(substr(md5({{ text_expr }}), 1, 8), 16, '0'))::bit(64)::bigint
{%- endmacro %}

{% macro spark__hash_bucket(text_expr) -%}
    cast(conv(substr(md5({{ text_expr }}), 1, 8), 16, 10) as bigint)
{%- endmacro %}

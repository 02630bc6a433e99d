{# The business calendar day (var business_timezone) of a UTC timestamp. #}
{% macro to_business_date(timestamp_expr) %}
    {%- set tz = var_timezone() -%}
    {%- if tz in ['UTC', 'Etc/UTC'] -%}
        {{ return('cast(' ~ timestamp_expr ~ ' as date)') }}
    {%- endif -%}
    {{ return(adapter.dispatch('to_business_date', 'customer_segmentation')(
        timestamp_expr, tz)) }}
{% endmacro %}

{% macro default__to_business_date(timestamp_expr, tz) %}
    cast(convert_timezone('UTC', '{{ tz }}', {{ timestamp_expr }}) as date)
{% endmacro %}

{% macro duckdb__to_business_date(timestamp_expr, tz) %}
    cast(timezone('{{ tz }}', timezone('UTC', {{ timestamp_expr }})) as date)
{% endmacro %}

{% macro postgres__to_business_date(timestamp_expr, tz) %}
    cast(({{ timestamp_expr }} at time zone 'UTC') at time zone '{{ tz }}' as date)
{% endmacro %}

{% macro spark__to_business_date(timestamp_expr, tz) %}
    cast(from_utc_timestamp({{ timestamp_expr }}, '{{ tz }}') as date)
{% endmacro %}

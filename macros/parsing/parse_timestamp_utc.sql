{#
    Parse ISO-8601 text to a UTC timestamp without time zone; null when it
    cannot be parsed. Text without an offset is taken as UTC.
#}
{% macro parse_timestamp_utc(text_expr) %}
    {%- set parsed = adapter.dispatch('parse_timestamp_utc', 'customer_segmentation')(
        text_expr) -%}
    {#- only the contract's ISO-8601 shapes; engines' own leniency (2024-1-1, T24:00) is refused -#}
    {{ return(
        'case when ' ~ matches_pattern(text_expr, contract_pattern('timestamp'))
        ~ ' then ' ~ parsed ~ ' end') }}
{% endmacro %}

{% macro default__parse_timestamp_utc(text_expr) %}
    {{ dbt.safe_cast(text_expr, dbt.type_timestamp()) }}
{% endmacro %}

{% macro duckdb__parse_timestamp_utc(text_expr) %}
    {#- timestamptz honours an offset or Z; timezone('UTC', ...) drops the zone -#}
    timezone('UTC', try_cast({{ text_expr }} as timestamptz))
{% endmacro %}

{% macro postgres__parse_timestamp_utc(text_expr) %}
    {#- the shape is checked by parse_timestamp_utc; an impossible date still raises -#}
    ({{ text_expr }})::timestamptz at time zone 'UTC'
{% endmacro %}

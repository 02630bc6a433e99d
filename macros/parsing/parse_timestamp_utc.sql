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
    {#- with Z or an offset: an instant, shown in UTC; without: already UTC, so it
        is read as a plain timestamp and the session time zone never applies -#}
    case
        when {{ matches_pattern(text_expr, '.*(Z|[+-][0-9]{2}:[0-9]{2})') }}
            then timezone('UTC', try_cast({{ text_expr }} as timestamptz))
        else try_cast({{ text_expr }} as timestamp)
    end
{% endmacro %}

{% macro postgres__parse_timestamp_utc(text_expr) %}
    {#- the shape is checked by parse_timestamp_utc; an impossible date still raises -#}
    case
        when {{ matches_pattern(text_expr, '.*(Z|[+-][0-9]{2}:[0-9]{2})') }}
            then ({{ text_expr }})::timestamptz at time zone 'UTC'
        else ({{ text_expr }})::timestamp
    end
{% endmacro %}

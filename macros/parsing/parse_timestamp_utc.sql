{#
    Parse ISO-8601 text to a UTC timestamp without time zone; null when it
    cannot be parsed. Text without an offset is taken as UTC.
#}
{% macro parse_timestamp_utc(text_expr) %}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'customer_segmentation')(
        text_expr)) }}
{% endmacro %}

{% macro default__parse_timestamp_utc(text_expr) %}
    {{ dbt.safe_cast(text_expr, dbt.type_timestamp()) }}
{% endmacro %}

{% macro duckdb__parse_timestamp_utc(text_expr) %}
    {#- timestamptz honours an offset or Z; timezone('UTC', ...) drops the zone -#}
    timezone('UTC', try_cast({{ text_expr }} as timestamptz))
{% endmacro %}

{% macro postgres__parse_timestamp_utc(text_expr) %}
    {#- postgres has no try_cast: guard with a shape check, then cast -#}
    case
        when {{ text_expr }} ~ '^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$'
            then ({{ text_expr }})::timestamptz at time zone 'UTC'
    end
{% endmacro %}

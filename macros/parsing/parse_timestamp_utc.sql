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
        is read as a plain timestamp and the session time zone never applies. The
        text has the contract's shape (parse_timestamp_utc checked it), so an offset
        is a final Z or a sign six characters from the end after the time of day: no
        second regex (1.3-1.9 s less per 30M values, BENCHMARKS.md) -#}
    {%- set sign = 'substring(' ~ text_expr ~ ', length(' ~ text_expr ~ ') - 5, 1)' %}
    case
        when suffix({{ text_expr }}, 'Z')
            or (length({{ text_expr }}) > 19 and ({{ sign }} = '+' or {{ sign }} = '-'))
            then timezone('UTC', try_cast({{ text_expr }} as timestamptz))
        else try_cast({{ text_expr }} as timestamp)
    end
{% endmacro %}

{% macro postgres__parse_timestamp_utc(text_expr) %}
    {#- the shape is checked by parse_timestamp_utc; a cast of an impossible date
        (2024-02-30, year 0) would raise, so the calendar is checked first -#}
    case
        when not ({{ is_calendar_date(text_expr) }}) then null
        when {{ matches_pattern(text_expr, '.*(Z|[+-][0-9]{2}:[0-9]{2})') }}
            then ({{ text_expr }})::timestamptz at time zone 'UTC'
        else ({{ text_expr }})::timestamp
    end
{% endmacro %}

{% macro spark__parse_timestamp_utc(text_expr) %}
    {#- Spark reads an offset as an instant and shows it in the session time zone,
        which the profile pins to UTC; no offset = session time zone = UTC -#}
    try_cast({{ text_expr }} as timestamp)
{% endmacro %}

{#
    True when text starting YYYY-MM-DD names a real day (year >= 1, month 1-12,
    day within the month, leap years). Portable SQL for engines whose cast raises
    instead of returning null; call it only on text of the contract's shape.
#}
{% macro is_calendar_date(text_expr) %}
    {%- set year = 'cast(substring(' ~ text_expr ~ ', 1, 4) as integer)' -%}
    {%- set month = 'cast(substring(' ~ text_expr ~ ', 6, 2) as integer)' -%}
    {%- set day = 'cast(substring(' ~ text_expr ~ ', 9, 2) as integer)' -%}
    ({{ year }} >= 1 and {{ month }} between 1 and 12 and {{ day }} between 1 and
        case
            when {{ month }} = 2 and mod({{ year }}, 4) = 0
                and (mod({{ year }}, 100) <> 0 or mod({{ year }}, 400) = 0) then 29
            when {{ month }} = 2 then 28
            when {{ month }} in (4, 6, 9, 11) then 30
            else 31
        end)
{% endmacro %}

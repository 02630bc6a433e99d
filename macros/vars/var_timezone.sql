{#
    Var business_timezone after checking, when the run reaches the database,
    that the engine knows the zone (its list of IANA names): a misspelt zone
    stops the run naming the var, before any model uses it.
#}
{% macro var_timezone() %}
    {%- set tz = var_choice('business_timezone') -%}
    {%- if execute and tz not in ['UTC', 'Etc/UTC'] -%}
        {%- set known = adapter.dispatch('timezone_is_known', 'customer_segmentation')(tz) -%}
        {%- if not known -%}
            {{ exceptions.raise_compiler_error(
                "var 'business_timezone' must be an IANA time zone the engine knows "
                ~ "(e.g. Europe/Berlin, America/New_York), got '" ~ tz ~ "'") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(tz) }}
{% endmacro %}

{% macro default__timezone_is_known(tz) %}
    {%- set found = run_query(
        "select count(*) from pg_timezone_names where name = '" ~ tz ~ "'") -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{% endmacro %}

{% macro duckdb__timezone_is_known(tz) %}
    {%- set found = run_query(
        "select count(*) from pg_timezone_names() where name = '" ~ tz ~ "'") -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{% endmacro %}

{% macro spark__timezone_is_known(tz) %}
    {#- Spark has no zone list in SQL: a zone it does not know makes this null -#}
    {%- set found = run_query(
        "select from_utc_timestamp(timestamp'2024-01-01 00:00:00', '" ~ tz ~ "') is not null") -%}
    {{ return(found.columns[0].values()[0]) }}
{% endmacro %}

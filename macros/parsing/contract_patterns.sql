{# The text shapes the raw-data contract accepts: ISO-8601 timestamps (year 0001 or later; an offset only after a time) and plain decimals. #}
{% macro contract_pattern(kind) %}
    {%- set patterns = {
        'decimal': '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)',
        'timestamp': '(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})'
            ~ '-[0-9]{2}-[0-9]{2}'
            ~ '([ T]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+)?'
            ~ '(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])?)?',
    } -%}
    {%- if kind not in patterns -%}
        {{ exceptions.raise_compiler_error("contract_pattern: unknown kind '" ~ kind ~ "'") }}
    {%- endif -%}
    {{ return(patterns[kind]) }}
{% endmacro %}

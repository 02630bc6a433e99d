{# Return var `name` as a validated YYYY-MM-DD string (none when unset and allow_null). #}
{% macro var_date(name, allow_null=false) %}
    {{ return(checked_date("var '" ~ name ~ "'", var(name), allow_null)) }}
{% endmacro %}

{# `value` as a validated YYYY-MM-DD string (none when empty and allow_null); `label` names it in errors. #}
{% macro checked_date(label, value, allow_null=false) %}
    {%- if value is none or (value is string and value | trim == '') -%}
        {%- if allow_null -%}
            {{ return(none) }}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(
            label ~ " is required and must be a date YYYY-MM-DD") }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{ exceptions.raise_compiler_error(
            label ~ " must be a date YYYY-MM-DD, got '" ~ text ~ "'") }}
    {%- endif -%}
    {%- set year = text[0:4] | int -%}
    {%- set month = text[5:7] | int -%}
    {%- set day = text[8:10] | int -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if month < 1 or month > 12 or day < 1 or day > month_days[month - 1] -%}
        {{ exceptions.raise_compiler_error(
            label ~ " is not a calendar date: '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text) }}
{% endmacro %}

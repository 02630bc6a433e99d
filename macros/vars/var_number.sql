{# Return var `name` as a validated number within [min_value, max_value]. #}
{% macro var_number(name, min_value=none, max_value=none, integer=false) %}
    {%- set value = var(name) -%}
    {%- set text = value | string | trim -%}
    {%- set pattern = '-?[0-9]+' if integer else '-?[0-9]+(\\.[0-9]+)?' -%}
    {%- if value is boolean or not modules.re.fullmatch(pattern, text) -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' must be " ~ ('an integer' if integer else 'a number')
            ~ ", got '" ~ text ~ "'") }}
    {%- endif -%}
    {%- set number = text | int if integer else text | float -%}
    {%- if min_value is not none and number < min_value -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' must be >= " ~ min_value ~ ", got " ~ text) }}
    {%- endif -%}
    {%- if max_value is not none and number > max_value -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' must be <= " ~ max_value ~ ", got " ~ text) }}
    {%- endif -%}
    {{ return(number) }}
{% endmacro %}

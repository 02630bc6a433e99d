{# Return var `name` after checking it is one of `choices` (or matches an identifier when choices is none). #}
{% macro var_choice(name, choices=none) %}
    {%- set text = var(name) | string | trim -%}
    {%- if choices is not none and text not in choices -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' must be one of " ~ (choices | join(', '))
            ~ ", got '" ~ text ~ "'") }}
    {%- endif -%}
    {%- if not modules.re.fullmatch('[A-Za-z0-9_./:+ -]+', text) -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' contains characters that are not allowed: '"
            ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text) }}
{% endmacro %}

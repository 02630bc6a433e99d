{#
    Var `name` as a boolean, whatever spelling arrived: a YAML boolean from
    --vars or dbt_project.yml, or text (true/false, yes/no, on/off, 1/0, any
    case) as a scheduler may pass it. Anything else stops the run naming the
    var.
#}
{% macro var_bool(name, default=none) %}
    {%- set value = var(name, default) -%}
    {%- if value is sameas true or value is sameas false -%}
        {{ return(value) }}
    {%- endif -%}
    {%- set text = value | string | trim | lower -%}
    {%- if text in ['true', 'yes', 'on', '1'] -%}
        {{ return(true) }}
    {%- elif text in ['false', 'no', 'off', '0'] -%}
        {{ return(false) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "var '" ~ name ~ "' must be true or false (also yes/no, on/off, 1/0), got '"
        ~ value ~ "'") }}
{% endmacro %}

{#
    Salted hash of a PII column, or null when no salt is configured (env var
    CUSTSEG_PII_SALT). Raw e-mail and phone never reach a mart.
#}
{% macro pii_hash(column) -%}
    {%- set salt = env_var('CUSTSEG_PII_SALT', '') -%}
    {%- if salt == '' -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        case
            when {{ column }} is not null
                then {{ dbt.hash(dbt.concat([sql_string(salt), column])) }}
        end
    {%- endif -%}
{%- endmacro %}

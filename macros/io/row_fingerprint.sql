{# A hash of every raw contract column of a row (columns <prefix><name>; blank = missing), to tell re-deliveries from conflicts. #}
{% macro row_fingerprint(table_name, prefix='') %}
    {%- set parts = [] -%}
    {%- for column in raw_contract_columns(table_name) -%}
        {%- do parts.append("coalesce(" ~ prefix ~ column ~ ", '<null>')") -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ return(dbt.hash(dbt.concat(parts))) }}
{% endmacro %}

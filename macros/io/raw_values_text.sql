{#
    One text value showing a raw row for the quarantine ("col=value | ...").
    Columns in `masked` (PII) show only whether they were present; in the
    others, whatever looks like an e-mail address or a phone number is
    redacted (redact_pii). Columns are read as <prefix><name>.
#}
{% macro raw_values_text(table_name, masked=[], prefix='') %}
    {%- set parts = [] -%}
    {%- for column in raw_contract_columns(table_name) -%}
        {%- if column in masked -%}
            {%- set value = "case when " ~ prefix ~ column ~ " is null then '' else '<redacted>' end" -%}
        {%- else -%}
            {%- set value = redact_pii("coalesce(" ~ prefix ~ column ~ ", '')") -%}
        {%- endif -%}
        {%- do parts.append("'" ~ (' | ' if not loop.first else '') ~ column ~ "='") -%}
        {%- do parts.append(value) -%}
    {%- endfor -%}
    {{ return(dbt.concat(parts)) }}
{% endmacro %}

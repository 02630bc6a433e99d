{#
    Personal data outside its columns. pii_pattern: what looks like an e-mail
    address (x@y.z) or a phone number (a + and 7 or more digits, or the
    (555) 555-0100 shape). looks_like_pii: a text value holding one, to null it
    in a column that must not carry PII. redact_pii: the text with each one
    replaced by <redacted>, for quarantine raw values.
#}
{% macro pii_pattern() %}
    {{ return('[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+[.][A-Za-z]{2,}'
        ~ '|[+][0-9][0-9 ()./-]{5,}[0-9]'
        ~ '|[(]?[0-9]{3}[)]?[ .-][0-9]{3}[ .-][0-9]{4}') }}
{% endmacro %}

{% macro looks_like_pii(text_expr) %}
    {{ return(adapter.dispatch('looks_like_pii', 'customer_segmentation')(text_expr)) }}
{% endmacro %}

{% macro default__looks_like_pii(text_expr) %}
    {{ return(matches_pattern(text_expr, '.*(' ~ pii_pattern() ~ ').*')) }}
{% endmacro %}

{% macro duckdb__looks_like_pii(text_expr) %}
    {{ return('regexp_matches(' ~ text_expr ~ ", '" ~ pii_pattern() ~ "')") }}
{% endmacro %}

{% macro redact_pii(text_expr) %}
    {{ return(adapter.dispatch('redact_pii', 'customer_segmentation')(text_expr)) }}
{% endmacro %}

{% macro default__redact_pii(text_expr) -%}
    regexp_replace({{ text_expr }}, '{{ pii_pattern() }}', '<redacted>', 'g')
{%- endmacro %}

{% macro spark__redact_pii(text_expr) -%}
    regexp_replace({{ text_expr }}, '{{ pii_pattern() }}', '<redacted>')
{%- endmacro %}

{# `normalized` (an expression of raw column `column`), or null when the raw value looks like PII: such values never reach a mart. #}
{% macro pii_nulled(normalized, column) %}
    {{ return('case when ' ~ looks_like_pii(column) ~ ' then null else ' ~ normalized ~ ' end') }}
{% endmacro %}

{# True when any of the raw text columns looks like PII (pii_nulled nulled it); false otherwise. #}
{% macro pii_found(raw_columns) %}
    {%- set checks = [] -%}
    {%- for column in raw_columns -%}
        {%- do checks.append('coalesce(' ~ looks_like_pii(column) ~ ', false)') -%}
    {%- endfor -%}
    {{ return('(' ~ checks | join(' or ') ~ ')') }}
{% endmacro %}

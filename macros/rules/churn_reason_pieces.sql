{# For each churn signal, ",<code>" when it fires and '' otherwise (concatenated into churn_risk_reasons). #}
{% macro churn_reason_pieces(signals) %}
    {%- set pieces = [] -%}
    {%- for code, condition in signals -%}
        {%- do pieces.append(
            "case when has_" ~ code ~ " = 1 then '," ~ code ~ "' else '' end") -%}
    {%- endfor -%}
    {{ return(pieces) }}
{% endmacro %}

{# Ordinal of a churn_risk level: low 1, medium 2, high 3 (null otherwise). #}
{% macro churn_risk_rank(level_expr) -%}
    case {{ level_expr }}
        when 'low' then 1
        when 'medium' then 2
        when 'high' then 3
    end
{%- endmacro %}

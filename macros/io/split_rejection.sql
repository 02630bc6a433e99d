{# rejection_reason and rejected_column from a '<column>:<reason_code>' rejection expression. #}
{% macro split_rejection(rejection_expr='rejection') %}
    {{ dbt.split_part(rejection_expr, "':'", 2) }} as rejection_reason,
    nullif({{ dbt.split_part(rejection_expr, "':'", 1) }}, '') as rejected_column
{% endmacro %}

{# rejection_reason and rejected_column from a '<column>:<reason_code>' rejection value. #}
{% macro split_rejection(rejection_column='rejection') %}
    {{ dbt.split_part(rejection_column, "':'", 2) }} as rejection_reason,
    {{ dbt.split_part(rejection_column, "':'", 1) }} as rejected_column
{% endmacro %}

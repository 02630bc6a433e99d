{# Parse decimal text to the project's money type; null when it cannot be parsed. #}
{% macro parse_amount(text_expr) %}
    {{ return(try_cast(text_expr, type_money())) }}
{% endmacro %}

{# Parse contract decimal text to the project's money type; null when it is not a plain decimal. #}
{% macro parse_amount(text_expr) %}
    {{ return(parse_decimal(text_expr, type_money())) }}
{% endmacro %}

{# Parse contract decimal text (dot separator, no exponent or grouping) to `type_name`; null otherwise. #}
{% macro parse_decimal(text_expr, type_name) -%}
    case
        when {{ matches_pattern(text_expr, contract_pattern('decimal')) }}
            then {{ try_cast(text_expr, type_name) }}
    end
{%- endmacro %}

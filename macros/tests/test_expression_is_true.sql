{# Generic test: fails on every row where `expression` is not true (optionally only rows matching `where_clause`). #}
{% test expression_is_true(model, expression, where_clause=none, column_name=none) %}
    select *
    from {{ model }}
    where
        not ({{ expression }})
        {%- if where_clause is not none %}
            and ({{ where_clause }})
        {%- endif %}
{% endtest %}

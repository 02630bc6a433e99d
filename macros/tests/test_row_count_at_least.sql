{# Generic test: fails when the model (optionally filtered by `where_clause`) has fewer than `minimum` rows. #}
{% test row_count_at_least(model, minimum, where_clause=none, column_name=none) %}
    select count(*) as row_count
    from {{ model }}
    {%- if where_clause is not none %}
        where {{ where_clause }}
    {%- endif %}
    having count(*) < {{ minimum }}
{% endtest %}

{# Generic test: fails (use severity warn to report) when the model has any rows, e.g. quarantined data. #}
{% test has_no_rows(model, where_clause=none) %}
    select *
    from {{ model }}
    {%- if where_clause is not none %}
        where {{ where_clause }}
    {%- endif %}
{% endtest %}

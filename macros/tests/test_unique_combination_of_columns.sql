{# Generic test: fails for every combination of `combination_of_columns` found on more than one row. #}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- if combination_of_columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "unique_combination_of_columns needs at least one column") }}
    {%- endif %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#
    Generic test: fails when `column_name` holds fewer than `minimum` distinct
    non-null values (within each `group_by` group when given), e.g. scores that
    collapsed onto fewer bins.
#}
{% test distinct_values_at_least(model, column_name, minimum, group_by=none) %}
    select
        {%- if group_by is not none %}
            {{ group_by }},
        {%- endif %}
        count(distinct {{ column_name }}) as distinct_values
    from {{ model }}
    {%- if group_by is not none %}
        group by {{ group_by }}
    {%- endif %}
    having count(distinct {{ column_name }}) < {{ minimum }}
{% endtest %}

{#
    Generic test (on the derived column): rows with equal `by_column` must have
    equal `column_name` ("equal inputs get equal scores"). Fails per offending
    value. skip_for_rfm_ntile: pass when var rfm_method is ntile, which breaks
    ties on purpose.
#}
{% test equal_values_share_value(model, column_name, by_column, skip_for_rfm_ntile=false) %}
    select
        {{ by_column }},
        count(distinct {{ column_name }}) as distinct_values
    from {{ model }}
    where
        {{ by_column }} is not null
        {%- if skip_for_rfm_ntile and var('rfm_method') == 'ntile' %}
            and 1 = 0
        {%- endif %}
    group by {{ by_column }}
    having count(distinct {{ column_name }}) > 1
{% endtest %}

{#
    Window counting the rows whose measure is no better than this row's (ties
    included): the c of score = ceil(n * c / N). Better values sort later.
#}
{% macro cume_count(measure, higher_is_better=true, partition_by=none) -%}
    count(*) over (
        {%- if partition_by is not none %} partition by {{ partition_by }}{% endif %}
        order by {{ measure }} {{ 'asc' if higher_is_better else 'desc' }}
        range between unbounded preceding and current row
    )
{%- endmacro %}

{#
    Tie-safe 0-100 percentile of a measure: 100 * (customers strictly worse) /
    (customers - 1); 100 when a single customer is scored. Ties share a value.
    `signed_measure` must sort better values later.
#}
{% macro percent_rank_score(signed_measure, partition_by=none) -%}
    {%- set window -%}
        {%- if partition_by is not none %}partition by {{ partition_by }} {% endif -%}
    {%- endset -%}
    case
        when count(*) over ({{ window }}) = 1 then cast(100 as {{ type_double() }})
        else
            cast(100 as {{ type_double() }}) * (rank() over ({{ window }}order by {{ signed_measure }}) - 1)
            / (count(*) over ({{ window }}) - 1)
    end
{%- endmacro %}

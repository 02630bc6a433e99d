{#
    Tie-safe bin score ceil(bins * cume_count / total_count) in pure integer
    arithmetic: the number of k in 0..bins-1 with k * total < bins * cume.
    Equal measures have equal cume counts, hence equal scores.
#}
{% macro score_from_cume_count(cume_count, total_count, bins) -%}
    {%- if bins is not number or bins < 2 -%}
        {{ exceptions.raise_compiler_error(
            "score_from_cume_count: bins must be an integer >= 2, got " ~ bins) }}
    {%- endif -%}
    (
        {%- for k in range(bins) %}
        case when {{ k }} * {{ total_count }} < {{ bins }} * {{ cume_count }} then 1 else 0 end
        {%- if not loop.last %} +{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

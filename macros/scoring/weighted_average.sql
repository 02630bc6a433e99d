{#
    Row-wise weighted average sum(w_i * v_i) / sum(w_i) of paired column lists,
    rounded to `precision` decimals; null when the weights sum to 0. The terms
    are added in list order, so the result does not depend on row order.
#}
{% macro weighted_average(weights, values, precision=4) -%}
    {%- if weights | length != values | length or weights | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "weighted_average: weights and values must be non-empty lists of equal length") }}
    {%- endif -%}
    {%- set products = [] -%}
    {%- for weight in weights -%}
        {%- do products.append(weight ~ ' * ' ~ values[loop.index0]) -%}
    {%- endfor -%}
    {%- set ratio -%}
        ({{ products | join(' + ') }}) / nullif({{ weights | join(' + ') }}, 0)
    {%- endset -%}
    {{ round_double(ratio, precision) }}
{%- endmacro %}

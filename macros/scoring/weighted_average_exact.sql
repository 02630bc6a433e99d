{#
    Exact weighted average of non-negative values that carry at most 4 decimals,
    with weights of at most 4 decimals: sum(w*v)/sum(w) rounded half up to 4
    decimals in integer arithmetic (values and weights scaled by 10^4), returned
    as decimal(18, 4). Null when the weights sum to 0.
#}
{% macro weighted_average_exact(weights, values) -%}
    {%- if weights | length != values | length or weights | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "weighted_average_exact: weights and values must be non-empty lists of equal length") }}
    {%- endif -%}
    {%- set scaled_products = [] -%}
    {%- set scaled_weights = [] -%}
    {%- for weight in weights -%}
        {%- set scaled_weight = 'cast(round(' ~ weight ~ ' * 10000) as ' ~ dbt.type_bigint() ~ ')' -%}
        {%- set scaled_value = 'cast(round(' ~ values[loop.index0] ~ ' * 10000) as '
            ~ dbt.type_bigint() ~ ')' -%}
        {%- do scaled_weights.append(scaled_weight) -%}
        {%- do scaled_products.append(scaled_weight ~ ' * ' ~ scaled_value) -%}
    {%- endfor -%}
    {%- set numerator = '(' ~ scaled_products | join(' + ') ~ ')' -%}
    {%- set denominator = '(' ~ scaled_weights | join(' + ') ~ ')' -%}
    case
        when {{ denominator }} > 0
            then
                cast({{ integer_divide('2 * ' ~ numerator ~ ' + ' ~ denominator,
                                       '2 * ' ~ denominator) }} as decimal(18, 4))
                * cast(0.0001 as decimal(18, 4))
    end
{%- endmacro %}

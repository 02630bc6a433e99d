{#
    CTE `<name>`: one row per distinct value of a signed measure (better
    values sort later) with `customers_worse`, the number of rows strictly
    below it: a count per distinct value and a running sum over the distinct
    values, instead of a rank() over every row (one sort of all customers per
    measure). Measures with few distinct values (counts, days) cost a hash
    aggregate; the result equals rank() - 1, ties included. The measure must
    be non-null.
#}
{% macro value_ranks_cte(name, signed_measure, from_clause) %}
    {{ name }} as (
        select
            signed_value,
            cast(coalesce(sum(value_rows) over (
                order by signed_value
                rows between unbounded preceding and 1 preceding
            ), 0) as {{ dbt.type_bigint() }}) as customers_worse
        from (
            select
                {{ signed_measure }} as signed_value,
                count(*) as value_rows
            {{ from_clause }}
            group by {{ signed_measure }}
        ) as measure_values
    )
{% endmacro %}

{#
    Tie-safe 0-100 percentile from the customers strictly worse and the
    customers scored: 100 * worse / (customers - 1); 100 when a single customer
    is scored. Ties share a value.
#}
{% macro percent_rank_score(customers_worse, customers) -%}
    case
        when {{ customers }} = 1 then cast(100 as {{ type_double() }})
        else cast(100 as {{ type_double() }}) * {{ customers_worse }} / ({{ customers }} - 1)
    end
{%- endmacro %}

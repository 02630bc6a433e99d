-- Per RFM dimension and score: the cut points and how many buyers each bin holds.
{% set dimensions = rfm_dimensions() %}

with

rfm_scored as (
    select * from {{ ref('int_customers_rfm_scored') }}
),

bins as (
    {% for dimension, measure, higher_is_better in dimensions %}
        select
            '{{ dimension }}' as dimension,
            '{{ measure }}' as measure,
            {{ dimension }}_score as score,
            cast(min({{ dimension }}_value) as {{ type_money_sum() }}) as min_value,
            cast(max({{ dimension }}_value) as {{ type_money_sum() }}) as max_value,
            count(*) as customers
        from rfm_scored
        group by {{ dimension }}_score
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

shares as (
    select
        bins.*,
        cast(customers as {{ type_double() }})
        / sum(customers) over (partition by dimension) as share_of_customers
    from bins
)

select * from shares

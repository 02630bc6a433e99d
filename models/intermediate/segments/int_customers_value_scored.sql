{#-
    Weighted multi-dimensional value score. Each measure becomes a tie-safe
    0-100 percentile among buyers; seed value_score_components weights the
    measures into four dimension scores and seed value_score_weights weights
    the dimensions into value_score. All weighting happens row by row, so the
    result does not depend on the order rows are aggregated in.
-#}
{%- set measures = [
    'net_revenue', 'order_count',
    'recency_days', 'visits_last_30_days', 'email_engagement_last_90_days',
    'tenure_days', 'repeat_purchase_days', 'complaints',
    'spend_growth_90_days', 'distinct_categories', 'referrals',
    'customer_age_days'
] -%}
{%- set dimensions = ['contribution', 'activity', 'loyalty', 'potential'] %}

with

customer_features as (
    select * from {{ ref('customer_features') }}
),

value_score_components as (
    select * from {{ ref('value_score_components') }}
),

value_score_weights as (
    select * from {{ ref('value_score_weights') }}
),

component_weights as (
    {#- one row: each measure's weight within its dimension and its direction -#}
    select
        {%- for measure in measures %}
        {%- for dimension in dimensions %}
        coalesce(max(
            case
                when measure = '{{ measure }}' and dimension = '{{ dimension }}'
                    then weight
            end
        ), 0) as {{ dimension }}__{{ measure }}__weight,
        {%- endfor %}
        coalesce(max(
            case
                when measure = '{{ measure }}' and not higher_is_better then -1
            end
        ), 1) as {{ measure }}__sign{{ ',' if not loop.last }}
        {%- endfor %}
    from value_score_components
),

dimension_weights as (
    select
        {%- for dimension in dimensions %}
        coalesce(max(
            case when dimension = '{{ dimension }}' then weight end
        ), 0) as {{ dimension }}__weight{{ ',' if not loop.last }}
        {%- endfor %}
    from value_score_weights
),

buyers as (
    select
        customer_id,
        net_revenue,
        order_count,
        recency_days,
        visits_last_30_days,
        email_opens_last_90_days + email_clicks_last_90_days
            as email_engagement_last_90_days,
        tenure_days,
        repeat_purchase_days,
        complaints,
        spend_last_90_days - spend_previous_90_days as spend_growth_90_days,
        distinct_categories,
        referrals,
        customer_age_days
    from customer_features
    where is_buyer
),

percentiles as (
    select
        buyers.customer_id,
        {%- for measure in measures %}
        {{ percent_rank_score(
            'buyers.' ~ measure ~ ' * component_weights.' ~ measure ~ '__sign') }}
            as {{ measure }}__percentile{{ ',' if not loop.last }}
        {%- endfor %}
    from buyers
    cross join component_weights
),

dimension_scores as (
    select
        percentiles.customer_id,
        {%- for dimension in dimensions %}
        round(
            (
                {%- for measure in measures %}
                component_weights.{{ dimension }}__{{ measure }}__weight
                * percentiles.{{ measure }}__percentile
                {%- if not loop.last %} +{% endif %}
                {%- endfor %}
            )
            / nullif(
                {%- for measure in measures %}
                component_weights.{{ dimension }}__{{ measure }}__weight
                {%- if not loop.last %} +{% endif %}
                {%- endfor %}, 0
            ), 4
        ) as {{ dimension }}_score{{ ',' if not loop.last }}
        {%- endfor %}
    from percentiles
    cross join component_weights
),

value_scores as (
    select
        dimension_scores.*,
        round(
            (
                {%- for dimension in dimensions %}
                dimension_weights.{{ dimension }}__weight
                * dimension_scores.{{ dimension }}_score
                {%- if not loop.last %} +{% endif %}
                {%- endfor %}
            )
            / nullif(
                {%- for dimension in dimensions %}
                dimension_weights.{{ dimension }}__weight
                {%- if not loop.last %} +{% endif %}
                {%- endfor %}, 0
            ), 4
        ) as value_score
    from dimension_scores
    cross join dimension_weights
)

select * from value_scores

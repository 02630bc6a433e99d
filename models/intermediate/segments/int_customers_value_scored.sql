-- Per buyer: the four 0-100 dimension scores and the weighted value_score.
{#
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
{%- set dimensions = ['contribution', 'activity', 'loyalty', 'potential'] -%}
{%- set percentile_columns = [] -%}
{%- set component_weight_columns = {} -%}
{%- set dimension_weight_columns = [] -%}
{%- set dimension_score_columns = [] -%}
{%- for measure in measures -%}
    {%- do percentile_columns.append('percentiles.' ~ measure ~ '__percentile') -%}
{%- endfor -%}
{%- for dimension in dimensions -%}
    {%- do component_weight_columns.update({dimension: []}) -%}
    {%- for measure in measures -%}
        {%- do component_weight_columns[dimension].append(
            'component_weights.' ~ dimension ~ '__' ~ measure ~ '__weight') -%}
    {%- endfor -%}
    {%- do dimension_weight_columns.append('dimension_weights.' ~ dimension ~ '__weight') -%}
    {%- do dimension_score_columns.append('dimension_scores.' ~ dimension ~ '_score') -%}
{%- endfor %}

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
    {#- one row: each measure's weight in each dimension, and its direction -#}
    select
        {% for measure in measures %}
            {% for dimension in dimensions %}
                coalesce(max(
                    case
                        when
                            measure = '{{ measure }}'
                            and dimension = '{{ dimension }}'
                            then weight
                    end
                ), 0) as {{ dimension }}__{{ measure }}__weight,
            {% endfor %}
            coalesce(max(
                case
                    when measure = '{{ measure }}' and not higher_is_better
                        then -1
                end
            ), 1) as {{ measure }}__sign,
        {% endfor %}
        count(*) as component_rows
    from value_score_components
),

dimension_weights as (
    select
        {% for dimension in dimensions %}
            coalesce(max(
                case when dimension = '{{ dimension }}' then weight end
            ), 0) as {{ dimension }}__weight,
        {% endfor %}
        count(*) as dimension_rows
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

{% for measure in measures %}
    {{ value_ranks_cte(
        measure ~ '__ranks',
        'buyers.' ~ measure ~ ' * component_weights.' ~ measure ~ '__sign',
        'from buyers cross join component_weights') }},
{% endfor %}

buyer_count as (
    select count(*) as buyers from buyers
),

percentiles as (
    {#- each measure's tie-safe percentile: its value's customers_worse, looked
        up by an equi-join on the (non-null) signed value -#}
    select
        {% for measure in measures %}
            {{ percent_rank_score(
                measure ~ '__ranks.customers_worse', 'buyer_count.buyers'
            ) }} as {{ measure }}__percentile,
        {% endfor %}
        buyers.customer_id
    from buyers
    cross join component_weights
    cross join buyer_count
    {% for measure in measures %}
        inner join {{ measure }}__ranks
            on
                buyers.{{ measure }} * component_weights.{{ measure }}__sign
                = {{ measure }}__ranks.signed_value
    {% endfor %}
),

dimension_scores as (
    select
        {% for dimension in dimensions %}
            {{ weighted_average(
                component_weight_columns[dimension], percentile_columns) }}
                as {{ dimension }}_score,
        {% endfor %}
        percentiles.customer_id
    from percentiles
    cross join component_weights
),

value_scores as (
    select
        dimension_scores.*,
        cast({{ weighted_average_exact(
            dimension_weight_columns, dimension_score_columns) }} as decimal(18, 4))
            as value_score
    from dimension_scores
    cross join dimension_weights
)

select * from value_scores

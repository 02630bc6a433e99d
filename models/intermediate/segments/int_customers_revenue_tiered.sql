-- Per customer: value-pyramid tier and ABC class from net revenue.
{#
    Value pyramid (rank on net revenue) and ABC classes (cumulative share of net
    revenue). Customers without positive net revenue are Inactive / none.
    Ties on net revenue always share a tier and a class.
-#}
{%- set top_ppm = var_share_ppm('pyramid_top_share') -%}
{%- set big_ppm = var_share_ppm('pyramid_big_share') -%}
{%- set medium_ppm = var_share_ppm('pyramid_medium_share') -%}
{%- set a_ppm = var_share_ppm('abc_a_share') -%}
{%- set b_ppm = var_share_ppm('abc_b_share') -%}
{%- if not (top_ppm <= big_ppm <= medium_ppm) or a_ppm > b_ppm -%}
    {{ exceptions.raise_compiler_error(
        "pyramid_*_share vars must be cumulative and increasing (top <= big <= medium),"
        ~ " and abc_a_share <= abc_b_share") }}
{%- endif %}

with

customer_features as (
    select * from {{ ref('customer_features') }}
),

revenue_customers as (
    select
        customer_id,
        net_revenue
    from customer_features
    where net_revenue > 0
),

revenue_ranked as (
    select
        customer_id,
        net_revenue,
        rank() over (order by net_revenue desc) as revenue_rank,
        count(*) over () as revenue_customers
    from revenue_customers
),

revenue_levels as (
    {#- one row per distinct revenue value, so ties share one cumulative sum -#}
    select
        net_revenue,
        sum(net_revenue) as level_revenue
    from revenue_customers
    group by net_revenue
),

revenue_levels_cumulated as (
    select
        net_revenue,
        coalesce(
            sum(level_revenue) over (
                order by net_revenue desc
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as revenue_before,
        sum(level_revenue) over () as total_revenue
    from revenue_levels
),

tiered as (
    select
        customer_features.customer_id,
        revenue_ranked.revenue_rank,
        revenue_levels_cumulated.revenue_before,
        case
            when revenue_ranked.customer_id is null then 'Inactive'
            when (revenue_ranked.revenue_rank - 1) * 1000000
                < {{ top_ppm }} * revenue_ranked.revenue_customers
                then 'Top'
            when (revenue_ranked.revenue_rank - 1) * 1000000
                < {{ big_ppm }} * revenue_ranked.revenue_customers
                then 'Big'
            when (revenue_ranked.revenue_rank - 1) * 1000000
                < {{ medium_ppm }} * revenue_ranked.revenue_customers
                then 'Medium'
            else 'Small'
        end as pyramid_tier,
        case
            when revenue_ranked.customer_id is null then 'none'
            when revenue_levels_cumulated.revenue_before * 1000000
                < {{ a_ppm }} * revenue_levels_cumulated.total_revenue
                then 'A'
            when revenue_levels_cumulated.revenue_before * 1000000
                < {{ b_ppm }} * revenue_levels_cumulated.total_revenue
                then 'B'
            else 'C'
        end as abc_class
    from customer_features
    left join revenue_ranked
        on customer_features.customer_id = revenue_ranked.customer_id
    left join revenue_levels_cumulated
        on revenue_ranked.net_revenue = revenue_levels_cumulated.net_revenue
)

select * from tiered

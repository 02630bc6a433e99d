{#- a view (a table on Spark, whose metastore caps view SQL): the per-customer
    aggregates read the rows of the customers they recompute, not all of them -#}
{{ config(materialized='table' if target.type in ['spark', 'databricks'] else 'view') }}

{%- set reporting_currency = var_choice('reporting_currency') | upper %}

with

transactions as (
    select * from {{ ref('stg_shop__transactions') }}
),

fx_rates_ranged as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

as_of_date as (
    select * from {{ ref('int_as_of_date') }}
),

dated as (
    select
        transactions.*,
        {{ to_business_date('transactions.transaction_at') }}
            as transaction_date
    from transactions
),

within_as_of as (
    select
        dated.*,
        as_of_date.as_of_date,
        {{ days_between('dated.transaction_date', 'as_of_date.as_of_date') }}
            as days_before_as_of
    from dated
    cross join as_of_date
    where dated.transaction_date <= as_of_date.as_of_date
),

converted as (
    select
        within_as_of.transaction_id,
        within_as_of.customer_id,
        within_as_of.transaction_type,
        within_as_of.currency,
        within_as_of.product_category,
        within_as_of.channel,
        within_as_of.amount as original_amount,
        case
            when within_as_of.currency = '{{ reporting_currency }}'
                then cast(within_as_of.amount as {{ type_money() }})
            else {{ convert_amount(
                'within_as_of.amount', 'fx_rates_ranged.rate_to_reporting') }}
        end as amount,
        within_as_of.days_before_as_of,
        within_as_of.is_purchase,
        within_as_of.as_of_date,
        within_as_of.transaction_date,
        within_as_of.transaction_at,
        within_as_of._validated_at
    from within_as_of
    {#- an equality plus a range on open-ended bounds made concrete: a range
        join, not a nested loop (an OR or a one-sided condition here is one) #}
    left join fx_rates_ranged
        on
            within_as_of.currency = fx_rates_ranged.currency
            and within_as_of.transaction_date
            >= coalesce(fx_rates_ranged.valid_from_date, cast('0001-01-01' as date))
            and within_as_of.transaction_date
            < coalesce(fx_rates_ranged.valid_to_date, cast('9999-12-31' as date))
)

select * from converted

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

fx_rates_daily as (
    {#- the rate of each (currency, business day) that occurs: a few thousand
        rows, so the per-transaction lookup below is a plain equi-join instead
        of a range check against every rate of the currency -#}
    select
        transaction_days.currency,
        transaction_days.transaction_date,
        fx_rates_ranged.rate_to_reporting
    from (
        select distinct
            currency,
            {{ to_business_date('transaction_at') }} as transaction_date
        from {{ ref('stg_shop__transactions') }}
    ) as transaction_days
    {# an equality plus a range on open-ended bounds made concrete: a range
        join, not a nested loop (an OR or a one-sided condition here is one) #}
    inner join fx_rates_ranged
        on
            transaction_days.currency = fx_rates_ranged.currency
            and transaction_days.transaction_date
            >= coalesce(fx_rates_ranged.valid_from_date, cast('0001-01-01' as date))
            and transaction_days.transaction_date
            < coalesce(fx_rates_ranged.valid_to_date, cast('9999-12-31' as date))
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
                'within_as_of.amount', 'fx_rates_daily.rate_to_reporting') }}
        end as amount,
        within_as_of.days_before_as_of,
        within_as_of.is_purchase,
        within_as_of.as_of_date,
        within_as_of.transaction_date,
        within_as_of.transaction_at
    from within_as_of
    left join fx_rates_daily
        on
            within_as_of.currency = fx_rates_daily.currency
            and within_as_of.transaction_date = fx_rates_daily.transaction_date
)

select * from converted

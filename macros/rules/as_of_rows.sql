{#
    The query behind int_transactions_as_of: accepted transactions dated on or
    before as_of_date, with their business date and the amount converted to
    the reporting currency. transactions_relation: stg_shop__transactions, or
    a subquery of it (the incremental customer aggregates pass the affected
    customers' rows, so only those are dated and converted).
#}
{% macro transactions_as_of(transactions_relation) %}
    {%- set reporting_currency = var_choice('reporting_currency') | upper %}

    with

    transactions as (
        select * from {{ transactions_relation }}
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
{% endmacro %}

{#
    The query behind int_interactions_as_of: accepted interactions dated on or
    before as_of_date, with their business date. interactions_relation:
    stg_shop__interactions, or a subquery of it.
#}
{% macro interactions_as_of(interactions_relation) %}
    with

    interactions as (
        select * from {{ interactions_relation }}
    ),

    as_of_date as (
        select * from {{ ref('int_as_of_date') }}
    ),

    dated as (
        select
            interactions.*,
            {{ to_business_date('interactions.occurred_at') }} as occurred_date
        from interactions
    ),

    within_as_of as (
        select
            dated.interaction_id,
            dated.customer_id,
            dated.interaction_type,
            dated.channel,
            dated.score,
            {{ days_between('dated.occurred_date', 'as_of_date.as_of_date') }}
                as days_before_as_of,
            dated.occurred_date,
            dated.occurred_at,
            dated._validated_at
        from dated
        cross join as_of_date
        where dated.occurred_date <= as_of_date.as_of_date
    )

    select * from within_as_of
{% endmacro %}

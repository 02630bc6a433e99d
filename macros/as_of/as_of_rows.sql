{#
    The as-of queries: a macro, not model SQL, because two kinds of model run
    them. The as-of views (int_transactions_as_of, int_interactions_as_of)
    run them over every staged row; an incremental run of a per-customer
    aggregate runs them over only the affected customers' staged rows
    (macros/io/incremental_customers.sql, customer_event_ctes), so it dates
    and converts those rows alone instead of scanning the whole view.
#}

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
        {{ rows_of_persons(transactions_relation) }}
    ),

    fx_rates_by_day as (
        select * from {{ ref('int_fx_rates_by_day') }}
    ),

    fx_rate_bounds as (
        {#- one row (nulls when there are no rates) -#}
        select
            min(rate_day) as first_rate_day,
            max(rate_day) as last_rate_day
        from fx_rates_by_day
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

    rated as (
        {#- the rate of the business day: an equi-join on a few thousand
            (currency, day) rows, not a range check against every rate of the
            currency for each row. Days outside the rate days share the rate
            of the nearest end (int_fx_rates_by_day). Joined before the
            as_of_date filter, so the planner sees the big side as big and
            hashes the small one. #}
        select
            dated.*,
            fx_rates_by_day.rate_to_reporting
        from dated
        cross join fx_rate_bounds
        left join fx_rates_by_day
            on
                dated.currency = fx_rates_by_day.currency
                and least(
                    greatest(dated.transaction_date, fx_rate_bounds.first_rate_day),
                    fx_rate_bounds.last_rate_day
                ) = fx_rates_by_day.rate_day
    ),

    converted as (
        select
            rated.transaction_id,
            rated.person_id as customer_id,
            rated.transaction_type,
            rated.currency,
            rated.product_category,
            rated.channel,
            rated.amount as original_amount,
            case
                when rated.currency = '{{ reporting_currency }}'
                    then cast(rated.amount as {{ type_money() }})
                else {{ convert_amount('rated.amount', 'rated.rate_to_reporting') }}
            end as amount,
            {{ days_between('rated.transaction_date', 'as_of_date.as_of_date') }}
                as days_before_as_of,
            rated.is_purchase,
            as_of_date.as_of_date,
            rated.transaction_date,
            rated.transaction_at,
            rated._validated_at
        from rated
        cross join as_of_date
        where rated.transaction_date <= as_of_date.as_of_date
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
        {{ rows_of_persons(interactions_relation) }}
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
            dated.person_id as customer_id,
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

{#
    The rows of relation with person_id: the person of their customer_id when
    var identity_resolution is on (int_customers_identity_resolved; an id
    without a customer record is its own person), else the customer_id itself.
    The as-of queries report person_id as customer_id.
#}
{% macro rows_of_persons(relation) %}
    {%- if identity_resolution_on() %}
        select
            rows_of_ids.*,
            coalesce(identities.person_id, rows_of_ids.customer_id) as person_id
        from {{ relation }} as rows_of_ids
        left join {{ ref('int_customers_identity_resolved') }} as identities
            on rows_of_ids.customer_id = identities.customer_id
    {%- else %}
        select
            rows_of_ids.*,
            rows_of_ids.customer_id as person_id
        from {{ relation }} as rows_of_ids
    {%- endif %}
{% endmacro %}

{# Whether var identity_resolution attributes rows to persons (email_phone) or not (none). #}
{% macro identity_resolution_on() %}
    {{ return(var_choice('identity_resolution', ['none', 'email_phone']) == 'email_phone') }}
{% endmacro %}

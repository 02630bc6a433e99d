-- One row per customer known as of as_of_date: purchase history, BTYD inputs, money, engagement.
-- depends_on: {{ ref('int_customers_identity_resolved') }}
{% set btyd_recency_days = days_between(
    'first_purchase_date', 'last_purchase_date') %}

with

customers as (
    {%- if identity_resolution_on() %}
        {#- one row per person: the profile record (its earliest-registered id)
            under the person id, with the number of ids merged into it -#}
        select
            identities.person_id as customer_id,
            identities.group_size as merged_customer_ids,
            stg_customers.email,
            stg_customers.country,
            stg_customers.acquisition_channel,
            stg_customers.registered_at
        from {{ ref('stg_shop__customers') }} as stg_customers
        inner join {{ ref('int_customers_identity_resolved') }} as identities
            on stg_customers.customer_id = identities.customer_id
        where identities.is_profile_record
    {%- else %}
        select
            customer_id,
            1 as merged_customer_ids,
            email,
            country,
            acquisition_channel,
            registered_at
        from {{ ref('stg_shop__customers') }}
    {%- endif %}
),

as_of_date as (
    select * from {{ ref('int_as_of_date') }}
),

transactions_aggregated as (
    select * from {{ ref('int_transactions_aggregated_to_customers') }}
),

purchase_days_aggregated as (
    select * from {{ ref('int_purchase_days_aggregated_to_customers') }}
),

interactions_aggregated as (
    select * from {{ ref('int_interactions_aggregated_to_customers') }}
),

registered_as_of as (
    select customers.customer_id
    from customers
    cross join as_of_date
    where
        {{ to_business_date('customers.registered_at') }}
        <= as_of_date.as_of_date
),

known_customers as (
    {#- registered by as_of_date, or with any valid transaction by then -#}
    select distinct customer_id
    from (
        select customer_id from registered_as_of
        union all
        select customer_id from transactions_aggregated
    ) as customer_ids
),

joined as (
    select
        known_customers.customer_id,
        as_of_date.as_of_date,
        customers.customer_id is not null as has_customer_record,
        cast(coalesce(customers.merged_customer_ids, 1) as {{ dbt.type_bigint() }})
            as merged_customer_ids,
        case
            when
                customers.registered_at is not null
                and {{ to_business_date('customers.registered_at') }}
                <= as_of_date.as_of_date
                and (
                    transactions_aggregated.first_transaction_at is null
                    or customers.registered_at
                    <= transactions_aggregated.first_transaction_at
                )
                then customers.registered_at
            else transactions_aggregated.first_transaction_at
        end as registered_at,
        customers.country,
        customers.acquisition_channel,
        {{ pii_hash('customers.email') }} as email_hash,
        transactions_aggregated.first_purchase_at,
        transactions_aggregated.last_purchase_at,
        purchase_days_aggregated.first_purchase_date,
        purchase_days_aggregated.last_purchase_date,
        purchase_days_aggregated.previous_purchase_date,
        coalesce(transactions_aggregated.order_count, 0) as order_count,
        coalesce(transactions_aggregated.refund_count, 0) as refund_count,
        coalesce(purchase_days_aggregated.purchase_days, 0) as purchase_days,
        purchase_days_aggregated.repeat_purchase_amount,
        coalesce(transactions_aggregated.gross_revenue, 0) as gross_revenue,
        coalesce(transactions_aggregated.refunded_amount, 0)
            as refunded_amount,
        coalesce(transactions_aggregated.spend_last_90_days, 0)
            as spend_last_90_days,
        coalesce(transactions_aggregated.spend_previous_90_days, 0)
            as spend_previous_90_days,
        coalesce(transactions_aggregated.distinct_categories, 0)
            as distinct_categories,
        transactions_aggregated.preferred_channel,
        coalesce(interactions_aggregated.visits_last_30_days, 0)
            as visits_last_30_days,
        coalesce(interactions_aggregated.visits_last_90_days, 0)
            as visits_last_90_days,
        coalesce(interactions_aggregated.email_opens_last_90_days, 0)
            as email_opens_last_90_days,
        coalesce(interactions_aggregated.email_clicks_last_90_days, 0)
            as email_clicks_last_90_days,
        coalesce(interactions_aggregated.support_tickets, 0)
            as support_tickets,
        coalesce(interactions_aggregated.support_tickets_last_90_days, 0)
            as support_tickets_last_90_days,
        coalesce(interactions_aggregated.complaints, 0) as complaints,
        coalesce(interactions_aggregated.complaints_last_90_days, 0)
            as complaints_last_90_days,
        coalesce(interactions_aggregated.referrals, 0) as referrals,
        coalesce(interactions_aggregated.review_count, 0) as review_count,
        interactions_aggregated.avg_review_score,
        interactions_aggregated.last_interaction_at,
        interactions_aggregated.last_interaction_date
    from known_customers
    cross join as_of_date
    left join customers
        on known_customers.customer_id = customers.customer_id
    left join transactions_aggregated
        on known_customers.customer_id = transactions_aggregated.customer_id
    left join purchase_days_aggregated
        on known_customers.customer_id = purchase_days_aggregated.customer_id
    left join interactions_aggregated
        on known_customers.customer_id = interactions_aggregated.customer_id
),

features as (
    select
        ---------- ids
        customer_id,

        ---------- strings
        country,
        acquisition_channel,
        preferred_channel,
        email_hash,

        ---------- counts
        merged_customer_ids,
        order_count,
        refund_count,
        purchase_days,
        case
            when purchase_days > 0 then purchase_days - 1
        end as repeat_purchase_days,
        distinct_categories,

        ---------- days
        {{ days_between('last_purchase_date', 'as_of_date') }}
            as recency_days,
        {{ btyd_recency_days }} as btyd_recency_days,
        {{ days_between('first_purchase_date', 'as_of_date') }}
            as customer_age_days,
        {{ days_between(to_business_date('registered_at'), 'as_of_date') }}
            as tenure_days,
        {{ days_between(to_business_date('registered_at'), 'first_purchase_date') }}
            as days_to_first_purchase,
        {{ days_between('previous_purchase_date', 'last_purchase_date') }}
            as last_purchase_gap_days,
        case
            when purchase_days > 1
                then
                    cast({{ btyd_recency_days }} as {{ type_double() }})
                    / (purchase_days - 1)
        end as mean_purchase_gap_days,

        ---------- money (reporting currency, exact decimals)
        gross_revenue,
        refunded_amount,
        gross_revenue - refunded_amount as net_revenue,
        spend_last_90_days,
        spend_previous_90_days,

        ---------- averages (floating point)
        case
            when order_count > 0
                then cast(gross_revenue as {{ type_double() }}) / order_count
        end as avg_order_value,
        case
            when purchase_days > 1
                then
                    cast(repeat_purchase_amount as {{ type_double() }})
                    / (purchase_days - 1)
            when purchase_days = 1 then 0
        end as avg_repeat_purchase_value,

        ---------- engagement
        visits_last_30_days,
        visits_last_90_days,
        visits_last_90_days - visits_last_30_days as visits_previous_60_days,
        email_opens_last_90_days,
        email_clicks_last_90_days,
        support_tickets,
        support_tickets_last_90_days,
        complaints,
        complaints_last_90_days,
        referrals,
        review_count,
        avg_review_score,
        {{ days_between('last_interaction_date', 'as_of_date') }}
            as days_since_last_interaction,

        ---------- booleans
        has_customer_record,
        purchase_days > 0 as is_buyer,

        ---------- dates
        as_of_date,
        first_purchase_date,
        last_purchase_date,

        ---------- timestamps
        registered_at,
        first_purchase_at,
        last_purchase_at,
        last_interaction_at
    from joined
)

select * from features

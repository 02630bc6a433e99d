-- Per customer: order counts, money and preferred channel as of as_of_date.
{{ config(**customer_aggregate_config(
    'base_shop__transactions', 'first_transaction_at', with_fx_rates=true)) }}
{#- incremental on DuckDB: recomputes the customers whose transactions changed
    or crossed an as-of window edge (macros/io/incremental_customers.sql) -#}
-- depends_on: {{ ref('base_shop__transactions') }}, {{ ref('stg_shop__transactions') }}
-- depends_on: {{ ref('int_fx_rates_ranged') }}, {{ ref('int_fx_rates_by_day') }}

{%- set state = customer_aggregate_state('transactions') %}

with

{{ customer_event_ctes('transactions', [90, 180], state) }},

transactions_aggregated_to_customers as (
    select
        customer_id,
        {{ count_where("is_purchase") }} as order_count,
        {{ count_where("not is_purchase") }} as refund_count,
        sum(case when is_purchase then amount else 0 end) as gross_revenue,
        sum(case when is_purchase then 0 else amount end) as refunded_amount,
        sum(
            case
                when is_purchase and days_before_as_of < 90 then amount
                else 0
            end
        ) as spend_last_90_days,
        sum(
            case
                when is_purchase and days_before_as_of >= 90
                    and days_before_as_of < 180
                    then amount
                else 0
            end
        ) as spend_previous_90_days,
        count(
            distinct case when is_purchase then product_category end
        ) as distinct_categories,
        min(transaction_at) as first_transaction_at,
        min(case when is_purchase then transaction_at end)
            as first_purchase_at,
        max(case when is_purchase then transaction_at end) as last_purchase_at
    from transactions
    group by customer_id
),

purchase_channels as (
    select
        customer_id,
        channel,
        count(*) as channel_order_count
    from transactions
    where is_purchase and channel is not null
    group by customer_id, channel
),

preferred_channels as (
    {#- most purchases wins; a tie goes to the alphabetically first channel -#}
    select
        customer_id,
        channel as preferred_channel
    from (
        select
            purchase_channels.*,
            row_number() over (
                partition by customer_id
                order by channel_order_count desc, channel asc
            ) as channel_rank
        from purchase_channels
    ) as ranked_channels
    where channel_rank = 1
),

{{ recomputed_customers_cte('transactions_aggregated_to_customers', state) }},

joined as (
    select
        customers.customer_id,
        transactions_aggregated_to_customers.order_count,
        transactions_aggregated_to_customers.refund_count,
        transactions_aggregated_to_customers.gross_revenue,
        transactions_aggregated_to_customers.refunded_amount,
        transactions_aggregated_to_customers.spend_last_90_days,
        transactions_aggregated_to_customers.spend_previous_90_days,
        transactions_aggregated_to_customers.distinct_categories,
        transactions_aggregated_to_customers.first_transaction_at,
        transactions_aggregated_to_customers.first_purchase_at,
        transactions_aggregated_to_customers.last_purchase_at,
        preferred_channels.preferred_channel,
        {{ customer_aggregate_tail(with_fx_rates=true) }}
    from customers
    left join transactions_aggregated_to_customers
        on customers.customer_id = transactions_aggregated_to_customers.customer_id
    left join preferred_channels
        on customers.customer_id = preferred_channels.customer_id
)

select * from joined

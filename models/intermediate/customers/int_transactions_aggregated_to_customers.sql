with

transactions as (
    select * from {{ ref('int_transactions_as_of') }}
),

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

joined as (
    select
        transactions_aggregated_to_customers.*,
        preferred_channels.preferred_channel
    from transactions_aggregated_to_customers
    left join preferred_channels
        on
            transactions_aggregated_to_customers.customer_id
            = preferred_channels.customer_id
)

select * from joined

{#- BTYD inputs: purchases re-grained to (customer, business day), then to customer. -#}
with

transactions as (
    select * from {{ ref('int_transactions_as_of') }}
),

purchases_aggregated_to_days as (
    select
        customer_id,
        transaction_date as purchase_date,
        sum(amount) as day_purchase_amount
    from transactions
    where is_purchase
    group by customer_id, transaction_date
),

purchase_days_numbered as (
    select
        purchases_aggregated_to_days.*,
        row_number() over (
            partition by customer_id order by purchase_date
        ) as purchase_day_number,
        row_number() over (
            partition by customer_id order by purchase_date desc
        ) as purchase_day_number_from_last
    from purchases_aggregated_to_days
),

purchase_days_aggregated_to_customers as (
    select
        customer_id,
        count(*) as purchase_days,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        max(
            case when purchase_day_number_from_last = 2 then purchase_date end
        ) as previous_purchase_date,
        sum(
            case when purchase_day_number > 1 then day_purchase_amount end
        ) as repeat_purchase_amount
    from purchase_days_numbered
    group by customer_id
)

select * from purchase_days_aggregated_to_customers

{#- BTYD inputs: purchases re-grained to (customer, business day), then to customer. -#}
{{ config(**customer_aggregate_config(
    'base_shop__transactions', 'first_purchase_date', with_fx_rates=true)) }}
{#- incremental on DuckDB: recomputes the customers whose transactions changed
    or crossed as_of_date (macros/io/incremental_customers.sql) -#}
-- depends_on: {{ ref('base_shop__transactions') }}, {{ ref('stg_shop__transactions') }}
-- depends_on: {{ ref('int_fx_rates_ranged') }}

with

{{ customer_event_ctes('transactions', []) }},

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
),

{{ recomputed_customers_cte('transactions', 'purchase_days_aggregated_to_customers') }},

joined as (
    select
        customers.customer_id,
        purchase_days_aggregated_to_customers.purchase_days,
        purchase_days_aggregated_to_customers.first_purchase_date,
        purchase_days_aggregated_to_customers.last_purchase_date,
        purchase_days_aggregated_to_customers.previous_purchase_date,
        purchase_days_aggregated_to_customers.repeat_purchase_amount,
        {{ customer_aggregate_tail(with_fx_rates=true) }}
    from customers
    left join purchase_days_aggregated_to_customers
        on customers.customer_id = purchase_days_aggregated_to_customers.customer_id
)

select * from joined

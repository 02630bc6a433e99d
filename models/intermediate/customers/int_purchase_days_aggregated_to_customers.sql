-- Per buyer: purchases re-grained to business days, then to the customer (BTYD inputs).
{# BTYD inputs: purchases re-grained to (customer, business day), then to customer. -#}
{{ config(**customer_aggregate_config(
    'base_shop__transactions', 'first_purchase_date', with_fx_rates=true)) }}
{#- incremental on DuckDB: recomputes the customers whose transactions changed
    or crossed as_of_date (macros/io/incremental_customers.sql) -#}
-- depends_on: {{ ref('base_shop__transactions') }}, {{ ref('stg_shop__transactions') }}
-- depends_on: {{ ref('int_fx_rates_ranged') }}, {{ ref('int_fx_rates_by_day') }}

{%- set state = customer_aggregate_state('transactions') %}

with

{{ customer_event_ctes('transactions', [], state) }},

purchases_aggregated_to_days as (
    select
        customer_id,
        transaction_date as purchase_date,
        sum(amount) as day_purchase_amount
    from transactions
    where is_purchase
    group by customer_id, transaction_date
),

purchase_day_bounds as (
    select
        customer_id,
        count(*) as purchase_days,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date
    from purchases_aggregated_to_days
    group by customer_id
),

purchase_days_aggregated_to_customers as (
    {#- the day before the last and the amount after the first day, from
        aggregates joined back to the days (no per-customer sort) -#}
    select
        purchase_day_bounds.customer_id,
        purchase_day_bounds.purchase_days,
        purchase_day_bounds.first_purchase_date,
        purchase_day_bounds.last_purchase_date,
        max(
            case
                when
                    purchases_aggregated_to_days.purchase_date
                    < purchase_day_bounds.last_purchase_date
                    then purchases_aggregated_to_days.purchase_date
            end
        ) as previous_purchase_date,
        sum(
            case
                when
                    purchases_aggregated_to_days.purchase_date
                    > purchase_day_bounds.first_purchase_date
                    then purchases_aggregated_to_days.day_purchase_amount
            end
        ) as repeat_purchase_amount
    from purchase_day_bounds
    inner join purchases_aggregated_to_days
        on purchase_day_bounds.customer_id = purchases_aggregated_to_days.customer_id
    group by
        purchase_day_bounds.customer_id,
        purchase_day_bounds.purchase_days,
        purchase_day_bounds.first_purchase_date,
        purchase_day_bounds.last_purchase_date
),

{{ recomputed_customers_cte('purchase_days_aggregated_to_customers', state) }},

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

-- Accepted transactions, amounts in the raw currency (rejected rows are in quarantined_rows).
with

base_transactions as (
    select * from {{ ref('base_shop__transactions') }}
),

accepted as (
    select
        ---------- ids
        transaction_id,
        customer_id,

        ---------- strings
        transaction_type,
        currency,
        product_category,
        channel,

        ---------- numerics
        amount,

        ---------- booleans
        transaction_type = 'purchase' as is_purchase,

        ---------- timestamps
        transaction_at,

        ---------- lineage
        _validated_at
    from base_transactions
    where rejection_reason is null
)

select * from accepted

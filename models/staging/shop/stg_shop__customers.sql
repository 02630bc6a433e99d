-- Accepted customer records (rejected rows are in quarantined_rows).
with

base_customers as (
    select * from {{ ref('base_shop__customers') }}
),

accepted as (
    select
        ---------- ids
        customer_id,

        ---------- strings
        email,
        phone,
        country,
        acquisition_channel,

        ---------- timestamps
        registered_at,

        ---------- lineage
        _validated_at
    from base_customers
    where rejection_reason is null
)

select * from accepted

-- Accepted interactions (rejected rows are in quarantined_rows).
with

base_interactions as (
    select * from {{ ref('base_shop__interactions') }}
),

accepted as (
    select
        ---------- ids
        interaction_id,
        customer_id,

        ---------- strings
        interaction_type,
        channel,

        ---------- numerics
        score,

        ---------- timestamps
        occurred_at,

        ---------- lineage
        _validated_at
    from base_interactions
    where rejection_reason is null
)

select * from accepted

-- Per customer id with a record: its person, why, and the identifiers the guards kept out.
with

identities as (
    select * from {{ ref('int_customers_identity_resolved') }}
),

identity_map as (
    select
        ---------- ids
        customer_id,
        person_id,

        ---------- strings
        match_reason,
        email_status,
        phone_status,
        email_identifier_hash,
        phone_identifier_hash,

        ---------- counts
        group_size,

        ---------- booleans
        is_profile_record,
        person_id <> customer_id as is_merged_into_other_id
    from identities
)

select * from identity_map

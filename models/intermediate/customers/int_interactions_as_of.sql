{#- a view: three rows per transaction, read once by
    int_interactions_aggregated_to_customers; a table would cost a full write -#}
{{ config(materialized='view') }}

with

interactions as (
    select * from {{ ref('stg_shop__interactions') }}
),

as_of_date as (
    select * from {{ ref('int_as_of_date') }}
),

dated as (
    select
        interactions.*,
        {{ to_business_date('interactions.occurred_at') }} as occurred_date
    from interactions
),

within_as_of as (
    select
        dated.interaction_id,
        dated.customer_id,
        dated.interaction_type,
        dated.channel,
        dated.score,
        {{ days_between('dated.occurred_date', 'as_of_date.as_of_date') }}
            as days_before_as_of,
        dated.occurred_date,
        dated.occurred_at,
        dated._validated_at
    from dated
    cross join as_of_date
    where dated.occurred_date <= as_of_date.as_of_date
)

select * from within_as_of

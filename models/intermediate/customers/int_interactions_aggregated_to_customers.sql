-- Per customer: interaction and engagement counts as of as_of_date.
{{ config(**customer_aggregate_config('base_shop__interactions', 'last_interaction_at')) }}
{#- incremental on DuckDB: recomputes the customers whose interactions changed
    or crossed an as-of window edge (macros/io/incremental_customers.sql) -#}
-- depends_on: {{ ref('base_shop__interactions') }}, {{ ref('stg_shop__interactions') }}

{%- set state = customer_aggregate_state('interactions') %}

with

{{ customer_event_ctes('interactions', [30, 90], state) }},

interactions_aggregated_to_customers as (
    select
        customer_id,
        {{ count_where("interaction_type = 'visit' and days_before_as_of < 30") }}
            as visits_last_30_days,
        {{ count_where("interaction_type = 'visit' and days_before_as_of < 90") }}
            as visits_last_90_days,
        {{ count_where("interaction_type = 'email_open' and days_before_as_of < 90") }}
            as email_opens_last_90_days,
        {{ count_where("interaction_type = 'email_click' and days_before_as_of < 90") }}
            as email_clicks_last_90_days,
        {{ count_where("interaction_type = 'support_ticket'") }}
            as support_tickets,
        {{ count_where("interaction_type = 'support_ticket' and days_before_as_of < 90") }}
            as support_tickets_last_90_days,
        {{ count_where("interaction_type = 'complaint'") }} as complaints,
        {{ count_where("interaction_type = 'complaint' and days_before_as_of < 90") }}
            as complaints_last_90_days,
        {{ count_where("interaction_type = 'referral'") }} as referrals,
        {{ count_where("interaction_type = 'review' and score is not null") }}
            as review_count,
        avg(
            case
                when interaction_type = 'review'
                    then cast(score as {{ type_double() }})
            end
        ) as avg_review_score,
        max(occurred_at) as last_interaction_at,
        max(occurred_date) as last_interaction_date
    from interactions
    group by customer_id
),

{{ recomputed_customers_cte('interactions_aggregated_to_customers', state) }},

joined as (
    select
        customers.customer_id,
        interactions_aggregated_to_customers.visits_last_30_days,
        interactions_aggregated_to_customers.visits_last_90_days,
        interactions_aggregated_to_customers.email_opens_last_90_days,
        interactions_aggregated_to_customers.email_clicks_last_90_days,
        interactions_aggregated_to_customers.support_tickets,
        interactions_aggregated_to_customers.support_tickets_last_90_days,
        interactions_aggregated_to_customers.complaints,
        interactions_aggregated_to_customers.complaints_last_90_days,
        interactions_aggregated_to_customers.referrals,
        interactions_aggregated_to_customers.review_count,
        interactions_aggregated_to_customers.avg_review_score,
        interactions_aggregated_to_customers.last_interaction_at,
        interactions_aggregated_to_customers.last_interaction_date,
        {{ customer_aggregate_tail(with_fx_rates=false) }}
    from customers
    left join interactions_aggregated_to_customers
        on customers.customer_id = interactions_aggregated_to_customers.customer_id
)

select * from joined

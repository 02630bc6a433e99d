with

interactions as (
    select * from {{ ref('int_interactions_as_of') }}
),

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
)

select * from interactions_aggregated_to_customers

-- Per customer: value_score and the value_tier of the first matching rule.
{#
    value_tier from the ordered rule table in seed value_tier_rules: the first
    rule (lowest rule_order) whose every set condition holds wins; an empty
    condition always holds, so a last rule with none catches everyone else.
-#}

with

customer_features as (
    select * from {{ ref('customer_features') }}
),

value_scored as (
    select * from {{ ref('int_customers_value_scored') }}
),

churn_risk as (
    select * from {{ ref('int_customers_churn_risk') }}
),

value_tier_rules as (
    select * from {{ ref('value_tier_rules') }}
),

customers as (
    select
        customer_features.customer_id,
        customer_features.is_buyer,
        customer_features.customer_age_days,
        customer_features.spend_last_90_days
        > customer_features.spend_previous_90_days as has_spend_growth,
        value_scored.contribution_score,
        value_scored.activity_score,
        value_scored.loyalty_score,
        value_scored.potential_score,
        value_scored.value_score,
        {{ churn_risk_rank('churn_risk.churn_risk') }} as churn_risk_rank
    from customer_features
    left join value_scored
        on customer_features.customer_id = value_scored.customer_id
    left join churn_risk
        on customer_features.customer_id = churn_risk.customer_id
),

matching_rules as (
    select
        customers.customer_id,
        min(value_tier_rules.rule_order) as rule_order
    from customers
    inner join value_tier_rules
        on
            (
                value_tier_rules.customer_type = 'any'
                or (value_tier_rules.customer_type = 'buyer' and customers.is_buyer)
                or (
                    value_tier_rules.customer_type = 'prospect'
                    and not customers.is_buyer
                )
            )
            {% for dimension in ['contribution', 'activity', 'loyalty', 'potential'] %}
                and (
                    value_tier_rules.min_{{ dimension }}_score is null
                    or customers.{{ dimension }}_score
                    >= value_tier_rules.min_{{ dimension }}_score
                )
            {% endfor %}
            and (
                value_tier_rules.max_customer_age_days is null
                or customers.customer_age_days
                <= value_tier_rules.max_customer_age_days
            )
            and (
                not value_tier_rules.requires_spend_growth
                or customers.has_spend_growth
            )
            and (
                value_tier_rules.max_churn_risk is null
                or customers.churn_risk_rank
                <= {{ churn_risk_rank('value_tier_rules.max_churn_risk') }}
            )
    group by customers.customer_id
),

tiered as (
    select
        customers.customer_id,
        customers.contribution_score,
        customers.activity_score,
        customers.loyalty_score,
        customers.potential_score,
        customers.value_score,
        matching_rules.rule_order as value_tier_rule,
        value_tier_rules.value_tier
    from customers
    left join matching_rules
        on customers.customer_id = matching_rules.customer_id
    left join value_tier_rules
        on matching_rules.rule_order = value_tier_rules.rule_order
)

select * from tiered

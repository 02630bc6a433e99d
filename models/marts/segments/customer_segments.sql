-- Per customer: every segment, the playbook action and control-group flag (the main BI mart).
{% set grid = var_choice('rfm_segment_grid') -%}
{%- set playbook_scheme = var_choice('playbook_scheme', segmentation_schemes()) -%}
{#- control group: md5 bucket in [0, 2^32) below share * 2^32 -#}
{%- set control_threshold = (
    var_number('control_group_share', 0, 1) * 4294967296) | round | int -%}
{%- set control_salt = var_choice('control_group_salt') %}

with

customer_features as (
    select * from {{ ref('customer_features') }}
),

rfm_scored as (
    select * from {{ ref('int_customers_rfm_scored') }}
),

revenue_tiered as (
    select * from {{ ref('int_customers_revenue_tiered') }}
),

value_tiered as (
    select * from {{ ref('int_customers_value_tiered') }}
),

churn_risk as (
    select * from {{ ref('int_customers_churn_risk') }}
),

membership as (
    select * from {{ ref('int_customers_membership_levelled') }}
),

smart_segmented as (
    select * from {{ ref('int_customers_smart_segmented') }}
),

rfm_segment_grid as (
    select * from {{ ref('rfm_segment_grid') }}
    where grid = {{ sql_string(grid) }}
),

segment_playbook as (
    select * from {{ ref('segment_playbook') }}
    where scheme = '{{ playbook_scheme }}'
),

joined as (
    select
        customer_features.customer_id,
        customer_features.as_of_date,
        customer_features.is_buyer,
        customer_features.purchase_days,
        customer_features.recency_days,
        customer_features.last_purchase_gap_days,
        customer_features.order_count,
        customer_features.gross_revenue,
        customer_features.net_revenue,
        rfm_scored.recency_score,
        rfm_scored.frequency_score,
        rfm_scored.monetary_score,
        rfm_scored.rfm_cell,
        case
            when not customer_features.is_buyer then 'Prospect'
            else rfm_segment_grid.rfm_segment
        end as rfm_segment,
        revenue_tiered.pyramid_tier,
        revenue_tiered.abc_class,
        value_tiered.contribution_score,
        value_tiered.activity_score,
        value_tiered.loyalty_score,
        value_tiered.potential_score,
        value_tiered.value_score,
        value_tiered.value_tier,
        churn_risk.churn_risk,
        churn_risk.churn_risk_reasons,
        membership.membership_level,
        membership.membership_rank,
        membership.qualifying_points,
        membership.points_to_next_level,
        membership.level_since as membership_level_since,
        membership.next_review_date as membership_next_review_date,
        case
            when not customer_features.is_buyer then 'Prospect'
            else coalesce(smart_segmented.smart_segment, 'Unsegmented')
        end as smart_segment,
        smart_segmented.smart_cluster_number
    from customer_features
    left join rfm_scored
        on customer_features.customer_id = rfm_scored.customer_id
    left join rfm_segment_grid
        on
            rfm_scored.recency_score = rfm_segment_grid.recency_score
            and rfm_scored.frequency_score = rfm_segment_grid.frequency_score
            and rfm_scored.monetary_score = rfm_segment_grid.monetary_score
    left join revenue_tiered
        on customer_features.customer_id = revenue_tiered.customer_id
    left join value_tiered
        on customer_features.customer_id = value_tiered.customer_id
    left join churn_risk
        on customer_features.customer_id = churn_risk.customer_id
    left join membership
        on customer_features.customer_id = membership.customer_id
    left join smart_segmented
        on customer_features.customer_id = smart_segmented.customer_id
),

staged as (
    select
        joined.*,
        {{ lifecycle_stage() }} as lifecycle_stage,
        {{ hash_bucket(dbt.concat([sql_string(control_salt), 'customer_id'])) }}
        < {{ control_threshold }} as is_control_group
    from joined
),

actioned as (
    select
        ---------- ids
        staged.customer_id,

        ---------- segments
        staged.rfm_cell,
        staged.rfm_segment,
        staged.pyramid_tier,
        staged.abc_class,
        staged.value_tier,
        staged.lifecycle_stage,
        staged.membership_level,
        staged.smart_segment,
        staged.churn_risk,
        staged.churn_risk_reasons,

        ---------- actions
        segment_playbook.goal as segment_goal,
        segment_playbook.recommended_action,
        segment_playbook.target_kpi,
        segment_playbook.channel as action_channel,

        ---------- scores
        staged.recency_score,
        staged.frequency_score,
        staged.monetary_score,
        staged.contribution_score,
        staged.activity_score,
        staged.loyalty_score,
        staged.potential_score,
        staged.value_score,
        staged.membership_rank,
        staged.qualifying_points,
        staged.points_to_next_level,
        staged.smart_cluster_number,

        ---------- measures (from customer_features, for convenience)
        staged.purchase_days,
        staged.order_count,
        staged.recency_days,
        staged.gross_revenue,
        staged.net_revenue,

        ---------- booleans
        staged.is_buyer,
        staged.is_control_group,

        ---------- dates
        staged.membership_level_since,
        staged.membership_next_review_date,
        staged.as_of_date
    from staged
    left join segment_playbook
        on staged.{{ playbook_scheme }} = segment_playbook.segment
)

select * from actioned

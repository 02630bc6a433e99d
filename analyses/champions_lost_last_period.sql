{#- "How many Champions did we lose last period, and where did they go?" -#}
with

segment_transitions as (
    select * from {{ ref('segment_transitions') }}
),

last_period as (
    select max(period_end) as period_end from segment_transitions
)

select
    segment_transitions.to_segment,
    segment_transitions.customers,
    segment_transitions.share_of_from_segment,
    segment_transitions.net_revenue_at_end
from segment_transitions
inner join last_period
    on segment_transitions.period_end = last_period.period_end
where
    segment_transitions.segmentation_scheme = 'rfm_segment'
    and segment_transitions.from_segment = 'Champions'
    and segment_transitions.to_segment <> 'Champions'
order by segment_transitions.customers desc

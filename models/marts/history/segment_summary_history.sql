-- Per scheme, period and segment: size, revenue, retention, upgrades, downgrades, exits.
{#
    One row per (scheme, period, segment): the segment's size and net revenue at
    the start of the period, and where its customers were at the end: retained
    (same segment), upgraded / downgraded (to a segment of higher / lower
    segment_rank in seed segment_playbook) or exited.
-#}

with

transitions as (
    select * from {{ ref('segment_transitions') }}
),

segment_playbook as (
    select * from {{ ref('segment_playbook') }}
),

ranked as (
    select
        transitions.*,
        from_playbook.segment_rank as from_rank,
        to_playbook.segment_rank as to_rank
    from transitions
    left join segment_playbook as from_playbook
        on
            transitions.segmentation_scheme = from_playbook.scheme
            and transitions.from_segment = from_playbook.segment
    left join segment_playbook as to_playbook
        on
            transitions.segmentation_scheme = to_playbook.scheme
            and transitions.to_segment = to_playbook.segment
    where transitions.from_segment <> '(entered)'
),

aggregated as (
    select
        segmentation_scheme,
        period_start,
        period_end,
        from_segment as segment,
        sum(customers) as customers_at_start,
        sum(net_revenue_at_start) as net_revenue_at_start,
        sum(case when to_segment = from_segment then customers else 0 end)
            as retained_customers,
        sum(case when to_rank > from_rank then customers else 0 end)
            as upgraded_customers,
        sum(case when to_rank < from_rank then customers else 0 end)
            as downgraded_customers,
        sum(case when to_segment = '(exited)' then customers else 0 end)
            as exited_customers
    from ranked
    group by segmentation_scheme, period_start, period_end, from_segment
),

rates as (
    select
        aggregated.*,
        cast(retained_customers as {{ type_double() }})
        / customers_at_start as retention_rate,
        cast(upgraded_customers as {{ type_double() }})
        / customers_at_start as upgrade_rate,
        cast(downgraded_customers as {{ type_double() }})
        / customers_at_start as downgrade_rate
    from aggregated
)

select * from rates

-- Per customer and snapshot date: what customer_segments showed at that date.
{# Spark has no delete+insert: it overwrites the snapshot_date partitions instead -#}
{%- set is_spark = target.type in ['spark', 'databricks'] -%}
{%- do refuse_refresh_only_vars() -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite' if is_spark else 'delete+insert',
        partition_by=['snapshot_date'] if is_spark else none,
        unique_key=none if is_spark else 'snapshot_date',
        on_schema_change='fail'
    )
}}
{#-
    One row per (customer, snapshot_date): what customer_segments showed when
    built with as_of_date = snapshot_date. Each run writes the rows of its own
    as_of_date (replacing that date if it was written before); the refresh
    command (`custseg-refresh --history-start`) backfills a calendar of snapshot dates by
    building once per date, oldest first. Everything is recomputed from the
    transaction log, so any start date can be backfilled and re-running a date
    reproduces it exactly.
-#}

with

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

snapshot as (
    select
        as_of_date as snapshot_date,
        customer_id,
        recency_score,
        frequency_score,
        monetary_score,
        rfm_cell,
        rfm_segment,
        pyramid_tier,
        abc_class,
        value_score,
        value_tier,
        lifecycle_stage,
        membership_level,
        qualifying_points,
        smart_segment,
        churn_risk,
        is_control_group,
        purchase_days,
        order_count,
        net_revenue
    from customer_segments
)

select * from snapshot

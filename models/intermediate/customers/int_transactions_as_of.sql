{#- a view (a table on Spark, whose metastore caps view SQL): the incremental
    customer aggregates date and convert only the affected customers' rows,
    through the same macro -#}
{{ config(materialized='table' if target.type in ['spark', 'databricks'] else 'view') }}

{{ transactions_as_of(ref('stg_shop__transactions')) }}

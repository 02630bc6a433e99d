-- Accepted transactions on or before as_of_date, dated and converted to the reporting currency.
-- depends_on: {{ ref('int_customers_identity_resolved') }}
{# a view where the customer aggregates are incremental (DuckDB): they date and
    convert only the affected customers' rows, through the same macro, and full
    builds read it once per aggregate. Elsewhere a table: both aggregates and the
    tests read every row each run (and Spark's metastore caps view SQL). -#}
{{ config(materialized='view' if target.type == 'duckdb' and var_bool('incremental_staging', true)
    else 'table') }}

{{ transactions_as_of(ref('stg_shop__transactions')) }}

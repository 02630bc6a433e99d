-- Accepted interactions dated on or before as_of_date, with their business date.
-- depends_on: {{ ref('int_customers_identity_resolved') }}
{# a view: three rows per transaction, read only by
    int_interactions_aggregated_to_customers (whose incremental runs date only
    the affected customers' rows, through the same macro) -#}
{{ config(materialized='view') }}

{{ interactions_as_of(ref('stg_shop__interactions')) }}

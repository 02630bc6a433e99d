-- Every rejected raw row: where it came from, which column failed, why, its raw values.
{{ config(**quarantined_rows_config()) }}

{#-
    Every rejected raw row with what its reason code means. The rows and
    their keys come from int_raw_rows_rejected. Incremental on DuckDB: a run
    adds the rows not held yet, its pre-hook removes the ones gone (or all of
    them when a reason text changed), in one transaction.
#}

with

rejected_rows as (
    select * from {{ ref('int_raw_rows_rejected') }}
    {%- if is_incremental() %}
        where quarantine_row_id not in (
            select held.quarantine_row_id from {{ this }} as held
        )
    {%- endif %}
),

rejection_reasons as (
    select * from {{ ref('rejection_reasons') }}
),

described as (
    select
        rejected_rows.quarantine_row_id,
        rejected_rows.source_table,
        rejected_rows.source_file,
        rejected_rows.source_row,
        rejected_rows.record_id,
        rejected_rows.rejected_column,
        rejected_rows.rejection_reason,
        rejected_rows.raw_values,
        coalesce(
            rejection_reasons.description, 'undocumented reason code'
        ) as reason_description,
        rejection_reasons.action as reason_action
    from rejected_rows
    left join rejection_reasons
        on rejected_rows.rejection_reason = rejection_reasons.reason_code
)

select * from described

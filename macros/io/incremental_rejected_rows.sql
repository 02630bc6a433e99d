{#
    int_raw_rows_rejected, the rejected raw rows behind quarantined_rows, is
    incremental on DuckDB (var incremental_staging): a run rewrites the rows of
    the ids its base models validated since the table's newest row, and only
    theirs (delete+insert by source_table and record_id). A base model rewrites
    every row of an id it validates, so those ids' rows are complete in the
    batch; an id whose rows are all accepted now gets a row with a null
    rejection_reason, which removes its old rows and is deleted by the
    post-hook. Rows without an id are new whenever they are in the batch: they
    were validated after the newest stored row. When a base model was rebuilt
    in full since, the pre-hook empties the table and every row is read.
#}

{# Config of int_raw_rows_rejected: incremental on DuckDB (var incremental_staging), a table elsewhere. #}
{% macro rejected_rows_config() %}
    {%- if target.type == 'duckdb' and var_bool('incremental_staging', true) -%}
        {{ return({
            'materialized': 'incremental',
            'incremental_strategy': 'delete+insert',
            'unique_key': ['source_table', 'record_id'],
            'on_schema_change': 'fail',
            'pre_hook': "{{ reset_stale_rejected_rows() }}",
            'post_hook': ['delete from {{ this }} where rejection_reason is null'],
        }) }}
    {%- endif -%}
    {{ return({'materialized': 'table'}) }}
{% endmacro %}

{#
    The validation time after which an incremental run of int_raw_rows_rejected
    reads base rows, as a timestamp literal, or none: read every row (not an
    incremental run, an empty table, or a base model rebuilt in full since,
    which the pre-hook handles). Evaluated when the model compiles, right
    before it runs, from the same query as the pre-hook.
#}
{% macro rejected_rows_watermark() %}
    {%- if not execute or not is_incremental() or is_unit_test_fixture(this) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set state = rejected_rows_state() -%}
    {%- if state.stale or state.newest is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("cast('" ~ state.newest.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "' as timestamp)") }}
{% endmacro %}

{#
    {newest: the newest _validated_at stored, stale: a base model was rebuilt
    in full after it (its oldest row is newer) or emptied while rows of it are
    stored}. A table built by an older project version gets a clear error.
#}
{% macro rejected_rows_state() %}
    {%- do require_stored_columns(['_validated_at']) -%}
    {%- set state_query -%}
        with stored as (
            select max(_validated_at) as newest from {{ this }}
        )
        select
            stored.newest,
            false
            {%- for table_name in ['customers', 'transactions', 'interactions'] %}
            or coalesce(
                (
                    select min(base_rows._validated_at)
                    from {{ ref('base_shop__' ~ table_name) }} as base_rows
                ) > stored.newest,
                (
                    select count(*) from {{ this }} as kept
                    where kept.source_table = '{{ table_name }}'
                ) > 0
            )
            {%- endfor %}
        from stored
    {%- endset -%}
    {%- set row = run_query(state_query).rows[0] -%}
    {{ return({'newest': row[0], 'stale': row[0] is not none and row[1]}) }}
{% endmacro %}

{# pre-hook of int_raw_rows_rejected: empties the table when a base model was rebuilt in full since its newest row. #}
{% macro reset_stale_rejected_rows() %}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- if rejected_rows_state().stale -%}
        {{ log("rejected rows " ~ this ~ ": a base model was rebuilt in full; rebuilding it",
            info=true) }}
        {{ return('delete from ' ~ this) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#
    Config of quarantined_rows: on DuckDB (var incremental_staging) incremental,
    a mirror of int_raw_rows_rejected by quarantine_row_id (a hash of the row's
    content, so an id names one row): a run inserts the rows it does not hold
    yet, and its pre-hook deletes those int_raw_rows_rejected no longer holds,
    or every row when a reason text of seed rejection_reasons changed. Pre-hook
    and insert are one transaction, so readers see the old or the new rows. A
    table elsewhere.
#}
{% macro quarantined_rows_config() %}
    {%- if target.type == 'duckdb' and var_bool('incremental_staging', true) -%}
        {{ return({
            'materialized': 'incremental',
            'incremental_strategy': 'delete+insert',
            'unique_key': 'quarantine_row_id',
            'on_schema_change': 'fail',
            'pre_hook': "{{ prune_quarantined_rows() }}",
        }) }}
    {%- endif -%}
    {{ return({'materialized': 'table'}) }}
{% endmacro %}

{# pre-hook of quarantined_rows (see quarantined_rows_config). #}
{% macro prune_quarantined_rows() %}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set reasons_query -%}
        select count(*)
        from (
            select distinct rejection_reason, reason_description, reason_action
            from {{ this }}
        ) as stored
        left join {{ ref('rejection_reasons') }} as reasons
            on stored.rejection_reason = reasons.reason_code
        where stored.reason_description
            is distinct from coalesce(reasons.description, 'undocumented reason code')
            or stored.reason_action is distinct from reasons.action
    {%- endset -%}
    {%- if run_query(reasons_query).columns[0].values()[0] > 0 -%}
        {{ log("quarantined_rows: seed rejection_reasons changed; rewriting every row", info=true) }}
        {{ return('delete from ' ~ this) }}
    {%- endif -%}
    {{ return('delete from ' ~ this ~ ' where quarantine_row_id not in ('
        ~ 'select kept.quarantine_row_id from ' ~ ref('int_raw_rows_rejected') ~ ' as kept)') }}
{% endmacro %}

{#
    Config of mart raw_files: on DuckDB (var incremental_staging) incremental,
    every run rewriting every row (delete+insert by table and path) from the
    files present and its own previous rows, so gone files keep their history;
    a table elsewhere.
#}
{% macro raw_files_config() %}
    {%- if target.type == 'duckdb' and var_bool('incremental_staging', true) -%}
        {{ return({
            'materialized': 'incremental',
            'incremental_strategy': 'delete+insert',
            'unique_key': ['source_table', 'file_path'],
            'on_schema_change': 'fail',
        }) }}
    {%- endif -%}
    {{ return({'materialized': 'table'}) }}
{% endmacro %}

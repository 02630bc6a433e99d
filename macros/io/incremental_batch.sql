{#
    Config of a base_ model: on DuckDB incremental (var incremental_staging),
    delete+insert by the raw id, so a run validates only what was loaded since
    the last one; a table elsewhere (no file load times there).
#}
{% macro base_model_config(id_column) %}
    {%- if target.type == 'duckdb' and var_bool('incremental_staging', true) -%}
        {{ return({
            'materialized': 'incremental',
            'incremental_strategy': 'delete+insert',
            'unique_key': id_column,
            'on_schema_change': 'fail',
            'pre_hook': "{{ reset_stale_base_model() }}",
            'post_hook': "{{ insert_malformed_lines(this.identifier.replace('base_shop__', '')) }}",
        }) }}
    {%- endif -%}
    {{ return({
        'materialized': 'table',
        'post_hook': "{{ insert_malformed_lines(this.identifier.replace('base_shop__', '')) }}",
    }) }}
{% endmacro %}

{# A row's load time: its loaded_at column when given, else its file's modification time. #}
{% macro loaded_at_expr() %}
    {{ return('coalesce(' ~ parse_timestamp_utc('_loaded_at_text') ~ ', _file_modified_at)') }}
{% endmacro %}

{#
    The raw rows a run validates, with their load time (_loaded_at), as
    {ctes, relation, repeated_relation}: `ctes` opens the model's WITH (may be '') and `relation`
    is what to select the rows from. A full build: all rows, streamed from the
    files by every reference (ctes ''), so nothing is held in memory. An
    incremental run (DuckDB): every row of the files that are new (a path the
    table holds no row of, whatever its modification time), every other row of
    an id among them (so re-deliveries and corrections are resolved together)
    and the ids rejected as future_dated whose day has come; their old rows are
    replaced (delete+insert by id). A file that changed or is gone makes the
    pre-hook empty the table, and the run reads everything (see
    base_model_staleness). The older rows of the batch's ids are located
    through the table itself (file and row number, kept for every row) and
    fetched from their files, and the batch is materialized once (CTE
    raw_batch). With no new file and nothing due the batch is empty and no file
    is read.
#}
{% macro batch_rows(table_name, id_column, event_column) %}
    {%- set manifest = raw_manifest(table_name) -%}
    {%- set with_load_time = loaded_rows_of(read_raw(table_name, manifest=manifest)) -%}
    {#- the rows of repeated ids (CTE repeated_ids), filtered on the file reader's id
        before the other columns are trimmed: a full build trims ~0.4 % of the rows
        twice instead of all of them (about 11 s of operator time at 30M rows) -#}
    {%- set repeated_rows = with_load_time -%}
    {%- if target.type == 'duckdb' and not is_unit_test_fixture(source('shop', table_name)) -%}
        {%- set repeated_rows = loaded_rows_of(read_raw(table_name, manifest=manifest,
            where=trim_text('raw_files.' ~ id_column)
                ~ ' in (select repeated_ids.repeated_id from repeated_ids)')) -%}
    {%- endif -%}
    {%- if this is none or not is_incremental() -%}
        {{ return({'ctes': '', 'relation': with_load_time, 'repeated_relation': repeated_rows}) }}
    {%- endif -%}
    {%- set plan = incremental_batch_plan(table_name, event_column, manifest) -%}
    {%- if plan.rebuild -%}
        {#- the pre-hook empties the table: every row is due -#}
        {{ return({'ctes': '', 'relation': with_load_time, 'repeated_relation': repeated_rows}) }}
    {%- endif -%}
    {%- if plan.empty -%}
        {%- set empty = '(select * from ' ~ with_load_time ~ ' as loaded_rows where 1 = 0)' -%}
        {{ return({'ctes': '', 'relation': empty, 'repeated_relation': empty}) }}
    {%- endif -%}
    {%- set loaded_rows = loaded_rows_of(
        read_raw(table_name, manifest=manifest, files=plan.new_files)) -%}
    {%- set older_files = [] -%}
    {%- for file in manifest.files if file.path not in plan.new_files -%}
        {%- do older_files.append(file.path) -%}
    {%- endfor -%}
    {%- if var('raw_format') == 'parquet' -%}
        {%- set position_filter -%}
            (raw_files.filename, raw_files.file_row_number + 1) in (
                select batch_positions._source_file, batch_positions._source_row
                from batch_positions
            )
        {%- endset -%}
    {%- else -%}
        {#- CSV rows carry no row number: match the id within the files that hold it -#}
        {%- set position_filter -%}
            raw_files.filename in (select batch_positions._source_file from batch_positions)
            and {{ trim_text('raw_files.' ~ id_column) }} in (
                select batch_positions.batch_id from batch_positions
            )
        {%- endset -%}
    {%- endif -%}
    {%- set ctes -%}
    batch_loaded as materialized (
        select * from {{ loaded_rows }} as loaded_rows
    ),

    batch_positions as (
        {#- where the stored rows of the batch's ids and of due future_dated ids came from -#}
        select
            stored._source_file,
            stored._source_row,
            stored.{{ id_column }} as batch_id
        from {{ this }} as stored
        where
            stored.{{ id_column }} in (
                select batch_loaded.{{ id_column }} from batch_loaded
            )
            or stored.{{ id_column }} in (
                select waiting.{{ id_column }}
                from {{ this }} as waiting
                where waiting.rejection_reason = 'future_dated'
                    and not {{ is_future_dated('waiting.' ~ event_column) }}
            )
    ),

    raw_batch as materialized (
        select * from batch_loaded
        union all
        select older_rows.*
        from {{ loaded_rows_of(read_raw(table_name, manifest=manifest, files=older_files,
            where=position_filter)) }} as older_rows
    ),
    {%- endset -%}
    {{ return({'ctes': ctes, 'relation': 'raw_batch', 'repeated_relation': 'raw_batch'}) }}
{% endmacro %}

{# The rows of a read_raw relation with their load time (_loaded_at), as a parenthesized query. #}
{% macro loaded_rows_of(raw_relation) %}
    {{ return('(select raw_rows.*, ' ~ loaded_at_expr() ~ ' as _loaded_at from '
        ~ raw_relation ~ ')') }}
{% endmacro %}

{#
    What an incremental run of a base_ model reads (DuckDB; runs when the model
    compiles, before its pre-hook): {rebuild: the pre-hook will empty the table
    (base_model_staleness), so every row is due; new_files: the manifest's files
    the table holds no row of; empty: nothing to read (no new file, no
    future_dated row whose day has come)}.
#}
{% macro incremental_batch_plan(table_name, event_column, manifest) %}
    {%- set plan = {'rebuild': false, 'new_files': [], 'empty': false} -%}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- set state = base_model_state(event_column) -%}
    {%- if state.gone > 0 or state.changed > 0 or state.other_input > 0 -%}
        {%- do plan.update({'rebuild': true}) -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- set new_files = [] -%}
    {%- for file in manifest.files if file.path not in state.stored_files -%}
        {%- do new_files.append(file.path) -%}
    {%- endfor -%}
    {%- do plan.update({'new_files': new_files,
        'empty': new_files | length == 0 and state.waiting == 0}) -%}
    {{ return(plan) }}
{% endmacro %}

{#
    pre-hook of incremental base_ models: empties the table (so the run
    rebuilds it in full) when the input it was built from no longer holds:
    another raw_path, raw_format or reporting_currency, a file it read is gone,
    or a file it read changed (size, modification time or content fingerprint:
    rewritten in place).
#}
{% macro reset_stale_base_model() %}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set state = base_model_state() -%}
    {%- if state.gone > 0 or state.changed > 0 or state.other_input > 0 -%}
        {{ log("base model " ~ this ~ ": input changed (" ~ state.gone ~ " file(s) gone, "
            ~ state.changed ~ " file(s) rewritten in place, "
            ~ state.other_input ~ " row(s) from other settings); rebuilding it in full",
            info=true) }}
        {{ return('delete from ' ~ this) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#
    The stored state of an incremental base_ model against the files listed
    now (base_shop__raw_files), in one query: {gone: files it read that are no
    longer there, changed: files it read whose size, modification time or
    fingerprint differ now, other_input: rows stored under other settings,
    waiting: future_dated rows whose day has come (with event_column),
    stored_files: the files it holds rows of}. A table built by an older
    project version gets a clear error.
#}
{% macro base_model_state(event_column=none) %}
    {%- do require_stored_columns(['_input_key', '_file_size'], 'file manifest columns') -%}
    {%- set table_name = this.identifier.replace('base_shop__', '') -%}
    {%- set state_query -%}
        with

        stored_files as (
            select distinct
                _source_file as file_path,
                _file_size as file_size,
                _file_modified_at as file_modified_at,
                _file_fingerprint as file_fingerprint
            from {{ this }}
        ),

        listed_files as (
            select * from {{ ref('base_shop__raw_files') }}
            where source_table = '{{ table_name }}'
        )

        select
            'gone' as item,
            count(*) as n,
            cast(null as varchar) as file_path
        from stored_files
        where file_path not in (select listed_files.file_path from listed_files)
        union all
        select 'changed', count(*), null
        from stored_files
        inner join listed_files
            on stored_files.file_path = listed_files.file_path
        where stored_files.file_size is distinct from listed_files.file_size
            or stored_files.file_modified_at is distinct from listed_files.file_modified_at
            or stored_files.file_fingerprint is distinct from listed_files.file_fingerprint
        union all
        select 'other_input', count(*), null
        from {{ this }}
        where _input_key is distinct from '{{ base_input_key() }}'
        {%- if event_column is not none %}
        union all
        select 'waiting', count(*), null
        from {{ this }}
        where rejection_reason = 'future_dated'
            and not {{ is_future_dated(event_column) }}
        {%- endif %}
        union all
        select distinct 'stored', 0, file_path from stored_files
    {%- endset -%}
    {%- set state = {'gone': 0, 'changed': 0, 'other_input': 0, 'waiting': 0,
        'stored_files': []} -%}
    {%- for row in run_query(state_query).rows -%}
        {%- if row[0] == 'stored' -%}
            {%- do state.stored_files.append(row[2]) -%}
        {%- else -%}
            {%- do state.update({row[0]: row[1]}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(state) }}
{% endmacro %}

{#
    What a base_ model's rows depend on besides the raw rows (stored in
    _input_key): the rule version (rule_version('base'), where it says when to
    bump it) and the settings that change how a raw row reads.
#}
{% macro base_input_key() %}
    {{ return(rule_version('base') ~ '|' ~ (var('raw_path') | string | trim)
        ~ '|' ~ var('raw_format') ~ '|' ~ (var('reporting_currency') | upper)) }}
{% endmacro %}

{#
    post-hook of the base_ models on DuckDB with CSV files: the lines the
    reader could not parse (recorded in csv_rejects_table during this run's
    scans) become rows of the table, rejected as malformed_line, with their
    file, line number (the header is line 1) and raw text (PII redacted). A line
    already stored (an older file read again for the batch's ids) is not added
    twice.
#}
{% macro insert_malformed_lines(table_name) %}
    {%- if not execute or target.type != 'duckdb' or var('raw_format') != 'csv' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set exists_query -%}
        select count(*) from duckdb_tables()
        where temporary and table_name = '{{ csv_rejects_table(table_name) }}'
    {%- endset -%}
    {%- if run_query(exists_query).columns[0].values()[0] == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set insert_sql -%}
        insert into {{ this }} (
            _source_file, _source_row, raw_values, _loaded_at,
            _file_modified_at, _file_size, _file_fingerprint,
            _input_key, _validated_at, rejection_reason, rejected_column
        )
        with

        malformed as (
            select
                scans.file_path,
                errors.line,
                min(errors.csv_line) as csv_line
            from {{ csv_rejects_table(table_name) }} as errors
            inner join {{ csv_rejects_table(table_name) }}_scans as scans
                on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
            group by scans.file_path, errors.line
        )

        select
            malformed.file_path,
            malformed.line,
            {{ redact_pii("'line=' || left(malformed.csv_line, 1000)") }},
            listed.file_modified_at,
            listed.file_modified_at,
            listed.file_size,
            listed.file_fingerprint,
            '{{ base_input_key() }}',
            {{ run_timestamp() }},
            'malformed_line',
            null
        from malformed
        inner join {{ ref('base_shop__raw_files') }} as listed
            on malformed.file_path = listed.file_path
            and listed.source_table = '{{ table_name }}'
        where not exists (
            select 1 from {{ this }} as stored
            where stored._source_file = malformed.file_path
                and stored._source_row = malformed.line
                and stored.rejection_reason = 'malformed_line'
        )
    {%- endset -%}
    {{ return(insert_sql) }}
{% endmacro %}

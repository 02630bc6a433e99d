{#
    Config of a base_ model: on DuckDB incremental (var incremental_staging),
    delete+insert by the raw id, so a run validates only what was loaded since
    the last one; a table elsewhere (no file load times there).
#}
{% macro base_model_config(id_column) %}
    {%- if target.type == 'duckdb' and var('incremental_staging', true) -%}
        {{ return({
            'materialized': 'incremental',
            'incremental_strategy': 'delete+insert',
            'unique_key': id_column,
            'on_schema_change': 'fail',
            'pre_hook': "{{ reset_stale_base_model() }}",
        }) }}
    {%- endif -%}
    {{ return({'materialized': 'table'}) }}
{% endmacro %}

{# A row's load time: its loaded_at column when given, else its file's modification time. #}
{% macro loaded_at_expr() %}
    {{ return('coalesce(' ~ parse_timestamp_utc('_loaded_at_text') ~ ', _file_modified_at)') }}
{% endmacro %}

{#
    The raw rows a run validates, with their load time (_loaded_at), as
    {ctes, relation}: `ctes` opens the model's WITH (may be '') and `relation`
    is what to select the rows from. A full build: all rows, streamed from the
    files by every reference (ctes ''), so nothing is held in memory. An
    incremental run (DuckDB): the rows loaded after the newest load time already
    stored, every other row of an id among them (so re-deliveries and
    corrections are resolved together), and the ids rejected as future_dated
    whose day has come; their old rows are replaced (delete+insert by id). The
    older rows of those ids are located through the table itself (file and row
    number, kept for every row) and fetched from their files by position, so no
    file is searched by id, and the batch is materialized once (CTE raw_batch).
    When no file changed since (load time = file time) and nothing is due, it is
    empty and no file is read.
#}
{% macro batch_rows(table_name, id_column, event_column) %}
    {%- set with_load_time -%}
        (
            select
                raw_rows.*,
                {{ loaded_at_expr() }} as _loaded_at
            from {{ read_raw(table_name) }}
        )
    {%- endset -%}
    {%- if this is none or not is_incremental() -%}
        {{ return({'ctes': '', 'relation': with_load_time}) }}
    {%- endif -%}
    {%- set plan = incremental_batch_plan(table_name, event_column) -%}
    {%- if plan.rebuild -%}
        {#- the pre-hook empties the table: every row is due -#}
        {{ return({'ctes': '', 'relation': with_load_time}) }}
    {%- endif -%}
    {%- if plan.empty -%}
        {{ return({'ctes': '', 'relation':
            '(select * from ' ~ with_load_time ~ ' as loaded_rows where 1 = 0)'}) }}
    {%- endif -%}
    {%- set watermark -%}
        (
            select coalesce(max(stored._loaded_at), cast('1900-01-01' as timestamp))
            from {{ this }} as stored
        )
    {%- endset -%}
    {%- if plan.per_row_load_time -%}
        {#- a loaded_at column: any file may hold newer rows -#}
        {%- set loaded_rows = '(select * from ' ~ with_load_time
            ~ ' as timed_rows where timed_rows._loaded_at > ' ~ watermark ~ ')' -%}
        {%- set older_files_filter = 'true' -%}
    {%- elif plan.new_files | length > 0 -%}
        {%- set quoted_files = [] -%}
        {%- for file_name in plan.new_files -%}
            {%- do quoted_files.append("'" ~ (file_name | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- set loaded_rows -%}
            (
                select
                    raw_rows.*,
                    {{ loaded_at_expr() }} as _loaded_at
                from {{ read_raw(table_name, files=plan.new_files) }}
            )
        {%- endset -%}
        {%- set older_files_filter = 'raw_files.filename not in ('
            ~ quoted_files | join(', ') ~ ')' -%}
    {%- else -%}
        {#- only future_dated rows came due -#}
        {%- set loaded_rows = '(select * from ' ~ with_load_time ~ ' as no_rows where 1 = 0)' -%}
        {%- set older_files_filter = 'true' -%}
    {%- endif -%}
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
            and nullif(trim(cast(raw_files.{{ id_column }} as varchar)), '') in (
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
        from (
            select
                raw_rows.*,
                {{ loaded_at_expr() }} as _loaded_at
            from {{ read_raw(table_name, where=position_filter ~ ' and ' ~ older_files_filter) }}
        ) as older_rows
        where older_rows._loaded_at <= {{ watermark }}
    ),
    {%- endset -%}
    {{ return({'ctes': ctes, 'relation': 'raw_batch'}) }}
{% endmacro %}

{#
    What an incremental run of a base_ model reads (DuckDB; runs when the model
    compiles, before its pre-hook): {rebuild: the pre-hook will empty the table
    (base_model_staleness), so every row is due; per_row_load_time: the files
    carry a loaded_at column, so any file may hold newer rows; new_files: the
    files modified after the newest stored load time; empty: nothing to read (no
    loaded_at column, no new file, no future_dated row whose day has come)}.
#}
{% macro incremental_batch_plan(table_name, event_column) %}
    {%- set plan = {'rebuild': false, 'per_row_load_time': false, 'new_files': [],
        'empty': false} -%}
    {%- if not execute or target.type != 'duckdb' -%}
        {%- do plan.update({'per_row_load_time': true}) -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- set stale = base_model_staleness() -%}
    {%- if stale.gone > 0 or stale.other_input > 0 -%}
        {%- do plan.update({'rebuild': true}) -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- if raw_has_loaded_at(table_name, raw_file_reader(table_name)) -%}
        {%- do plan.update({'per_row_load_time': true}) -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- set files_query -%}
        select filename
        from read_blob('{{ raw_file_glob(table_name) }}')
        where timezone('UTC', last_modified) > (
            select coalesce(max(_loaded_at), cast('1900-01-01' as timestamp))
            from {{ this }}
        )
        order by filename
    {%- endset -%}
    {%- set new_files = run_query(files_query).columns[0].values() | list -%}
    {%- set waiting_query -%}
        select count(*) from {{ this }}
        where rejection_reason = 'future_dated'
            and not {{ is_future_dated(event_column) }}
    {%- endset -%}
    {%- set waiting = run_query(waiting_query).columns[0].values()[0] -%}
    {%- do plan.update({'new_files': new_files,
        'empty': new_files | length == 0 and waiting == 0}) -%}
    {{ return(plan) }}
{% endmacro %}

{#
    pre-hook of incremental base_ models: empties the table (so the run
    rebuilds it in full) when the input it was built from no longer holds:
    another raw_path, raw_format or reporting_currency, or a file it read is gone.
#}
{% macro reset_stale_base_model() %}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set stale = base_model_staleness() -%}
    {%- if stale.gone > 0 or stale.other_input > 0 -%}
        {{ log("base model " ~ this ~ ": input changed (" ~ stale.gone ~ " file(s) gone, "
            ~ stale.other_input ~ " row(s) from other settings); rebuilding it in full",
            info=true) }}
        {{ return('delete from ' ~ this) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#
    Why an incremental base_ model must be rebuilt in full: {gone: files it read
    that are gone, other_input: rows stored under other settings}. A table built
    by an older project version gets a clear error.
#}
{% macro base_model_staleness() %}
    {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name')
        | map('lower') | list -%}
    {%- if '_input_key' not in stored_columns or '_validated_at' not in stored_columns -%}
        {{ exceptions.raise_compiler_error(
            this ~ " was built by an older version of this project (no validation times); "
            ~ "rebuild it once with: dbt build --full-refresh") }}
    {%- endif -%}
    {%- set file_glob = raw_file_glob(this.identifier.replace('base_shop__', '')) -%}
    {%- set stale_query -%}
        select
            (
                select count(*) from (
                    select distinct _source_file from {{ this }}
                ) as stored_files
                where _source_file not in (select filename from read_blob('{{ file_glob }}'))
            ),
            (
                select count(*) from {{ this }}
                where _input_key is distinct from '{{ base_input_key() }}'
            )
    {%- endset -%}
    {%- set row = run_query(stale_query).rows[0] -%}
    {{ return({'gone': row[0], 'other_input': row[1]}) }}
{% endmacro %}

{# What a base_ model's rows depend on besides the raw rows (stored in _input_key). #}
{% macro base_input_key() %}
    {{ return('v1|' ~ (var('raw_path') | string | trim) ~ '|' ~ var('raw_format')
        ~ '|' ~ (var('reporting_currency') | upper)) }}
{% endmacro %}

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
    A subquery of the raw rows a run validates, with their load time
    (_loaded_at). A full build: all of them. An incremental run: rows loaded
    after the newest load time already stored, every other row of an id among
    them (so re-deliveries and corrections are resolved together), and the ids
    rejected as future_dated whose day has come. Their old rows are replaced
    (delete+insert by id). When no file changed since (load time = file time)
    and nothing is due, it is empty and no raw file is read. Each call reads the
    files itself, so a model may stream it several times without holding it.
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
        {{ return(with_load_time) }}
    {%- endif -%}
    {%- set watermark -%}
        (
            select coalesce(max(_loaded_at), cast('1900-01-01' as timestamp))
            from {{ this }}
        )
    {%- endset -%}
    {%- if incremental_batch_is_empty(table_name, watermark, event_column) -%}
        {{ return('(select * from ' ~ with_load_time ~ ' as loaded_rows where 1 = 0)') }}
    {%- endif -%}
    {%- set batch -%}
        (
            select loaded_rows.*
            from {{ with_load_time }} as loaded_rows
            where
                loaded_rows._loaded_at > {{ watermark }}
                or loaded_rows.{{ id_column }} in (
                    select newer.{{ id_column }}
                    from {{ with_load_time }} as newer
                    where newer._loaded_at > {{ watermark }}
                )
                or loaded_rows.{{ id_column }} in (
                    select waiting.{{ id_column }}
                    from {{ this }} as waiting
                    where waiting.rejection_reason = 'future_dated'
                        and not {{ is_future_dated('waiting.' ~ event_column) }}
                )
        )
    {%- endset -%}
    {{ return(batch) }}
{% endmacro %}

{#
    True when an incremental run of a base_ model has nothing to do: the files
    carry no loaded_at column (so a row's load time is its file's time), no
    rebuild is due (base_model_staleness; this runs when the model compiles,
    before its pre-hook), no file is newer than the newest stored load time,
    and no row rejected as future_dated has reached its day.
#}
{% macro incremental_batch_is_empty(table_name, watermark, event_column) %}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if raw_has_loaded_at(table_name, raw_file_reader(table_name)) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set stale = base_model_staleness() -%}
    {%- if stale.gone > 0 or stale.other_input > 0 -%}
        {#- the pre-hook will empty the table: every row is due -#}
        {{ return(false) }}
    {%- endif -%}
    {%- set pending_query -%}
        select
            (
                select count(*) from read_blob('{{ raw_file_glob(table_name) }}')
                where timezone('UTC', last_modified) > {{ watermark }}
            )
            + (
                select count(*) from {{ this }}
                where rejection_reason = 'future_dated'
                    and not {{ is_future_dated(event_column) }}
            )
    {%- endset -%}
    {{ return(run_query(pending_query).columns[0].values()[0] == 0) }}
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

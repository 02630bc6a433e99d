{#
    A relation (or table expression) yielding one raw contract table with every
    contract column as trimmed text (blank = null), plus _source_file,
    _source_row (null where the engine cannot tell), _loaded_at_text (the
    optional loaded_at column, as text) and _file_modified_at (the file's
    modification time in UTC, null where unknown). DuckDB only (incremental
    batches): `files`, a list of the table's files to read instead of all of
    them; `where`, a condition on the file reader's own columns (raw_files.*)
    applied before any column is trimmed or cast.
#}
{% macro read_raw(table_name, files=none, where=none) %}
    {#- always register the source, so lineage and docs show it -#}
    {%- set source_relation = source('shop', table_name) -%}
    {%- if (source_relation | string).startswith('__dbt__cte__') -%}
        {#- a dbt unit-test fixture stands in for the source: read it as a table -#}
        {{ return(default__read_raw(table_name, source_relation)) }}
    {%- endif -%}
    {%- if (files is not none or where is not none) and target.type != 'duckdb' -%}
        {{ exceptions.raise_compiler_error(
            "read_raw: files and where are supported on DuckDB only") }}
    {%- endif -%}
    {{ return(adapter.dispatch('read_raw', 'customer_segmentation')(
        table_name, source_relation, files, where)) }}
{% endmacro %}

{#
    Whether the raw data carries the optional loaded_at column (var
    raw_loaded_at_column: present, absent, or auto = look at the files on
    DuckDB, absent elsewhere).
#}
{% macro raw_has_loaded_at(table_name, reader=none) %}
    {%- set mode = var_choice('raw_loaded_at_column', ['auto', 'present', 'absent']) -%}
    {%- if mode != 'auto' -%}
        {{ return(mode == 'present') }}
    {%- endif -%}
    {%- if reader is none or not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set described = run_query('select * from ' ~ reader ~ ' limit 0') -%}
    {{ return('loaded_at' in (described.column_names | map('lower') | list)) }}
{% endmacro %}

{% macro default__read_raw(table_name, source_relation, files=none, where=none) %}
    (
        select
            {%- for column in raw_contract_columns(table_name) %}
            nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '') as {{ column }},
            {%- endfor %}
            cast('{{ source_relation }}' as {{ dbt.type_string() }})
                as _source_file,
            cast(null as {{ dbt.type_bigint() }}) as _source_row,
            {%- if raw_has_loaded_at(table_name) %}
            nullif(trim(cast(loaded_at as {{ dbt.type_string() }})), '') as _loaded_at_text,
            {%- else %}
            cast(null as {{ dbt.type_string() }}) as _loaded_at_text,
            {%- endif %}
            cast(null as {{ dbt.type_timestamp() }}) as _file_modified_at
        from {{ source_relation }}
    ) as raw_rows
{% endmacro %}

{# DuckDB: the glob of a raw table's files (<table>.<format> and later deliveries). #}
{% macro raw_file_glob(table_name) %}
    {%- set raw_format = var_choice('raw_format', ['csv', 'parquet']) -%}
    {%- set raw_path = var('raw_path') | string | trim -%}
    {%- if raw_path == '' or "'" in raw_path -%}
        {{ exceptions.raise_compiler_error(
            "var 'raw_path' must be a directory path without quotes, got '"
            ~ raw_path ~ "'") }}
    {%- endif -%}
    {{ return(raw_path.rstrip('/') ~ '/' ~ table_name ~ '*.' ~ raw_format) }}
{% endmacro %}

{# DuckDB: the table function reading every file of a raw table (or the given list of its files), all columns as text or as stored. #}
{% macro raw_file_reader(table_name, files=none) %}
    {%- set file_glob = raw_file_glob(table_name) -%}
    {%- if files is none -%}
        {%- set file_arg = "'" ~ file_glob ~ "'" -%}
    {%- else -%}
        {%- set quoted = [] -%}
        {%- for file_name in files -%}
            {%- do quoted.append("'" ~ (file_name | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- set file_arg = '[' ~ quoted | join(', ') ~ ']' -%}
    {%- endif -%}
    {%- if var('raw_format') == 'csv' -%}
        {%- set reader -%}
            read_csv(
                {{ file_arg }},
                header = true,
                all_varchar = true,
                union_by_name = true,
                filename = true
            )
        {%- endset -%}
    {%- else -%}
        {%- set reader -%}
            read_parquet(
                {{ file_arg }},
                union_by_name = true,
                filename = true,
                file_row_number = true
            )
        {%- endset -%}
    {%- endif -%}
    {{ return(reader) }}
{% endmacro %}

{% macro duckdb__read_raw(table_name, source_relation, files=none, where=none) %}
    {%- set file_glob = raw_file_glob(table_name) -%}
    {%- set reader = raw_file_reader(table_name, files) -%}
    {%- set row_expr = 'cast(null as bigint)' if var('raw_format') == 'csv'
        else 'raw_files.file_row_number + 1' -%}
    {%- set columns = raw_contract_columns(table_name) -%}
    {#- columns are selected by header name; a missing one fails with its name #}
    (
        select
            {%- for column in columns %}
            nullif(trim(cast(raw_files.{{ column }} as varchar)), '') as {{ column }},
            {%- endfor %}
            raw_files.filename as _source_file,
            {{ row_expr }} as _source_row,
            {%- if raw_has_loaded_at(table_name, reader) %}
            nullif(trim(cast(raw_files.loaded_at as varchar)), '') as _loaded_at_text,
            {%- else %}
            cast(null as varchar) as _loaded_at_text,
            {%- endif %}
            file_times._file_modified_at
        from {{ reader }} as raw_files
        left join (
            {#- file metadata only: read_blob does not read the contents here -#}
            select
                filename as file_name,
                timezone('UTC', last_modified) as _file_modified_at
            from read_blob('{{ file_glob }}')
        ) as file_times
            on raw_files.filename = file_times.file_name
        {%- if where is not none %}
        where {{ where }}
        {%- endif %}
    ) as raw_rows
{% endmacro %}

{% macro spark__read_raw(table_name, source_relation, files=none, where=none) %}
    {#- files under raw_path were registered as session views by register_raw_files -#}
    {%- if spark_raw_view(table_name) is none -%}
        {{ return(default__read_raw(table_name, source_relation)) }}
    {%- endif %}
    (
        select
            {%- for column in raw_contract_columns(table_name) %}
            nullif(trim(cast({{ column }} as string)), '') as {{ column }},
            {%- endfor %}
            input_file_name() as _source_file,
            cast(null as bigint) as _source_row,
            {%- if raw_has_loaded_at(table_name) %}
            nullif(trim(cast(loaded_at as string)), '') as _loaded_at_text,
            {%- else %}
            cast(null as string) as _loaded_at_text,
            {%- endif %}
            cast(null as timestamp) as _file_modified_at
        from {{ spark_raw_view(table_name) }}
    ) as raw_rows
{% endmacro %}

{#
    Spark: the session view name under which register_raw_files exposes the raw
    file of a contract table, or none when var raw_path is '' (read raw_schema).
#}
{% macro spark_raw_view(table_name) %}
    {%- if (var('raw_path') | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return('custseg_raw__' ~ table_name) }}
{% endmacro %}

{#
    on-run-start hook. Spark: register each raw contract file under var raw_path
    as a temporary view of the session (every column text; nothing is copied or
    dropped). Other engines read files in read_raw or tables in raw_schema: no-op.
#}
{% macro register_raw_files() %}
    {{ return(adapter.dispatch('register_raw_files', 'customer_segmentation')()) }}
{% endmacro %}

{% macro default__register_raw_files() %}
    {{ return('') }}
{% endmacro %}

{% macro spark__register_raw_files() %}
    {%- if not execute or spark_raw_view('customers') is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set raw_format = var_choice('raw_format', ['csv', 'parquet']) -%}
    {%- set raw_path = var('raw_path') | string | trim -%}
    {%- if "'" in raw_path -%}
        {{ exceptions.raise_compiler_error(
            "var 'raw_path' must be a directory path without quotes, got '" ~ raw_path ~ "'") }}
    {%- endif -%}
    {%- for table_name in ['customers', 'transactions', 'interactions'] -%}
        {%- set file_path = raw_path.rstrip('/') ~ '/' ~ table_name ~ '.' ~ raw_format -%}
        {%- set options = "path '" ~ file_path ~ "'" -%}
        {%- if raw_format == 'csv' -%}
            {#- RFC 4180 quoting; every column text; no trimming or null guessing here -#}
            {%- set options = options ~ ", header 'true', inferSchema 'false', escape '\"'"
                ~ ", multiLine 'true', mode 'FAILFAST'" -%}
        {%- endif -%}
        {%- do run_query(
            'create or replace temporary view ' ~ spark_raw_view(table_name)
            ~ ' using ' ~ raw_format ~ ' options (' ~ options ~ ')') -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

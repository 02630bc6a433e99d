{#
    A relation (or table expression) yielding one raw contract table with every
    contract column as trimmed text (blank = null), plus _source_file,
    _source_row (the line of a CSV file is not known for accepted rows: null;
    the row of a Parquet file), _loaded_at_text (the optional loaded_at column,
    as text), _file_modified_at, _file_size and _file_fingerprint (null where
    the engine reads tables, not files). DuckDB only: `manifest`, the table's
    files as raw_manifest found them (read once per model); `files`, a list of
    the table's files to read instead of all of them; `where`, a condition on
    the file reader's own columns (raw_files.*) applied before any column is
    trimmed or cast.
#}
{% macro read_raw(table_name, manifest=none, files=none, where=none) %}
    {#- always register the source, so lineage and docs show it -#}
    {%- set source_relation = source('shop', table_name) -%}
    {%- if is_unit_test_fixture(source_relation) -%}
        {#- a dbt unit-test fixture stands in for the source: read it as a table -#}
        {{ return(default__read_raw(table_name, source_relation)) }}
    {%- endif -%}
    {%- if (files is not none or where is not none) and target.type != 'duckdb' -%}
        {{ exceptions.raise_compiler_error(
            "read_raw: files and where are supported on DuckDB only") }}
    {%- endif -%}
    {{ return(adapter.dispatch('read_raw', 'customer_segmentation')(
        table_name, source_relation, manifest, files, where)) }}
{% endmacro %}

{#
    Whether the raw data carries the optional loaded_at column (var
    raw_loaded_at_column: present, absent, or auto = any file's header has it
    on DuckDB (from the manifest), absent elsewhere).
#}
{% macro raw_has_loaded_at(table_name, manifest=none) %}
    {%- set mode = var_choice('raw_loaded_at_column', ['auto', 'present', 'absent']) -%}
    {%- if mode != 'auto' -%}
        {{ return(mode == 'present') }}
    {%- endif -%}
    {%- if manifest is none -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(manifest.has_loaded_at) }}
{% endmacro %}

{% macro default__read_raw(table_name, source_relation, manifest=none, files=none, where=none) %}
    (
        select
            {%- for column in raw_contract_columns(table_name) %}
            {{ trim_text(dbt.cast(column, dbt.type_string())) }} as {{ column }},
            {%- endfor %}
            cast('{{ source_relation }}' as {{ dbt.type_string() }})
                as _source_file,
            cast(null as {{ dbt.type_bigint() }}) as _source_row,
            {%- if raw_has_loaded_at(table_name) %}
            {{ trim_text(dbt.cast('loaded_at', dbt.type_string())) }} as _loaded_at_text,
            {%- else %}
            cast(null as {{ dbt.type_string() }}) as _loaded_at_text,
            {%- endif %}
            cast(null as {{ dbt.type_timestamp() }}) as _file_modified_at,
            cast(null as {{ dbt.type_bigint() }}) as _file_size,
            cast(null as {{ dbt.type_string() }}) as _file_fingerprint
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

{#
    The CSV dialect every raw file is read with: var csv_delimiter (one
    character, default ','), quote and escape '"', a header line, UTF-8. Nothing
    is detected from the data.
#}
{% macro csv_delimiter() %}
    {%- set delimiter = var('csv_delimiter', ',') | string -%}
    {%- if delimiter == '\\t' -%}
        {%- set delimiter = '\t' -%}
    {%- endif -%}
    {%- if delimiter | length != 1 or delimiter in ['"', "'", '\n', '\r', '\\'] -%}
        {{ exceptions.raise_compiler_error(
            "var 'csv_delimiter' must be one character other than a quote, a backslash "
            ~ "or a line break (\\t for tab), got '" ~ delimiter ~ "'") }}
    {%- endif -%}
    {{ return(delimiter) }}
{% endmacro %}

{# DuckDB: the read_csv options of the project's dialect (see csv_delimiter). #}
{% macro csv_dialect_options() %}
    {%- set delimiter = csv_delimiter() -%}
    {%- set delimiter_sql = "chr(9)" if delimiter == '\t' else "'" ~ delimiter ~ "'" -%}
    {{ return("auto_detect = false, delim = " ~ delimiter_sql
        ~ ", quote = '\"', escape = '\"', encoding = 'utf-8'") }}
{% endmacro %}

{# DuckDB: a SQL string literal of a file path. #}
{% macro sql_path(path) %}
    {{ return("'" ~ (path | replace("'", "''")) ~ "'") }}
{% endmacro %}

{# Files at most this large get a content fingerprint (hash of their bytes); larger ones are told apart by size and modification time only. #}
{% macro raw_fingerprint_max_bytes() %}
    {{ return(1073741824) }}
{% endmacro %}

{#
    DuckDB, when the model runs: the raw files of a table as they are now
    (from base_shop__raw_files, built earlier in the run), read once per model
    and passed to the macros that need them, as {files: [{path, size,
    modified_at (UTC text), fingerprint, columns}] in name order,
    has_loaded_at}. Every file's header is checked against the contract: an
    empty file, a missing contract column or a column named twice stops the
    build with a message naming the file; extra columns are ignored with a log
    line. No file at all is an error too.
#}
{% macro raw_manifest(table_name) %}
    {%- set manifest = {'files': [], 'has_loaded_at': false} -%}
    {%- if is_unit_test_fixture(source('shop', table_name)) -%}
        {#- a dbt unit test: the fixture stands in for the files -#}
        {{ return(manifest) }}
    {%- endif -%}
    {%- if var_choice('raw_format', ['csv', 'parquet']) == 'csv' -%}
        {%- do csv_delimiter() -%}
    {%- endif -%}
    {#- referenced at parse time too, so the file listing runs first -#}
    {%- set listed_files = ref('base_shop__raw_files') -%}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return(manifest) }}
    {%- endif -%}
    {%- if load_relation(listed_files) is none -%}
        {#- a compile before any build (dbt compile, sqlfluff, the benchmark's
            floor): the files as they are, without fingerprints -#}
        {%- set listing_query -%}
            select
                filename,
                size,
                timezone('UTC', last_modified),
                cast(null as varchar)
            from read_blob({{ sql_path(raw_file_glob(table_name)) }})
            order by filename
        {%- endset -%}
    {%- else -%}
        {%- set listing_query -%}
            select
                file_path,
                file_size,
                file_modified_at,
                file_fingerprint
            from {{ listed_files }}
            where source_table = '{{ table_name }}'
            order by file_path
        {%- endset -%}
    {%- endif -%}
    {%- set listing = run_query(listing_query).rows -%}
    {%- if listing | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "raw table " ~ table_name ~ ": no file matches " ~ raw_file_glob(table_name)
            ~ " (vars raw_path, raw_format)") }}
    {%- endif -%}
    {%- set headers = raw_file_headers(listing | map(attribute=0) | list) -%}
    {%- set contract = raw_contract_columns(table_name) -%}
    {%- for row in listing -%}
        {%- set path = row[0] -%}
        {%- set columns = headers.get(path) -%}
        {%- if row[1] == 0 or columns is none or columns | length == 0 -%}
            {{ exceptions.raise_compiler_error(
                "raw file " ~ path ~ " is empty (" ~ row[1] ~ " bytes): every raw file "
                ~ "needs a header line; remove the file or deliver it again") }}
        {%- endif -%}
        {%- for column in columns if columns.count(column) > 1 -%}
            {{ exceptions.raise_compiler_error(
                "raw file " ~ path ~ " names column '" ~ column ~ "' more than once "
                ~ "in its header") }}
        {%- endfor -%}
        {%- set missing = [] -%}
        {%- for column in contract if column not in columns -%}
            {%- do missing.append(column) -%}
        {%- endfor -%}
        {%- if missing | length > 0 -%}
            {{ exceptions.raise_compiler_error(
                "raw file " ~ path ~ " lacks contract column(s) " ~ missing | join(', ')
                ~ " of table " ~ table_name ~ " (its header: " ~ columns | join(', ')
                ~ (("; delimiter '" ~ csv_delimiter() ~ "'") if var('raw_format') == 'csv' else '')
                ~ ")") }}
        {%- endif -%}
        {%- set extra = [] -%}
        {%- for column in columns if column not in contract and column != 'loaded_at' -%}
            {%- do extra.append(column) -%}
        {%- endfor -%}
        {%- if extra | length > 0 -%}
            {{ log("raw file " ~ path ~ ": ignoring column(s) outside the contract: "
                ~ extra | join(', '), info=true) }}
        {%- endif -%}
        {%- if 'loaded_at' in columns -%}
            {%- do manifest.update({'has_loaded_at': true}) -%}
        {%- endif -%}
        {%- do manifest.files.append({
            'path': path, 'size': row[1],
            'modified_at': row[2].strftime('%Y-%m-%d %H:%M:%S.%f'),
            'fingerprint': row[3], 'columns': columns}) -%}
    {%- endfor -%}
    {{ return(manifest) }}
{% endmacro %}

{#
    DuckDB: {path: [column names, lower-cased and trimmed, in file order]} of
    the given raw files; a file without a first line is left out. CSV headers
    are parsed with the project's dialect (quoted names work) by a
    single-threaded reader, whose first row is the first line (a parallel scan
    may return another line first); Parquet names come from the schema.
#}
{% macro raw_file_headers(paths) %}
    {%- set headers = {} -%}
    {%- if var('raw_format') == 'parquet' -%}
        {%- set quoted = [] -%}
        {%- for path in paths -%}{%- do quoted.append(sql_path(path)) -%}{%- endfor -%}
        {%- set schema_query -%}
            select file_name, name
            from parquet_schema([{{ quoted | join(', ') }}])
            where num_children is null
        {%- endset -%}
        {%- for row in run_query(schema_query).rows -%}
            {%- do headers.setdefault(row[0], []).append(row[1] | trim | lower) -%}
        {%- endfor -%}
        {{ return(headers) }}
    {%- endif -%}
    {%- set width = 128 -%}
    {%- set slots = [] -%}
    {%- for i in range(width) -%}{%- do slots.append("'c" ~ i ~ "': 'VARCHAR'") -%}{%- endfor -%}
    {%- set parts = [] -%}
    {%- for path in paths -%}
        {%- set part -%}
            select * from (
                select {{ loop.index0 }} as file_index, *
                from read_csv(
                    {{ sql_path(path) }},
                    header = false, {{ csv_dialect_options() }},
                    columns = { {{- slots | join(', ') -}} },
                    null_padding = true, strict_mode = false,
                    nullstr = '<custseg: no null in a header>',
                    parallel = false
                )
                limit 1
            )
        {%- endset -%}
        {%- do parts.append(part) -%}
    {%- endfor -%}
    {%- for row in run_query(parts | join('\nunion all\n')).rows -%}
        {%- set names = [] -%}
        {%- for value in row[1:] if value is not none -%}
            {#- a header field left empty still has a column: give it a name -#}
            {%- do names.append((value | trim | lower) or ('_unnamed_' ~ loop.index0)) -%}
        {%- endfor -%}
        {%- do headers.update({paths[row[0]]: names}) -%}
    {%- endfor -%}
    {{ return(headers) }}
{% endmacro %}

{# DuckDB: the temporary table where read_csv stores the lines of a raw table it could not parse (one per dbt connection). #}
{% macro csv_rejects_table(table_name) %}
    {{ return('custseg_csv_rejects__' ~ table_name) }}
{% endmacro %}

{#
    DuckDB: a table expression reading the given manifest files of a raw table
    (all of them when `files` is none), one reader per file, with the file's
    name as `filename`, `file_row_number` (Parquet; null for CSV) and the
    file's manifest values as literals (file_modified_at, file_size,
    file_fingerprint: no join, so the planner keeps its row estimates).
    Columns are picked by name, so files may order them differently or carry
    extra ones; a file without loaded_at gives null there (every file has the
    contract columns: raw_manifest checked). A CSV file is read with exactly
    the columns its header names; lines that do not parse (wrong number of
    fields, an unterminated quote, invalid UTF-8) are skipped by the reader and
    recorded in csv_rejects_table, and the base model's post-hook quarantines
    them as malformed_line (insert_malformed_lines).
#}
{% macro raw_file_reader(table_name, manifest, files=none) %}
    {%- set has_loaded_at = raw_has_loaded_at(table_name, manifest) -%}
    {%- set wanted = raw_contract_columns(table_name) + (['loaded_at'] if has_loaded_at else []) -%}
    {%- set parts = [] -%}
    {%- for file in manifest.files if files is none or file.path in files -%}
        {%- set picked = [] -%}
        {%- for column in wanted -%}
            {%- if column in file.columns -%}
                {%- do picked.append('cast("' ~ column ~ '" as varchar) as ' ~ column) -%}
            {%- else -%}
                {%- do picked.append('cast(null as varchar) as ' ~ column) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set fingerprint = sql_path(file.fingerprint) if file.fingerprint is not none
            else 'cast(null as varchar)' -%}
        {%- do picked.extend([
            'filename',
            'cast(null as bigint) as file_row_number' if var('raw_format') == 'csv'
                else 'file_row_number',
            "cast('" ~ file.modified_at ~ "' as timestamp) as file_modified_at",
            'cast(' ~ file.size ~ ' as bigint) as file_size',
            fingerprint ~ ' as file_fingerprint',
        ]) -%}
        {%- if var('raw_format') == 'csv' -%}
            {%- set declared = [] -%}
            {%- for column in file.columns -%}
                {%- do declared.append("'" ~ (column | replace("'", "''")) ~ "': 'VARCHAR'") -%}
            {%- endfor -%}
            {%- set part -%}
                select {{ picked | join(', ') }}
                from read_csv(
                    {{ sql_path(file.path) }},
                    header = true, {{ csv_dialect_options() }},
                    columns = { {{- declared | join(', ') -}} },
                    strict_mode = true, null_padding = false,
                    ignore_errors = true, store_rejects = true,
                    rejects_table = '{{ csv_rejects_table(table_name) }}',
                    rejects_scan = '{{ csv_rejects_table(table_name) }}_scans',
                    filename = true
                )
            {%- endset -%}
        {%- else -%}
            {%- set part -%}
                select {{ picked | join(', ') }}
                from read_parquet({{ sql_path(file.path) }}, filename = true,
                    file_row_number = true)
            {%- endset -%}
        {%- endif -%}
        {%- do parts.append(part) -%}
    {%- endfor -%}
    {%- if parts | length == 0 -%}
        {#- nothing to read (parse time, or no file selected): an empty reader of the same columns -#}
        {%- set typed = [] -%}
        {%- for column in wanted -%}
            {%- do typed.append('cast(null as varchar) as ' ~ column) -%}
        {%- endfor -%}
        {{ return('(select ' ~ typed | join(', ') ~ ', cast(null as varchar) as filename, '
            ~ 'cast(null as bigint) as file_row_number, '
            ~ 'cast(null as timestamp) as file_modified_at, cast(null as bigint) as file_size, '
            ~ 'cast(null as varchar) as file_fingerprint where false)') }}
    {%- endif -%}
    {{ return('(' ~ parts | join('\nunion all\n') ~ ')') }}
{% endmacro %}

{% macro duckdb__read_raw(table_name, source_relation, manifest=none, files=none, where=none) %}
    {%- set manifest = manifest if manifest is not none else raw_manifest(table_name) -%}
    {%- set reader = raw_file_reader(table_name, manifest, files) -%}
    {%- set row_expr = 'cast(null as bigint)' if var('raw_format') == 'csv'
        else 'raw_files.file_row_number + 1' -%}
    {%- set columns = raw_contract_columns(table_name) %}
    (
        select
            {%- for column in columns %}
            {{ trim_text('raw_files.' ~ column) }} as {{ column }},
            {%- endfor %}
            raw_files.filename as _source_file,
            {{ row_expr }} as _source_row,
            {%- if raw_has_loaded_at(table_name, manifest) %}
            {{ trim_text('raw_files.loaded_at') }} as _loaded_at_text,
            {%- else %}
            cast(null as varchar) as _loaded_at_text,
            {%- endif %}
            raw_files.file_modified_at as _file_modified_at,
            raw_files.file_size as _file_size,
            raw_files.file_fingerprint as _file_fingerprint
        from {{ reader }} as raw_files
        {%- if where is not none %}
        where {{ where }}
        {%- endif %}
    ) as raw_rows
{% endmacro %}

{% macro spark__read_raw(table_name, source_relation, manifest=none, files=none, where=none) %}
    {#- files under raw_path were registered as session views by register_raw_files -#}
    {%- if spark_raw_view(table_name) is none -%}
        {{ return(default__read_raw(table_name, source_relation)) }}
    {%- endif %}
    (
        select
            {%- for column in raw_contract_columns(table_name) %}
            {{ trim_text('cast(' ~ column ~ ' as string)') }} as {{ column }},
            {%- endfor %}
            input_file_name() as _source_file,
            cast(null as bigint) as _source_row,
            {%- if raw_has_loaded_at(table_name) %}
            {{ trim_text('cast(loaded_at as string)') }} as _loaded_at_text,
            {%- else %}
            cast(null as string) as _loaded_at_text,
            {%- endif %}
            cast(null as timestamp) as _file_modified_at,
            cast(null as bigint) as _file_size,
            cast(null as string) as _file_fingerprint
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

{# The raw contract tables, in the order models list them. #}
{% macro raw_table_names() %}
    {{ return(['customers', 'transactions', 'interactions']) }}
{% endmacro %}

{#
    The raw files of one table as rows (source_table, file_path, file_size,
    file_modified_at, file_fingerprint) for base_shop__raw_files. DuckDB: every
    file matching the table's glob; the fingerprint hashes the bytes of files up
    to raw_fingerprint_max_bytes. Spark with var raw_path: the file registered as
    the table's session view, by the name its rows carry. Elsewhere: the source
    relation.
#}
{% macro raw_files_listed(table_name) %}
    {{ return(adapter.dispatch('raw_files_listed', 'customer_segmentation')(table_name)) }}
{% endmacro %}

{% macro default__raw_files_listed(table_name) %}
    select
        cast('{{ table_name }}' as {{ dbt.type_string() }}) as source_table,
        cast('{{ source('shop', table_name) }}' as {{ dbt.type_string() }}) as file_path,
        cast(null as {{ dbt.type_bigint() }}) as file_size,
        cast(null as {{ dbt.type_timestamp() }}) as file_modified_at,
        cast(null as {{ dbt.type_string() }}) as file_fingerprint
{% endmacro %}

{% macro spark__raw_files_listed(table_name) %}
    {#- the file registered by register_raw_files, named as read_raw names its rows -#}
    {%- if spark_raw_view(table_name) is none -%}
        {{ return(default__raw_files_listed(table_name)) }}
    {%- endif %}
    select distinct
        cast('{{ table_name }}' as string) as source_table,
        input_file_name() as file_path,
        cast(null as bigint) as file_size,
        cast(null as timestamp) as file_modified_at,
        cast(null as string) as file_fingerprint
    from {{ spark_raw_view(table_name) }}
{% endmacro %}

{% macro duckdb__raw_files_listed(table_name) %}
    {#- the bytes are read only for the files small enough to hash -#}
    {%- set file_glob = raw_file_glob(table_name) -%}
    {%- set hashed = [] -%}
    {%- if execute -%}
        {%- set listing_query -%}
            select filename from read_blob({{ sql_path(file_glob) }})
            where size <= {{ raw_fingerprint_max_bytes() }}
            order by filename
        {%- endset -%}
        {%- for path in run_query(listing_query).columns[0].values() -%}
            {%- do hashed.append(sql_path(path)) -%}
        {%- endfor -%}
    {%- endif %}
    select
        '{{ table_name }}' as source_table,
        listed.filename as file_path,
        listed.size as file_size,
        timezone('UTC', listed.last_modified) as file_modified_at,
        fingerprints.file_fingerprint
    from read_blob({{ sql_path(file_glob) }}) as listed
    left join (
        {%- if hashed | length > 0 %}
        select filename, md5(content) as file_fingerprint
        from read_blob([{{ hashed | join(', ') }}])
        {%- else %}
        select cast(null as varchar) as filename, cast(null as varchar) as file_fingerprint
        where false
        {%- endif %}
    ) as fingerprints
        on listed.filename = fingerprints.filename
{% endmacro %}

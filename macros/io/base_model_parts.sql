{#
    Shared pieces of the base_shop__* models (each model keeps its own parsing
    and check ladder). Rows of ids that occur once in the batch are checked in
    one streaming pass; only rows of repeated ids go through
    resolve_duplicate_ids.
#}

{# CTE `repeated_ids`: the ids that occur more than once among the batch's raw rows. #}
{% macro repeated_ids_cte(raw_batch, id_column) %}
    repeated_ids as (
        select {{ id_column }} as repeated_id
        from {{ raw_batch }} as raw_ids
        where {{ id_column }} is not null
        group by {{ id_column }}
        having count(*) > 1
    )
{% endmacro %}

{# The batch's raw rows of ids that occur once (part 'single') or more often ('repeated'). #}
{% macro raw_rows_of(raw_batch, id_column, part) %}
    select raw_rows_in_batch.*
    from {{ raw_batch }} as raw_rows_in_batch
    left join repeated_ids
        on raw_rows_in_batch.{{ id_column }} = repeated_ids.repeated_id
    where repeated_ids.repeated_id is {{ 'null' if part == 'single' else 'not null' }}
{% endmacro %}

{# The raw text (raw__<column>, trimmed, blank = null) and delivery columns a base model carries to its checks and the quarantine. #}
{% macro raw_row_columns(table_name) %}
    {%- set columns = [] -%}
    {%- for column in raw_contract_columns(table_name) -%}
        {%- do columns.append(column ~ ' as raw__' ~ column) -%}
    {%- endfor -%}
    {%- do columns.extend(['_source_file', '_source_row', '_loaded_at_text', '_loaded_at',
        '_file_modified_at', '_file_size', '_file_fingerprint']) -%}
    {{ return(columns | join(',\n            ')) }}
{% endmacro %}

{#
    The first rung of every check ladder: a line that repeats the header (every
    contract column holds its own name, as when two exports are joined with
    cat) is a malformed_line, not data.
#}
{% macro repeated_header_check(table_name) %}
    {%- set conditions = [] -%}
    {%- for column in raw_contract_columns(table_name) -%}
        {%- do conditions.append('lower(raw__' ~ column ~ ") = '" ~ column ~ "'") -%}
    {%- endfor -%}
    {{ return('when ' ~ conditions | join(' and ') ~ " then ':malformed_line'") }}
{% endmacro %}

{# The last rung of every check ladder: a loaded_at that is given but does not parse. #}
{% macro loaded_at_check() %}
    {{ return("when _loaded_at_text is not null and "
        ~ parse_timestamp_utc('_loaded_at_text')
        ~ " is null then 'loaded_at:unparseable_timestamp'") }}
{% endmacro %}

{# Rows of ids that occur once (`single_relation`, no duplicate resolution) plus `resolved`. #}
{% macro single_and_resolved_rows(single_relation) %}
    select
        {{ single_relation }}.*,
        {{ unresolved_duplicate_columns() }}
    from {{ single_relation }}
    union all
    select * from resolved
{% endmacro %}

{# The delivery and verdict columns that end every base model's output. #}
{% macro base_row_tail() %}
    {{ return(
        "_source_file,\n        _source_row,\n        _loaded_at,\n        "
        ~ "_file_modified_at,\n        _file_size,\n        _file_fingerprint,\n        '"
        ~ base_input_key() ~ "' as _input_key,\n        "
        ~ run_timestamp() ~ " as _validated_at,\n        "
        ~ split_rejection('coalesce(rejection, duplicate_rejection)')) }}
{% endmacro %}

{# The start of this dbt invocation (UTC) as a timestamp literal: when the rows a run writes were validated. #}
{% macro run_timestamp() %}
    {{ return("cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "' as timestamp)") }}
{% endmacro %}

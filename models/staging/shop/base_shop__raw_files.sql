-- One row per raw file present now: its size, modification time and content fingerprint.
{{ config(materialized='table') }}

{#-
    The one place a run looks at the raw files. The base_ models decide from
    it which files are new, changed or gone (macros/io/incremental_batch.sql),
    and mart raw_files keeps the history. Off DuckDB the raw tables are
    relations, one "file" each, with no size or time.
#}

with

{% for table_name in raw_table_names() %}
    {{ table_name }}_files as (
        {{ raw_files_listed(table_name) }}
    ),
{% endfor %}

raw_files as (
    {% for table_name in raw_table_names() %}
        select * from {{ table_name }}_files
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from raw_files

-- One row per raw file ever read: what it held, what was rejected, and whether it is still there.
{{ config(**raw_files_config()) }}

{#-
    The file manifest for operators and BI. Each run lists the files present
    (base_shop__raw_files) and counts their rows in the base_ models, which
    hold every raw row with its verdict, so rows_read = rows_accepted +
    rows_quarantined for every file. Incremental on DuckDB: a file no longer
    there keeps its row, marked gone, with what it held when last seen.
#}

with

listed_files as (
    select * from {{ ref('base_shop__raw_files') }}
),

{% for table_name in raw_table_names() %}
    base_shop__{{ table_name }} as (
        select * from {{ ref('base_shop__' ~ table_name) }}
    ),
{% endfor %}

rows_per_file as (
    {% for table_name in raw_table_names() %}
        select
            '{{ table_name }}' as source_table,
            _source_file as file_path,
            count(*) as rows_read,
            {{ count_where('rejection_reason is null') }} as rows_accepted,
            {{ count_where('rejection_reason is not null') }} as rows_quarantined,
            {{ count_where("rejection_reason = 'malformed_line'") }} as rows_malformed,
            min(_validated_at) as first_validated_at,
            max(_validated_at) as last_validated_at
        from base_shop__{{ table_name }}
        group by _source_file
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

present_files as (
    select
        listed_files.source_table,
        listed_files.file_path,
        listed_files.file_size,
        listed_files.file_modified_at,
        listed_files.file_fingerprint,
        coalesce(rows_per_file.rows_read, 0) as rows_read,
        coalesce(rows_per_file.rows_accepted, 0) as rows_accepted,
        coalesce(rows_per_file.rows_quarantined, 0) as rows_quarantined,
        coalesce(rows_per_file.rows_malformed, 0) as rows_malformed,
        coalesce(rows_per_file.first_validated_at, {{ run_timestamp() }})
            as first_validated_at,
        coalesce(rows_per_file.last_validated_at, {{ run_timestamp() }})
            as last_validated_at
    from listed_files
    left join rows_per_file
        on listed_files.source_table = rows_per_file.source_table
            and listed_files.file_path = rows_per_file.file_path
),

{% if is_incremental() %}

    previous_files as (
        select * from {{ this }}
    ),

{% endif %}

files as (
    select
        present_files.source_table,
        present_files.file_path,
        present_files.file_size,
        present_files.file_modified_at,
        present_files.file_fingerprint,
        present_files.rows_read,
        present_files.rows_accepted,
        present_files.rows_quarantined,
        present_files.rows_malformed,
        {%- if is_incremental() %}
            case
                when previous_files.file_path is null
                    or previous_files.file_status = 'gone' then 'new'
                when previous_files.file_size
                    is distinct from present_files.file_size
                    or previous_files.file_modified_at
                    is distinct from present_files.file_modified_at
                    or previous_files.file_fingerprint
                    is distinct from present_files.file_fingerprint
                    then 'changed'
                else 'unchanged'
            end as file_status,
            coalesce(
                previous_files.first_read_at, present_files.first_validated_at
            ) as first_read_at,
        {%- else %}
            'new' as file_status,
            present_files.first_validated_at as first_read_at,
        {%- endif %}
        present_files.last_validated_at as last_read_at
    from present_files
    {%- if is_incremental() %}
        left join previous_files
            on present_files.source_table = previous_files.source_table
            and present_files.file_path = previous_files.file_path
    {%- endif %}
    {%- if is_incremental() %}
        union all
        select
            previous_files.source_table,
            previous_files.file_path,
            previous_files.file_size,
            previous_files.file_modified_at,
            previous_files.file_fingerprint,
            previous_files.rows_read,
            previous_files.rows_accepted,
            previous_files.rows_quarantined,
            previous_files.rows_malformed,
            'gone' as file_status,
            previous_files.first_read_at,
            previous_files.last_read_at
        from previous_files
        left join present_files
            on previous_files.source_table = present_files.source_table
            and previous_files.file_path = present_files.file_path
        where present_files.file_path is null
    {%- endif %}
)

select * from files

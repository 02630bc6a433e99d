-- Every rejected raw row of every raw table, keyed, for quarantined_rows.
{{ config(**rejected_rows_config()) }}

{#-
    The rejected raw rows of every raw table, keyed. Incremental on DuckDB:
    only the ids validated since the newest stored row are rewritten (see
    macros/io/incremental_rejected_rows.sql); quarantined_rows adds the reason
    texts.
#}

{%- set raw_tables = [
    ('customers', 'base_shop__customers', 'customer_id'),
    ('transactions', 'base_shop__transactions', 'transaction_id'),
    ('interactions', 'base_shop__interactions', 'interaction_id'),
] %}

{%- set watermark = rejected_rows_watermark() %}

with

{% for table_name, base_model, id_column in raw_tables %}
    {{ base_model }} as (
        select * from {{ ref(base_model) }}
        {%- if watermark is not none %}
            where _validated_at > {{ watermark }}
        {%- endif %}
    ),
{% endfor %}

rejected_rows as (
    {% for table_name, base_model, id_column in raw_tables %}
        select
            '{{ table_name }}' as source_table,
            _source_file as source_file,
            _source_row as source_row,
            {{ id_column }} as record_id,
            rejected_column,
            rejection_reason,
            raw_values,
            _validated_at
        from {{ base_model }}
        where rejection_reason is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

keyed as (
    {#- identical rejected rows (e.g. a CSV re-delivery) are told apart by an
        occurrence number; which copy gets which number cannot matter. Copies
        share their id, so an incremental run sees all of them together. -#}
    select
        rejected_rows.*,
        row_number() over (
            partition by
                source_table, source_file, source_row, raw_values,
                rejection_reason
            order by record_id
        ) as occurrence
    from rejected_rows
),

identified as (
    select
        {{ dbt.hash(dbt.concat([
            'keyed.source_table', "'|'", 'keyed.source_file', "'|'",
            "coalesce(" ~ dbt.cast('keyed.source_row', dbt.type_string()) ~ ", '')",
            "'|'", 'keyed.raw_values', "'|'", 'keyed.rejection_reason', "'|'",
            dbt.cast('keyed.occurrence', dbt.type_string()),
        ])) }} as quarantine_row_id,
        keyed.source_table,
        keyed.source_file,
        keyed.source_row,
        keyed.record_id,
        keyed.rejected_column,
        keyed.rejection_reason,
        keyed.raw_values,
        keyed._validated_at
    from keyed
),

{% if watermark is not none -%}
cleared as (
    {#- ids validated this run whose rows are all accepted now: a row with a
        null rejection_reason removes their old rows (delete+insert), then
        the post-hook deletes it -#}
    {% for table_name, base_model, id_column in raw_tables %}
        select
            '{{ table_name }}' as source_table,
            {{ id_column }} as record_id,
            max(_validated_at) as _validated_at
        from {{ base_model }}
        where {{ id_column }} is not null
        group by {{ id_column }}
        having count(rejection_reason) = 0
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

{% endif -%}

final as (
    select * from identified
    {%- if watermark is not none %}
        union all
        select
            cast(null as {{ dbt.type_string() }}) as quarantine_row_id,
            cleared.source_table,
            cast(null as {{ dbt.type_string() }}) as source_file,
            cast(null as {{ dbt.type_bigint() }}) as source_row,
            cleared.record_id,
            cast(null as {{ dbt.type_string() }}) as rejected_column,
            cast(null as {{ dbt.type_string() }}) as rejection_reason,
            cast(null as {{ dbt.type_string() }}) as raw_values,
            cleared._validated_at
        from cleared
    {%- endif %}
)

select * from final

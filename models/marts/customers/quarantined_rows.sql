{%- set raw_tables = [
    ('customers', 'base_shop__customers', 'customer_id'),
    ('transactions', 'base_shop__transactions', 'transaction_id'),
    ('interactions', 'base_shop__interactions', 'interaction_id'),
] %}

with

{% for table_name, base_model, id_column in raw_tables %}
    {{ base_model }} as (
        select * from {{ ref(base_model) }}
    ),
{% endfor %}

rejection_reasons as (
    select * from {{ ref('rejection_reasons') }}
),

rejected_rows as (
    {% for table_name, base_model, id_column in raw_tables %}
        select
            '{{ table_name }}' as source_table,
            _source_file as source_file,
            _source_row as source_row,
            {{ id_column }} as record_id,
            rejected_column,
            rejection_reason,
            raw_values
        from {{ base_model }}
        where rejection_reason is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

keyed as (
    {#- identical rejected rows (e.g. a CSV re-delivery) are told apart by an
        occurrence number; which copy gets which number cannot matter -#}
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

described as (
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
        coalesce(
            rejection_reasons.description, 'undocumented reason code'
        ) as reason_description,
        rejection_reasons.action as reason_action
    from keyed
    left join rejection_reasons
        on keyed.rejection_reason = rejection_reasons.reason_code
)

select * from described

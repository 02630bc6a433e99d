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

described as (
    select
        rejected_rows.*,
        coalesce(
            rejection_reasons.description, 'undocumented reason code'
        ) as reason_description,
        rejection_reasons.action as reason_action
    from rejected_rows
    left join rejection_reasons
        on rejected_rows.rejection_reason = rejection_reasons.reason_code
)

select * from described

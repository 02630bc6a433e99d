{{ config(severity='error') }}
{#-
    Fails the build when more than var max_rejected_share of any raw table is
    rejected. Exact re-deliveries (duplicate_delivery) lose no data and are not
    counted.
-#}
{%- set max_share_ppm = var_share_ppm('max_rejected_share') %}

with

rejections as (
    {% for table_name in ['customers', 'transactions', 'interactions'] %}
        select
            '{{ table_name }}' as source_table,
            count(*) as raw_rows,
            {{ count_where(
                "rejection_reason is not null"
                ~ " and rejection_reason not in ('duplicate_delivery', 'superseded')") }}
                as rejected_rows
        from {{ ref('base_shop__' ~ table_name) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select *
from rejections
where rejected_rows * 1000000 > {{ max_share_ppm }} * raw_rows

{#
    CTEs ending in `resolved`: the rows of `relation` (checked one by one: column
    `rejection` is null when accepted, raw text in raw__<column>) plus
    `duplicate_rejection`. Among accepted rows, an id delivered more than once
    with identical raw values keeps its first delivery and rejects the others as
    duplicate_delivery; an id carried by rows that differ rejects them all as
    conflicting_duplicate_id. Only ids that occur more than once are sorted and
    hashed, so the cost stays proportional to the duplicates.
#}
{% macro resolve_duplicate_ids(relation, id_column, table_name) %}
    {%- set fingerprint = row_fingerprint(table_name, prefix='raw__') -%}
    {%- set row_text = raw_values_text(table_name, prefix='raw__') -%}
    duplicate_ids as (
        select {{ id_column }} as duplicate_id
        from {{ relation }}
        where rejection is null
        group by {{ id_column }}
        having count(*) > 1
    ),

    flagged as (
        select
            {{ relation }}.*,
            (
                duplicate_ids.duplicate_id is not null
                and {{ relation }}.rejection is null
            ) as has_duplicate_id
        {#- an equi-join only: an extra condition here makes a nested-loop join #}
        from {{ relation }}
        left join duplicate_ids
            on {{ relation }}.{{ id_column }} = duplicate_ids.duplicate_id
    ),

    duplicates_resolved as (
        select
            flagged.*,
            case
                when
                    min({{ fingerprint }}) over (partition by {{ id_column }})
                    <> max({{ fingerprint }}) over (partition by {{ id_column }})
                    then '{{ id_column }}:conflicting_duplicate_id'
                when
                    row_number() over (
                        partition by {{ id_column }}
                        order by _source_file, _source_row, {{ row_text }}
                    ) > 1
                    then '{{ id_column }}:duplicate_delivery'
            end as duplicate_rejection
        from flagged
        where has_duplicate_id
    ),

    resolved as (
        select
            flagged.*,
            cast(null as {{ dbt.type_string() }}) as duplicate_rejection
        from flagged
        where not has_duplicate_id
        union all
        select * from duplicates_resolved
    )
{% endmacro %}

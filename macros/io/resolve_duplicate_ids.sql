{#
    CTEs ending in `resolved`: the rows of `relation` (checked one by one: column
    `rejection` is null when accepted, raw text in raw__<column>, load time in
    _loaded_at) plus `duplicate_rejection`. Among the accepted rows of an id
    delivered more than once, the latest load wins: an earlier row identical to
    the winner is a duplicate_delivery, one that differs is superseded (a
    correction replaced it); when loads share the latest time, the one from the
    file with the greatest name is the latest (later deliveries are named
    after the first: transactions__2026-01-05 after transactions). Among rows
    of the latest load (one file), identical raw values
    keep the first delivery and reject the others as duplicate_delivery; rows
    that differ are all rejected as conflicting_duplicate_id. Only ids that occur
    more than once are sorted and hashed, so the cost stays proportional to the
    duplicates.
#}
{% macro resolve_duplicate_ids(relation, id_column, table_name) %}
    {%- set fingerprint = row_fingerprint(table_name, prefix='raw__') -%}
    {%- set row_text = raw_values_text(table_name, prefix='raw__') -%}
    {%- set no_load_time = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" -%}
    {%- set load_time = 'coalesce(_loaded_at, ' ~ no_load_time ~ ')' -%}
    duplicate_ids as (
        select
            {{ id_column }} as duplicate_id,
            max({{ load_time }}) as latest_loaded_at
        from {{ relation }}
        where rejection is null
        group by {{ id_column }}
        having count(*) > 1
    ),

    duplicate_latest_loads as (
        {#- loads that share the latest time: the file with the greatest name wins -#}
        select
            duplicate_ids.duplicate_id,
            duplicate_ids.latest_loaded_at,
            max({{ relation }}._source_file) as latest_source_file
        from {{ relation }}
        inner join duplicate_ids
            on {{ relation }}.{{ id_column }} = duplicate_ids.duplicate_id
            and {{ load_time }} = duplicate_ids.latest_loaded_at
        where {{ relation }}.rejection is null
        group by duplicate_ids.duplicate_id, duplicate_ids.latest_loaded_at
    ),

    flagged as (
        select
            {{ relation }}.*,
            duplicate_latest_loads.latest_loaded_at,
            duplicate_latest_loads.latest_source_file,
            (
                duplicate_latest_loads.duplicate_id is not null
                and {{ relation }}.rejection is null
            ) as has_duplicate_id
        {#- an equi-join only: an extra condition here makes a nested-loop join #}
        from {{ relation }}
        left join duplicate_latest_loads
            on {{ relation }}.{{ id_column }} = duplicate_latest_loads.duplicate_id
    ),

    duplicates_fingerprinted as (
        select
            flagged.*,
            {{ fingerprint }} as row_fingerprint,
            (
                {{ load_time }} = latest_loaded_at
                and _source_file = latest_source_file
            ) as is_latest_load
        from flagged
        where has_duplicate_id
    ),

    duplicates_compared as (
        select
            duplicates_fingerprinted.*,
            min(case when is_latest_load then row_fingerprint end)
                over (partition by {{ id_column }})
                as latest_min_fingerprint,
            max(case when is_latest_load then row_fingerprint end)
                over (partition by {{ id_column }})
                as latest_max_fingerprint
        from duplicates_fingerprinted
    ),

    duplicates_resolved as (
        select
            duplicates_compared.*,
            case
                when not is_latest_load and row_fingerprint = latest_min_fingerprint
                    and latest_min_fingerprint = latest_max_fingerprint
                    then '{{ id_column }}:duplicate_delivery'
                when not is_latest_load
                    then '{{ id_column }}:superseded'
                when latest_min_fingerprint <> latest_max_fingerprint
                    then '{{ id_column }}:conflicting_duplicate_id'
                when
                    row_number() over (
                        partition by {{ id_column }}, is_latest_load
                        order by _source_file, _source_row, {{ row_text }}
                    ) > 1
                    then '{{ id_column }}:duplicate_delivery'
            end as duplicate_rejection
        from duplicates_compared
    ),

    resolved as (
        {#- the same columns as duplicates_resolved, in the same order -#}
        select
            flagged.*,
            {{ unresolved_duplicate_columns(after_flagged=true) }}
        from flagged
        where not has_duplicate_id
        union all
        select * from duplicates_resolved
    )
{% endmacro %}

{#
    The columns resolve_duplicate_ids adds after the input's own (in its order),
    as nulls: for rows that skip duplicate resolution (ids that occur once) and
    are unioned with `resolved`. after_flagged = only those after has_duplicate_id.
#}
{% macro unresolved_duplicate_columns(after_flagged=false) %}
    {%- set columns = [] -%}
    {%- if not after_flagged -%}
        {%- do columns.append('cast(null as ' ~ dbt.type_timestamp() ~ ') as latest_loaded_at') -%}
        {%- do columns.append('cast(null as ' ~ dbt.type_string() ~ ') as latest_source_file') -%}
        {%- do columns.append('false as has_duplicate_id') -%}
    {%- endif -%}
    {%- do columns.append('cast(null as ' ~ dbt.type_string() ~ ') as row_fingerprint') -%}
    {%- do columns.append('cast(null as ' ~ dbt.type_boolean() ~ ') as is_latest_load') -%}
    {%- do columns.append('cast(null as ' ~ dbt.type_string() ~ ') as latest_min_fingerprint') -%}
    {%- do columns.append('cast(null as ' ~ dbt.type_string() ~ ') as latest_max_fingerprint') -%}
    {%- do columns.append('cast(null as ' ~ dbt.type_string() ~ ') as duplicate_rejection') -%}
    {{ return(columns | join(',\n            ')) }}
{% endmacro %}

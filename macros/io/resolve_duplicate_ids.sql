{#
    Final `rejection` ('<column>:<reason_code>', null = accepted) for rows already
    checked one by one (columns rejection, row_fingerprint, _source_file,
    _source_row). Among the rows that passed, an id delivered more than once
    with identical raw values keeps its first delivery and rejects the others as
    duplicate_delivery; an id carried by rows that differ rejects them all as
    conflicting_duplicate_id.
#}
{% macro resolve_duplicate_ids(id_column) %}
    {%- set passed = "case when rejection is null then row_fingerprint end" -%}
    {%- set window -%}
        partition by
            {{ id_column }},
            case when rejection is null then 0 else 1 end
    {%- endset %}
    case
        when rejection is not null then rejection
        when min({{ passed }}) over ({{ window }})
            <> max({{ passed }}) over ({{ window }})
            then '{{ id_column }}:conflicting_duplicate_id'
        when row_number() over (
            {{ window }} order by _source_file, _source_row, raw_values
        ) > 1
            then '{{ id_column }}:duplicate_delivery'
    end
{% endmacro %}

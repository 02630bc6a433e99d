{#
    The bookkeeping every incremental model of this project keeps beside its
    rows (docs/INCREMENTAL.md): which rule version and settings a row was
    computed under (_input_key), when (_validated_at, _validated_through) and,
    for the base_ models, from which file (_source_file, _file_size,
    _file_modified_at, _file_fingerprint). This file names the rule versions
    and checks that a stored table carries the columns.
#}

{#
    The rule version stored in the _input_key of the rows of `kind`:
    - base: the base_ models (parsing and the check ladder). Bump it when a
      change must revalidate every stored raw row: the next incremental run
      then rebuilds the base tables in full by itself.
    - customer_aggregate: the per-customer aggregates. Bump it when a change
      to an aggregate's SQL must recompute every customer.
    A change that only adds rows or columns needs no bump (on_schema_change
    fails on new columns: that needs dbt build --full-refresh anyway).
#}
{% macro rule_version(kind) %}
    {%- set versions = {'base': 'v2', 'customer_aggregate': 'v1'} -%}
    {{ return(versions[kind]) }}
{% endmacro %}

{#
    Stops the run with a clear message when the stored table `this` lacks any
    of `columns`: it was built by an older version of this project, whose
    bookkeeping an incremental run cannot read.
#}
{% macro require_stored_columns(columns, what=none) %}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name')
        | map('lower') | list -%}
    {%- for column in columns if column not in stored -%}
        {{ exceptions.raise_compiler_error(
            this ~ " was built by an older version of this project (no "
            ~ (what or column) ~ "); rebuild it once with: dbt build --full-refresh") }}
    {%- endfor -%}
{% endmacro %}

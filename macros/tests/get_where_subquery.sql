{#
    dbt's test `where` config, plus one placeholder: `__latest_batch__` keeps
    the rows the latest run validated (_validated_at at its newest); for a
    `unique` test, every row of the keys in that batch. An incremental run
    rewrites every row of the ids it validates, and earlier rows were tested
    when they were written, so the tests of the big staging relations need to
    read only what is new; a full build validates every row in one batch, so it
    tests all of them. var data_test_scope = all tests every row every time.
#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- if '__latest_batch__' in where -%}
            {%- set where = where | replace('__latest_batch__', latest_batch_filter(relation)) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{#
    The condition behind `where: __latest_batch__`: rows of the relation's
    newest _validated_at; for a unique test (where a new row may repeat an old
    key), every row whose key occurs among them.
#}
{% macro latest_batch_filter(relation) %}
    {%- if var_choice('data_test_scope', ['latest_batch', 'all']) == 'all' -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- set in_batch = '_validated_at >= (select max(latest_batch._validated_at) from '
        ~ relation ~ ' as latest_batch)' -%}
    {%- set test_metadata = model.get('test_metadata') or {} -%}
    {%- if test_metadata.get('name') == 'unique' -%}
        {%- set key = test_metadata.get('kwargs', {}).get('column_name') -%}
        {{ return(key ~ ' in (select ' ~ key ~ ' from ' ~ relation ~ ' where ' ~ in_batch ~ ')') }}
    {%- endif -%}
    {{ return(in_batch) }}
{% endmacro %}

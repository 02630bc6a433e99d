{#
    dbt's test `where` config, plus one placeholder: `__latest_batch__` keeps
    the rows that are new since the checks last passed, from their
    _validated_at (for a `unique` test, every row of the keys among them):
    - in a `dbt build`, the rows validated after the last run of the table's
      per-customer aggregate. A build runs the aggregates only after these
      tests pass, so a batch that failed stays in scope (and keeps failing)
      until a later batch replaces its rows; an unchanged table costs nothing;
    - otherwise (`dbt test`, or a table no aggregate reads), the rows of the
      latest run that validated any.
    An incremental run rewrites every row of the ids it validates and earlier
    rows were tested when they were written, so nothing new escapes; a full
    build validates every row in one batch and tests all of them. var
    data_test_scope = all tests every row every time.
#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- if '__latest_batch_rows__' in where -%}
            {%- set where = where | replace('__latest_batch_rows__',
                latest_batch_filter(relation, key_scoped=false)) -%}
        {%- endif -%}
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
    The condition behind `where: __latest_batch__` (see above). When every row
    is in scope (after a full build) there is nothing to leave out.
#}
{% macro latest_batch_filter(relation, key_scoped=true) %}
    {%- if var_choice('data_test_scope', ['latest_batch', 'all']) == 'all' or not execute -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- set models = batch_models(relation) -%}
    {%- set bounds_relation = models.base or relation -%}
    {%- if load_relation(bounds_relation) is none -%}
        {#- not built yet (dbt compile on an empty database) -#}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- set stamp_format = '%Y-%m-%d %H:%M:%S.%f' -%}
    {#- the base table's bounds: a column scan, where a view's would compute it -#}
    {%- set batches = run_query('select min(_validated_at), max(_validated_at) from '
        ~ bounds_relation).rows[0] -%}
    {%- if batches[1] is none -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- set consumed = none -%}
    {%- if flags.WHICH == 'build' and models.consumer is not none
        and load_relation(models.consumer) is not none -%}
        {%- set consumed = run_query('select max(_validated_through) from '
            ~ models.consumer).rows[0][0] -%}
    {%- endif -%}
    {%- if consumed is not none -%}
        {%- set operator = '>' -%}
        {%- set cutoff = consumed.strftime(stamp_format) -%}
        {%- set everything = batches[0].strftime(stamp_format) > cutoff -%}
    {%- else -%}
        {%- set operator = '>=' -%}
        {%- set cutoff = batches[1].strftime(stamp_format) -%}
        {%- set everything = batches[0].strftime(stamp_format) == cutoff -%}
    {%- endif -%}
    {%- if everything -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- set in_batch = '_validated_at ' ~ operator ~ " cast('" ~ cutoff ~ "' as timestamp)" -%}
    {%- set test_metadata = model.get('test_metadata') or {} -%}
    {%- if key_scoped and test_metadata.get('name') == 'unique' -%}
        {%- set key = test_metadata.get('kwargs', {}).get('column_name') -%}
        {{ return(key ~ ' in (select ' ~ key ~ ' from ' ~ relation ~ ' where ' ~ in_batch ~ ')') }}
    {%- endif -%}
    {{ return(in_batch) }}
{% endmacro %}

{#
    The base model whose rows a staging or as-of relation shows, and the
    per-customer aggregate that reads them (none for customers), as relations.
#}
{% macro batch_models(relation) %}
    {%- set found = {'base': none, 'consumer': none} -%}
    {%- for table_name, consumer in [
        ('transactions', 'int_transactions_aggregated_to_customers'),
        ('interactions', 'int_interactions_aggregated_to_customers'),
        ('customers', none),
    ] -%}
        {%- if table_name in relation.identifier and found.base is none -%}
            {%- do found.update({
                'base': model_relation('base_shop__' ~ table_name),
                'consumer': model_relation(consumer) if consumer else none,
            }) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}

{# The relation a model of this project builds (without ref: no dependency is added). #}
{% macro model_relation(model_name) %}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {{ return(api.Relation.create(
        database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}

-- One row per (cluster, feature): the smart-segment model fitted on DuckDB, or given in a var.
{#
    fit_status: fitted / insufficient_data (model int_smart_segment_fitted, DuckDB),
    from_var (var smart_segment_model, any engine), or unavailable (an engine without
    dbt Python models and no var: every buyer is Unsegmented). Clusters only when a
    model is there (insufficient_data and unavailable give no rows).
#}
{%- set given = smart_segment_given_model() %}

{% if given is none and target.type == 'duckdb' %}
    with

    fitted as (
        select * from {{ ref('int_smart_segment_fitted') }}
    ),

    centroids as (
        select
            cast(cluster_number as integer) as cluster_number,
            feature,
            transform,
            cast(weight as {{ type_double() }}) as weight,
            cast(center as {{ type_double() }}) as center,
            cast(scale as {{ type_double() }}) as scale,
            cast(centroid as {{ type_double() }}) as centroid,
            fit_status
        from fitted
        where cluster_number is not null
    )

    select * from centroids
{% elif given is not none %}
    with

    listed as (
        {% for row in given %}
            select
                cast({{ row.cluster_number }} as integer) as cluster_number,
                '{{ row.feature }}' as feature,
                '{{ row.transform }}' as transform,
                cast({{ row.weight }} as {{ type_double() }}) as weight,
                cast({{ row.center }} as {{ type_double() }}) as center,
                cast({{ row.scale }} as {{ type_double() }}) as scale,
                cast({{ row.centroid }} as {{ type_double() }}) as centroid,
                'from_var' as fit_status
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    )

    select * from listed
{% else %}
    with

    unavailable as (
        select
            cast(null as integer) as cluster_number,
            cast(null as {{ dbt.type_string() }}) as feature,
            cast(null as {{ dbt.type_string() }}) as transform,
            cast(null as {{ type_double() }}) as weight,
            cast(null as {{ type_double() }}) as center,
            cast(null as {{ type_double() }}) as scale,
            cast(null as {{ type_double() }}) as centroid,
            'unavailable' as fit_status
    )

    select * from unavailable
    where cluster_number is not null
{% endif %}

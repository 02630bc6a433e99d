-- Per buyer: the RFM measures and their 1..rfm_bins scores.
{#
    Recency, frequency and monetary scores 1..rfm_bins (best = rfm_bins) for
    every buyer, by var rfm_method:
    - cume_dist (default): ceil(bins * c / N), c = buyers whose value is no
      better than this one's (ties included); integer arithmetic, tie-safe;
    - ntile: ntile(bins) with a deterministic tie-break on customer_id;
    - thresholds: fixed ranges from seed rfm_score_thresholds.
-#}
{%- set bins = var_number('rfm_bins', 2, 9, integer=true) -%}
{%- set method = var_choice('rfm_method', ['cume_dist', 'ntile', 'thresholds']) -%}
{%- set dimensions = rfm_dimensions() %}

with

customer_features as (
    select * from {{ ref('customer_features') }}
),

buyers as (
    {#- only customers with at least one purchase are scored -#}
    select
        {% for dimension, measure, higher_is_better in dimensions %}
            {{ measure }} as {{ dimension }}_value,
        {% endfor %}
        customer_id
    from customer_features
    where is_buyer
),

{% if method == 'cume_dist' %}

    counted as (
        select
            buyers.*,
            {% for dimension, measure, higher_is_better in dimensions %}
                {{ cume_count(dimension ~ '_value', higher_is_better) }}
                    as {{ dimension }}_cume_count,
            {% endfor %}
            count(*) over () as scored_customers
        from buyers
    ),

    scored as (
        select
            {% for dimension, measure, higher_is_better in dimensions %}
                {{ score_from_cume_count(
                    dimension ~ '_cume_count', 'scored_customers', bins) }}
                    as {{ dimension }}_score,
                {{ dimension }}_value,
            {% endfor %}
            customer_id
        from counted
    ),

{% elif method == 'ntile' %}

    scored as (
        {#- ntile with a deterministic tie-break on customer_id -#}
        select
            {% for dimension, measure, higher_is_better in dimensions %}
                {#- integer like the other methods' scores (DuckDB's ntile is a bigint) -#}
                cast(ntile({{ bins }}) over (
                    order by
                        {{ dimension }}_value
                        {{ 'asc' if higher_is_better else 'desc' }},
                        customer_id asc
                ) as integer) as {{ dimension }}_score,
            {% endfor %}
            buyers.*
        from buyers
    ),

{% else %}

    rfm_score_thresholds as (
        select * from {{ ref('rfm_score_thresholds') }}
    ),

    scored as (
        {#- fixed cut points: lower_bound <= value < upper_bound (null = open) -#}
        select
            {% for dimension, measure, higher_is_better in dimensions %}
                {{ dimension }}_thresholds.score as {{ dimension }}_score,
            {% endfor %}
            buyers.*
        from buyers
        {% for dimension, measure, higher_is_better in dimensions %}
            left join rfm_score_thresholds as {{ dimension }}_thresholds
                on
                    {{ dimension }}_thresholds.dimension = '{{ dimension }}'
                    and (
                        {{ dimension }}_thresholds.lower_bound is null
                        or buyers.{{ dimension }}_value
                        >= {{ dimension }}_thresholds.lower_bound
                    )
                    and (
                        {{ dimension }}_thresholds.upper_bound is null
                        or buyers.{{ dimension }}_value
                        < {{ dimension }}_thresholds.upper_bound
                    )
        {% endfor %}
    ),

{% endif %}

cells as (
    select
        scored.*,
        {{ dbt.concat([
            dbt.cast('recency_score', dbt.type_string()),
            dbt.cast('frequency_score', dbt.type_string()),
            dbt.cast('monetary_score', dbt.type_string()),
        ]) }} as rfm_cell
    from scored
)

select * from cells

-- Per buyer: the nearest smart-segment centroid, and the cluster's name by its value rank.
{#
    docs/RULES.md section 16: distance = sum over features of weight * (z - centroid)^2
    with z = (transform(x) - center) / scale. The terms are summed as exact decimals, so
    the sum (and the nearest centroid) does not depend on the order rows are added in.
    A tie goes to the lower cluster number. Clusters are named by the mean of var
    smart_segment_value_measure over their members (highest = rank 1; ties: lower
    cluster number), from the row (k, rank) of seed smart_segment_names.
#}
{%- set value_measure = var_choice('smart_segment_value_measure') %}

with

customer_features as (
    select * from {{ ref('customer_features') }}
),

centroids as (
    select * from {{ ref('int_smart_segment_centroids') }}
),

smart_segment_names as (
    select * from {{ ref('smart_segment_names') }}
),

model_features as (
    select distinct
        feature,
        transform,
        weight,
        center,
        scale
    from centroids
),

raw_values as (
    select
        customer_features.customer_id,
        model_features.feature,
        model_features.transform,
        model_features.weight,
        model_features.center,
        model_features.scale,
        {{ smart_segment_feature_value('model_features.feature', 'customer_features') }}
            as raw_value
    from customer_features
    cross join model_features
    where customer_features.is_buyer
),

feature_values as (
    select
        customer_id,
        feature,
        weight,
        (
            case
                when transform = 'log1p' then ln(1 + greatest(raw_value, 0))
                else raw_value
            end
            - center
        ) / scale as standardised_value
    from raw_values
),

distances as (
    select
        feature_values.customer_id,
        centroids.cluster_number,
        sum(cast(
            feature_values.weight
            * (feature_values.standardised_value - centroids.centroid)
            * (feature_values.standardised_value - centroids.centroid)
            as decimal(38, 18)
        )) as distance
    from feature_values
    inner join centroids
        on feature_values.feature = centroids.feature
    group by feature_values.customer_id, centroids.cluster_number
),

nearest as (
    select
        customer_id,
        cluster_number,
        distance
    from (
        select
            distances.*,
            row_number() over (
                partition by customer_id
                order by distance, cluster_number
            ) as closeness
        from distances
    ) as ranked
    where closeness = 1
),

cluster_values as (
    select
        nearest.cluster_number,
        avg(cast(customer_features.{{ value_measure }} as decimal(38, 9))) as mean_value
    from nearest
    inner join customer_features
        on nearest.customer_id = customer_features.customer_id
    group by nearest.cluster_number
),

cluster_count as (
    select count(distinct cluster_number) as k from centroids
),

named_clusters as (
    select
        ranked_clusters.cluster_number,
        ranked_clusters.segment_rank,
        smart_segment_names.smart_segment
    from (
        select
            cluster_values.cluster_number,
            cluster_count.k,
            row_number() over (
                order by cluster_values.mean_value desc, cluster_values.cluster_number asc
            ) as segment_rank
        from cluster_values
        cross join cluster_count
    ) as ranked_clusters
    left join smart_segment_names
        on
            ranked_clusters.k = smart_segment_names.k
            and ranked_clusters.segment_rank = smart_segment_names.segment_rank
),

segmented as (
    select
        nearest.customer_id,
        nearest.cluster_number as smart_cluster_number,
        named_clusters.segment_rank as smart_segment_rank,
        named_clusters.smart_segment,
        cast(nearest.distance as {{ type_double() }}) as smart_segment_distance
    from nearest
    inner join named_clusters
        on nearest.cluster_number = named_clusters.cluster_number
)

select * from segmented

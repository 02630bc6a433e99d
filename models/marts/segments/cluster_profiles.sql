-- Per smart segment: size, revenue, centroid in original units and the mix of value tiers.
{#
    One row per (smart segment, profile_kind, item): profile_kind 'feature' rows give,
    per clustering feature, the centroid in the feature's own units (the transform
    undone: exp(u) - 1 for log1p) and the members' mean; profile_kind 'value_tier'
    rows cross-tabulate the cluster's members against value_tier. The cluster columns
    (size, shares, revenue) repeat on every row of the cluster. Buyers only: prospects
    and unsegmented buyers have no cluster.
#}

with

customer_segments as (
    select * from {{ ref('customer_segments') }}
    where smart_cluster_number is not null
),

customer_features as (
    select * from {{ ref('customer_features') }}
),

centroids as (
    select * from {{ ref('int_smart_segment_centroids') }}
),

model_features as (
    select distinct feature from centroids
),

totals as (
    select
        count(*) as segmented_customers,
        sum(net_revenue) as segmented_net_revenue
    from customer_segments
),

clusters as (
    select
        customer_segments.smart_segment,
        customer_segments.smart_cluster_number as cluster_number,
        count(*) as customers,
        sum(customer_segments.net_revenue) as net_revenue
    from customer_segments
    group by customer_segments.smart_segment, customer_segments.smart_cluster_number
),

clusters_shared as (
    select
        clusters.*,
        segment_playbook.segment_rank,
        cast(clusters.customers as {{ type_double() }}) / totals.segmented_customers
            as share_of_customers,
        case
            when totals.segmented_net_revenue <> 0
                then
                    cast(clusters.net_revenue as {{ type_double() }})
                    / cast(totals.segmented_net_revenue as {{ type_double() }})
        end as share_of_revenue
    from clusters
    cross join totals
    left join {{ ref('segment_playbook') }} as segment_playbook
        on
            segment_playbook.scheme = 'smart_segment'
            and clusters.smart_segment = segment_playbook.segment
),

member_values as (
    select
        customer_segments.smart_cluster_number as cluster_number,
        model_features.feature,
        {{ smart_segment_feature_value('model_features.feature', 'customer_features') }}
            as feature_value
    from customer_segments
    inner join customer_features
        on customer_segments.customer_id = customer_features.customer_id
    cross join model_features
),

member_means as (
    select
        cluster_number,
        feature,
        {#- an exact sum, so the mean does not depend on the order rows are added in -#}
        cast(avg(cast(feature_value as decimal(38, 12))) as {{ type_double() }})
            as member_average
    from member_values
    group by cluster_number, feature
),

feature_rows as (
    select
        centroids.cluster_number,
        'feature' as profile_kind,
        centroids.feature as item,
        case
            when centroids.transform = 'log1p'
                then exp(centroids.center + centroids.centroid * centroids.scale) - 1
            else centroids.center + centroids.centroid * centroids.scale
        end as centroid_value,
        member_means.member_average,
        cast(null as {{ dbt.type_bigint() }}) as item_customers,
        centroids.transform,
        centroids.weight,
        centroids.center,
        centroids.scale,
        centroids.centroid
    from centroids
    left join member_means
        on
            centroids.cluster_number = member_means.cluster_number
            and centroids.feature = member_means.feature
),

tier_rows as (
    select
        smart_cluster_number as cluster_number,
        'value_tier' as profile_kind,
        value_tier as item,
        cast(null as {{ type_double() }}) as centroid_value,
        cast(null as {{ type_double() }}) as member_average,
        count(*) as item_customers,
        cast(null as {{ dbt.type_string() }}) as transform,  -- noqa: RF04
        cast(null as {{ type_double() }}) as weight,
        cast(null as {{ type_double() }}) as center,
        cast(null as {{ type_double() }}) as scale,
        cast(null as {{ type_double() }}) as centroid
    from customer_segments
    group by smart_cluster_number, value_tier
),

profile_rows as (
    select * from feature_rows
    union all
    select * from tier_rows
),

profiles as (
    select
        clusters_shared.smart_segment,
        clusters_shared.segment_rank,
        clusters_shared.cluster_number,
        clusters_shared.customers,
        clusters_shared.share_of_customers,
        clusters_shared.net_revenue,
        clusters_shared.share_of_revenue,
        profile_rows.profile_kind,
        profile_rows.item,
        profile_rows.centroid_value,
        profile_rows.member_average,
        profile_rows.item_customers,
        case
            when profile_rows.item_customers is not null
                then
                    cast(profile_rows.item_customers as {{ type_double() }})
                    / clusters_shared.customers
        end as item_share_of_segment,
        profile_rows.transform,
        profile_rows.weight,
        profile_rows.center,
        profile_rows.scale,
        profile_rows.centroid
    from clusters_shared
    inner join profile_rows
        on clusters_shared.cluster_number = profile_rows.cluster_number
)

select * from profiles

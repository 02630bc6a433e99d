-- Per accepted customer record: its person (ids sharing an e-mail or phone, transitively), and why.
{#- docs/RULES.md section 17. Connected components by label propagation with
    pointer jumping, unrolled var identity_max_rounds times (recursive CTEs do
    not run on Spark); the error test on is_label_settled says when that was
    not enough. -#}
{%- set max_ids = var_number('identity_max_ids_per_identifier', 2, none, integer=true) %}
{%- set rounds = var_number('identity_max_rounds', 1, 64, integer=true) %}

with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

placeholders as (
    select * from {{ ref('identity_placeholders') }}
),

normalised as {{ cte_materialized() }} (
    select
        customer_id,
        registered_at,
        {{ trim_text('email') }} is not null as has_email,
        {{ trim_text('phone') }} is not null as has_phone,
        {{ normalised_email('email') }} as email_normalised,
        {{ normalised_phone('phone') }} as phone_normalised
    from customers
),

identifiers as {{ cte_materialized() }} (
    select
        customer_id,
        'email' as identifier_type,
        email_normalised as identifier_value
    from normalised
    where email_normalised is not null
    union all
    select
        customer_id,
        'phone' as identifier_type,
        phone_normalised as identifier_value
    from normalised
    where phone_normalised is not null
),

placeholder_identifiers as (
    {#- equi-joins per kind of match (an OR of the four in one join is a
        filter over every identifier x every placeholder of its type) -#}
    select
        identifiers.identifier_type,
        identifiers.identifier_value
    from identifiers
    inner join placeholders
        on
            identifiers.identifier_type = placeholders.identifier_type
            and identifiers.identifier_value = placeholders.value
    where placeholders.match_on = 'value'
    union
    select
        identifiers.identifier_type,
        identifiers.identifier_value
    from identifiers
    inner join placeholders
        on
            {{ dbt.split_part('identifiers.identifier_value', "'@'", 1) }}
            = placeholders.value
    where
        identifiers.identifier_type = 'email'
        and placeholders.identifier_type = 'email'
        and placeholders.match_on = 'local_part'
    union
    select
        identifiers.identifier_type,
        identifiers.identifier_value
    from identifiers
    inner join placeholders
        on
            {{ dbt.split_part('identifiers.identifier_value', "'@'", 2) }}
            = placeholders.value
    where
        identifiers.identifier_type = 'email'
        and placeholders.identifier_type = 'email'
        and placeholders.match_on = 'domain'
    union
    select
        identifiers.identifier_type,
        identifiers.identifier_value
    from identifiers
    inner join placeholders
        on
            identifiers.identifier_type = placeholders.identifier_type
            and right(identifiers.identifier_value, length(placeholders.value))
            = placeholders.value
    where
        identifiers.identifier_type = 'phone'
        and placeholders.match_on = 'ending'
),

identifier_status as (
    {#- linked: shared by 2 to identity_max_ids_per_identifier ids, so it links
        them; unique: held by one id; the guards: placeholder, over_shared -#}
    select
        identifiers.identifier_type,
        identifiers.identifier_value,
        case
            when max(placeholder_identifiers.identifier_value) is not null
                then 'placeholder'
            when count(*) > {{ max_ids }} then 'over_shared'
            when count(*) = 1 then 'unique'
            else 'linked'
        end as status
    from identifiers
    left join placeholder_identifiers
        on
            identifiers.identifier_type = placeholder_identifiers.identifier_type
            and identifiers.identifier_value = placeholder_identifiers.identifier_value
    group by identifiers.identifier_type, identifiers.identifier_value
),

links as {{ cte_materialized() }} (
    select
        identifiers.customer_id,
        identifiers.identifier_type || ':' || identifiers.identifier_value
            as identifier_key
    from identifiers
    inner join identifier_status
        on
            identifiers.identifier_type = identifier_status.identifier_type
            and identifiers.identifier_value = identifier_status.identifier_value
    where identifier_status.status = 'linked'
),

labels_0 as {{ cte_materialized() }} (
    select distinct
        customer_id,
        customer_id as label_id
    from links
),

{% for round in range(1, rounds + 1) %}
    {{ identity_label_round(round) }},
{% endfor %}

identifier_spread as (
    {#- settled: every holder of the identifier has the same label, so one more
        round would change nothing -#}
    select
        links.identifier_key,
        min(labels_{{ rounds }}.label_id) = max(labels_{{ rounds }}.label_id) as is_settled
    from links
    inner join labels_{{ rounds }}
        on links.customer_id = labels_{{ rounds }}.customer_id
    group by links.identifier_key
),

customer_settled as (
    select
        links.customer_id,
        min(case when identifier_spread.is_settled then 1 else 0 end) = 1
            as is_label_settled
    from links
    inner join identifier_spread
        on links.identifier_key = identifier_spread.identifier_key
    group by links.customer_id
),

statuses as (
    select
        normalised.customer_id,
        normalised.registered_at,
        normalised.email_normalised,
        normalised.phone_normalised,
        case
            when not normalised.has_email then 'missing'
            when normalised.email_normalised is null then 'invalid'
            else email_status.status
        end as email_status,
        case
            when not normalised.has_phone then 'missing'
            when normalised.phone_normalised is null then 'invalid'
            else phone_status.status
        end as phone_status
    from normalised
    left join identifier_status as email_status
        on
            email_status.identifier_type = 'email'
            and normalised.email_normalised = email_status.identifier_value
    left join identifier_status as phone_status
        on
            phone_status.identifier_type = 'phone'
            and normalised.phone_normalised = phone_status.identifier_value
),

linked_groups as (
    {#- group size and profile record of the linked ids (every other id is a
        person of one, its own profile): windows over the few linked ids only -#}
    select
        labels_{{ rounds }}.customer_id,
        labels_{{ rounds }}.label_id as person_id,
        count(*) over (partition by labels_{{ rounds }}.label_id) as group_size,
        row_number() over (
            partition by labels_{{ rounds }}.label_id
            order by statuses.registered_at, labels_{{ rounds }}.customer_id
        ) = 1 as is_profile_record
    from labels_{{ rounds }}
    inner join statuses
        on labels_{{ rounds }}.customer_id = statuses.customer_id
),

resolved as (
    select
        ---------- ids
        statuses.customer_id,
        coalesce(linked_groups.person_id, statuses.customer_id) as person_id,

        ---------- strings
        case
            when statuses.email_status = 'linked' and statuses.phone_status = 'linked'
                then 'both'
            when statuses.email_status = 'linked' then 'email'
            when statuses.phone_status = 'linked' then 'phone'
            else 'none'
        end as match_reason,
        statuses.email_status,
        statuses.phone_status,
        {{ pii_hash('statuses.email_normalised') }} as email_identifier_hash,
        {{ pii_hash('statuses.phone_normalised') }} as phone_identifier_hash,

        ---------- counts
        coalesce(linked_groups.group_size, 1) as group_size,

        ---------- booleans
        coalesce(linked_groups.is_profile_record, true) as is_profile_record,
        coalesce(customer_settled.is_label_settled, true) as is_label_settled,

        ---------- timestamps
        statuses.registered_at
    from statuses
    left join linked_groups
        on statuses.customer_id = linked_groups.customer_id
    left join customer_settled
        on statuses.customer_id = customer_settled.customer_id
)

select * from resolved

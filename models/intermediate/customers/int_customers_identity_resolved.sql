-- Per accepted customer record: its person (ids sharing an e-mail or phone, transitively), and why.
{#- docs/RULES.md section 17. Connected components by label propagation with
    pointer jumping, unrolled var identity_max_rounds times (recursive CTEs do
    not run on Spark); the error test on is_label_settled says when that was
    not enough. -#}
{%- set rounds = var_number('identity_max_rounds', 1, 64, integer=true) %}
{%- if target.type == 'spark' and execute %}
    {%- do identity_spark_round_tables(rounds) %}
{%- endif %}

with

{{ identity_link_ctes() }},

{% if target.type == 'spark' -%}
    {#- Spark inlines every CTE at each of its references, and each round
        references the previous one twice: the rounds were run as tables
        before this query (identity_spark_round_tables) -#}
    labels_{{ rounds }} as (
        select * from {{ identity_round_relation(rounds) }}
    ),
{%- else %}
    labels_0 as {{ cte_materialized() }} (
        select distinct
            customer_id,
            customer_id as label_id
        from links
    ),

    {% for round in range(1, rounds + 1) %}
        {{ identity_label_round(round) }},
    {% endfor %}
{%- endif %}

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

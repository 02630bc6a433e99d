{#
    The CTEs of int_customers_identity_resolved up to `links` (customer_id,
    identifier_key: the identifiers that link, one row per holder), with
    `normalised` and `identifier_status` (docs/RULES.md section 17). A macro
    because Spark also runs them on their own (identity_spark_round_tables).
#}
{% macro identity_link_ctes() %}
    {%- set max_ids = var_number('identity_max_ids_per_identifier', 2, none, integer=true) %}
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
    )
{%- endmacro %}

{# The table holding round `round`'s labels on Spark (next to the model). #}
{% macro identity_round_relation(round) %}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__labels_' ~ round})) }}
{% endmacro %}

{#
    Spark: the label rounds as tables, each read by the next, so that no plan
    holds more than one round (Spark inlines a CTE at every reference: twelve
    rounds of CTEs, each reading the previous one twice, ran out of memory on
    the demo). Round 0 holds every linked id with itself as label.
#}
{% macro identity_spark_round_tables(rounds) %}
    {%- set links_relation = this.incorporate(path={'identifier': this.identifier ~ '__links'}) %}
    {%- do run_query('drop table if exists ' ~ links_relation) %}
    {%- do run_query('create table ' ~ links_relation ~ ' as with ' ~ identity_link_ctes()
        ~ ' select customer_id, identifier_key from links') %}
    {%- for round in range(0, rounds + 1) %}
        {%- set relation = identity_round_relation(round) %}
        {%- do run_query('drop table if exists ' ~ relation) %}
        {%- if round == 0 %}
            {%- set query -%}
                select distinct customer_id, customer_id as label_id from {{ links_relation }}
            {%- endset %}
        {%- else %}
            {%- set query -%}
                with
                links as (select * from {{ links_relation }}),
                labels_{{ round - 1 }} as (select * from {{ identity_round_relation(round - 1) }}),
                {{ identity_label_round(round) }}
                select * from labels_{{ round }}
            {%- endset %}
        {%- endif %}
        {%- do run_query('create table ' ~ relation ~ ' as ' ~ query) %}
    {%- endfor %}
{% endmacro %}

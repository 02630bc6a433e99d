-- The one as_of_date every model uses (var as_of_date, or the latest valid transaction day).
{#- custseg-refresh builds each history snapshot with its date in environment
    variable CUSTSEG_SNAPSHOT_DATE, which wins over the var: a changed var makes
    dbt parse the whole project again (about 10 s a snapshot), a changed
    environment variable only the files that read it -#}
{%- set var_as_of_date = var_date('as_of_date', allow_null=true) -%}
{%- set snapshot_date = checked_date(
    'environment variable CUSTSEG_SNAPSHOT_DATE',
    env_var('CUSTSEG_SNAPSHOT_DATE', ''), allow_null=true) -%}
{%- if snapshot_date is not none and execute -%}
    {{ log('as_of_date ' ~ snapshot_date ~ ' from environment variable CUSTSEG_SNAPSHOT_DATE'
        ~ ' (set by custseg-refresh for a history snapshot; it overrides var as_of_date)',
        info=true) }}
{%- endif %}
{% set as_of_date = snapshot_date or var_as_of_date %}

with

transactions as (
    select * from {{ ref('stg_shop__transactions') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

latest_transaction as (
    select max({{ to_business_date('transaction_at') }}) as transaction_date
    from transactions
),

latest_registration as (
    select max({{ to_business_date('registered_at') }}) as registration_date
    from customers
),

as_of_date as (
    {%- if as_of_date is not none %}
        select cast('{{ as_of_date }}' as date) as as_of_date
    {%- else %}
        {#- default: the business day of the latest valid transaction; with no
            transactions at all, the latest registration (a prospects-only shop) -#}
        select
            coalesce(
                latest_transaction.transaction_date,
                latest_registration.registration_date
            ) as as_of_date
        from latest_transaction
        cross join latest_registration
    {%- endif %}
)

select * from as_of_date

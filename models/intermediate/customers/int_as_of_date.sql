{%- set as_of_date = var_date('as_of_date', allow_null=true) %}

with

transactions as (
    select * from {{ ref('stg_shop__transactions') }}
),

as_of_date as (
    {%- if as_of_date is not none %}
        select cast('{{ as_of_date }}' as date) as as_of_date
    {%- else %}
        {#- default: the business day of the latest valid transaction -#}
        select max({{ to_business_date('transaction_at') }}) as as_of_date
        from transactions
    {%- endif %}
)

select * from as_of_date

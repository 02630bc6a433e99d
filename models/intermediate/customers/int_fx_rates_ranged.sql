-- Each fx_rates row with the business-date range it applies to.
with

fx_rates as (
    select * from {{ ref('fx_rates') }}
),

numbered as (
    select
        upper(currency) as currency,
        rate_to_reporting,
        rate_date,
        row_number() over (
            partition by upper(currency) order by rate_date
        ) as rate_number,
        lead(rate_date) over (
            partition by upper(currency) order by rate_date
        ) as valid_to_date
    from fx_rates
),

ranged as (
    select
        currency,
        rate_to_reporting,
        {#- the first rate of a currency also covers every earlier day -#}
        case when rate_number > 1 then rate_date end as valid_from_date,
        valid_to_date
    from numbered
)

select * from ranged

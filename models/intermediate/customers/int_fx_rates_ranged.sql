with

fx_rates as (
    select * from {{ ref('fx_rates') }}
),

ranged as (
    select
        upper(currency) as currency,
        rate_to_reporting,
        {#- the first rate of a currency also covers every earlier day -#}
        case
            when row_number() over (
                partition by upper(currency) order by rate_date
            ) = 1
                then null
            else rate_date
        end as valid_from_date,
        lead(rate_date) over (
            partition by upper(currency) order by rate_date
        ) as valid_to_date
    from fx_rates
)

select * from ranged

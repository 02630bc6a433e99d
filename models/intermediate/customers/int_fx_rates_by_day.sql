-- The rate of every currency on each day where rates change: the FX lookup of the as-of models.

{#
    From the day before the first rate change of any currency to the last
    change, one row per (currency, day). No rate changes outside that span, so
    a lookup clamps its date into [min(rate_day), max(rate_day)] and
    equi-joins (int_transactions_as_of): a few thousand rows for the bundled
    seed, built once per run. The span is at most 100,000 days (seed fx_rates
    tests its dates lie within 1900-2169).
-#}

with

fx_rates_ranged as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

rate_bounds as (
    select
        {%- set first_change = "coalesce(min(valid_from_date), cast('2000-01-01' as date))" %}
        cast({{ dbt.dateadd('day', -1, first_change) }} as date) as first_rate_day,
        coalesce(max(valid_from_date), cast('2000-01-01' as date)) as last_rate_day
    from fx_rates_ranged
),

digits as (
    select 0 as digit
    {%- for digit in range(1, 10) %}
        union all
        select {{ digit }} as digit
    {%- endfor %}
),

day_numbers as (
    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands
),

rate_days as (
    select
        {%- set nth_day = dbt.dateadd(
            'day', 'day_numbers.day_number', 'rate_bounds.first_rate_day') %}
        cast({{ nth_day }} as date) as rate_day
    from rate_bounds
    cross join day_numbers
    where
        day_numbers.day_number
        <= {{ days_between('rate_bounds.first_rate_day', 'rate_bounds.last_rate_day') }}
),

rates_by_day as (
    {#- every currency's first rate covers all earlier days, so each currency
        has a row on every day of the span -#}
    select
        fx_rates_ranged.currency,
        rate_days.rate_day,
        fx_rates_ranged.rate_to_reporting
    from rate_days
    inner join fx_rates_ranged
        on
            rate_days.rate_day
            >= coalesce(fx_rates_ranged.valid_from_date, cast('0001-01-01' as date))
            and rate_days.rate_day
            < coalesce(fx_rates_ranged.valid_to_date, cast('9999-12-31' as date))
)

select * from rates_by_day

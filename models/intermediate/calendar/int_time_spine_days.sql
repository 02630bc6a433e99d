-- One row per day from 1970-01-01 (100,000 days): the time spine MetricFlow queries need.
with digits as (
    {%- for n in range(10) %}
        select {{ n }} as n
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

day_numbers as (
    select d1.n + 10 * d2.n + 100 * d3.n + 1000 * d4.n + 10000 * d5.n as day_number
    from digits as d1
    cross join digits as d2
    cross join digits as d3
    cross join digits as d4
    cross join digits as d5
)

select
    cast({{ dbt.dateadd('day', 'day_number', "cast('1970-01-01' as date)") }} as date) as date_day
from day_numbers

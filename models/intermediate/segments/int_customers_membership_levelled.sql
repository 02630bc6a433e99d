-- Per customer: the membership level held at as_of_date, earned with purchase points.
{#
    The rules are docs/RULES.md section 15. The level held follows from the day-by-day
    rule (upgrade as soon as E(t) > H, downgrade only at a review to max(E(r), H - n))
    without recursion, so it runs on every engine. With reviews r_1 < r_2 < ... and
    M_j = the highest level earned on any day of period j (r_j, r_j+1]:
        X_k = max(E(r_k), M_k-1 - n)
        A_k = the level held just after review k = max over j <= k of (X_j + n j) - n k
    (the recursion A_k = max(E(r_k), max(A_k-1, M_k-1) - n) unrolled; n = the number
    of levels when var membership_max_downgrade_levels is 0, so that A_k = E(r_k)).
    Between reviews the level held is max(A_k, the highest level earned so far in the
    period). Event rows per customer: its points days (kind 0), its review days up to
    as_of_date (kind 1: after that day's points) and as_of_date (kind 2).
#}
{%- set per_unit = var('membership_points_per_unit') | string | trim -%}
{%- if not modules.re.fullmatch('[0-9]+(\\.[0-9]{1,2})?', per_unit) or per_unit | float <= 0 -%}
    {{ exceptions.raise_compiler_error(
        "var 'membership_points_per_unit' must be a positive number with at most two decimals,"
        ~ " got '" ~ per_unit ~ "'") }}
{%- endif -%}
{%- set rounding = var_choice('membership_points_rounding', ['floor', 'round', 'none']) -%}
{%- set points_window = var_choice(
    'membership_window', ['rolling_12_months', 'calendar_year', 'lifetime']) -%}
{%- set review = var_choice(
    'membership_review', ['calendar_year_end', 'membership_anniversary']) -%}
{%- set max_downgrade = var_number('membership_max_downgrade_levels', 0, 1000, integer=true) -%}
{%- set points_type = 'decimal(38, 6)' -%}
{%- set epoch = "cast('1970-01-01' as date)" %}

with

transactions as (
    select * from {{ ref('int_transactions_as_of') }}
),

customer_features as (
    select * from {{ ref('customer_features') }}
),

as_of_date as (
    select * from {{ ref('int_as_of_date') }}
),

membership_levels as (
    select * from {{ ref('membership_levels') }}
),

level_count as (
    select count(*) as levels from membership_levels
),

digits as (
    {% for digit in range(10) %}
        select {{ digit }} as digit
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

numbers as (
    {#- 0 ... 99: review years after the membership start -#}
    select tens.digit * 10 + ones.digit as n
    from digits as tens
    cross join digits as ones
),

transaction_points as (
    {%- set exact = 'cast(amount as ' ~ points_type ~ ') * cast('
        ~ per_unit ~ ' as decimal(18, 2))' %}
    select
        customer_id,
        transaction_date as points_date,
        case when is_purchase then 1 else -1 end
        * cast(
            {% if rounding == 'floor' -%}
                floor({{ exact }})
            {%- elif rounding == 'round' -%}
                round({{ exact }}, 0)
            {%- else -%}
                {{ exact }}
            {%- endif %}
            as {{ points_type }}
        ) as points
    from transactions
),

points_days as (
    select
        customer_id,
        points_date,
        sum(points) as points
    from transaction_points
    group by customer_id, points_date
),

members as (
    select
        customer_id,
        min(points_date) as membership_start
    from points_days
    group by customer_id
),

review_days as (
    {#- every review day from the membership start, up to the first after as_of_date -#}
    select
        members.customer_id,
        {% if review == 'calendar_year_end' -%}
            cast(
                {{ dbt.concat([
                    'cast(cast(extract(year from members.membership_start) as integer) + numbers.n'
                    ~ ' as ' ~ dbt.type_string() ~ ')',
                    "'-12-31'"]) }}
                as date
            )
        {%- else -%}
            cast({{ dbt.dateadd('month', '12 * (numbers.n + 1)', 'members.membership_start') }} as date)
        {%- endif %} as review_date
    from members
    cross join numbers
    cross join as_of_date
    where
        numbers.n
        <= cast(extract(year from as_of_date.as_of_date) as integer)
        - cast(extract(year from members.membership_start) as integer) + 1
),

next_reviews as (
    select
        review_days.customer_id,
        min(review_days.review_date) as next_review_date
    from review_days
    cross join as_of_date
    where review_days.review_date > as_of_date.as_of_date
    group by review_days.customer_id
),

events as (
    select
        customer_id,
        points_date as event_date,
        0 as event_kind,
        points
    from points_days
    {%- if points_window == 'rolling_12_months' %}
        union all
        {#- the day a refund leaves the window the points rise: a possible upgrade #}
        select
            points_days.customer_id,
            cast({{ dbt.dateadd('day', 365, 'points_days.points_date') }} as date) as event_date,
            0 as event_kind,
            cast(0 as {{ points_type }}) as points
        from points_days
        cross join as_of_date
        where
            points_days.points < 0
            and points_days.points_date
            <= cast({{ dbt.dateadd('day', -365, 'as_of_date.as_of_date') }} as date)
    {%- endif %}
    union all
    select
        review_days.customer_id,
        review_days.review_date as event_date,
        1 as event_kind,
        cast(0 as {{ points_type }}) as points
    from review_days
    cross join as_of_date
    where review_days.review_date <= as_of_date.as_of_date
    union all
    select
        members.customer_id,
        as_of_date.as_of_date as event_date,
        2 as event_kind,
        cast(0 as {{ points_type }}) as points
    from members
    cross join as_of_date
),

numbered as (
    select
        events.*,
        {{ days_between(epoch, 'events.event_date') }}
            as day_number,
        {#- the window's partition: the calendar year, or one for the other windows #}
        {% if points_window == 'calendar_year' -%}
            cast(extract(year from events.event_date) as integer)
        {%- else -%}
            0
        {%- endif %} as window_key,
        {#- the period: reviews before the row (a review row opens its own period) -#}
        sum(case when events.event_kind = 1 then 1 else 0 end) over (
            partition by events.customer_id
            order by events.event_date, events.event_kind
            rows between unbounded preceding and current row
        ) as period_number
    from events
),

qualified as (
    select
        numbered.*,
        sum(numbered.points) over (
            partition by numbered.customer_id, numbered.window_key
            order by numbered.day_number
            range between
            {% if points_window == 'rolling_12_months' %}364{% else %}unbounded{% endif %}
            preceding and current row
        ) as qualifying_points
    from numbered
),

earned as (
    select
        qualified.customer_id,
        qualified.event_date,
        qualified.event_kind,
        qualified.period_number,
        qualified.qualifying_points,
        coalesce(max(membership_levels.level_rank), 0) as earned_rank
    from qualified
    left join membership_levels
        on qualified.qualifying_points >= membership_levels.min_points
    group by
        qualified.customer_id,
        qualified.event_date,
        qualified.event_kind,
        qualified.period_number,
        qualified.qualifying_points
),

period_peaks as (
    select
        customer_id,
        period_number,
        max(earned_rank) as peak_rank
    from earned
    group by customer_id, period_number
),

reviewed as (
    select
        earned.customer_id,
        earned.period_number,
        {%- set step = 'level_count.levels' if max_downgrade == 0
            else 'least(' ~ max_downgrade ~ ', level_count.levels)' %}
        {{ step }} as step,
        greatest(earned.earned_rank, period_peaks.peak_rank - {{ step }})
        + {{ step }} * earned.period_number as lifted_rank
    from earned
    cross join level_count
    inner join period_peaks
        on
            earned.customer_id = period_peaks.customer_id
            and earned.period_number - 1 = period_peaks.period_number
    where earned.event_kind = 1
),

lifted as (
    select
        customer_id,
        period_number,
        step,
        max(lifted_rank) over (
            partition by customer_id
            order by period_number
            rows between unbounded preceding and current row
        ) as highest_lifted_rank
    from reviewed
),

after_reviews as (
    select
        customer_id,
        period_number,
        greatest(0, highest_lifted_rank - step * period_number) as rank_after_review
    from lifted
),

held as (
    select
        earned.customer_id,
        earned.event_date,
        earned.event_kind,
        earned.qualifying_points,
        greatest(
            coalesce(after_reviews.rank_after_review, 0),
            max(earned.earned_rank) over (
                partition by earned.customer_id, earned.period_number
                order by earned.event_date, earned.event_kind
                rows between unbounded preceding and current row
            )
        ) as held_rank
    from earned
    left join after_reviews
        on
            earned.customer_id = after_reviews.customer_id
            and earned.period_number = after_reviews.period_number
),

day_ends as (
    {#- the level held at the end of each event day (after its points and review) -#}
    select
        customer_id,
        event_date,
        held_rank
    from (
        select
            held.*,
            row_number() over (
                partition by held.customer_id, held.event_date
                order by held.event_kind desc
            ) as from_day_end
        from held
    ) as ordered
    where from_day_end = 1
),

changes as (
    select
        day_ends.*,
        lag(day_ends.held_rank) over (
            partition by day_ends.customer_id
            order by day_ends.event_date
        ) as previous_rank
    from day_ends
),

level_starts as (
    select
        customer_id,
        max(event_date) as level_since
    from changes
    where previous_rank is null or held_rank <> previous_rank
    group by customer_id
),

current_levels as (
    select
        customer_id,
        held_rank,
        qualifying_points
    from held
    where event_kind = 2
),

levelled as (
    select
        customer_features.customer_id,
        coalesce(current_levels.held_rank, 0) as membership_rank,
        held_level.membership_level,
        coalesce(current_levels.qualifying_points, cast(0 as {{ points_type }}))
            as qualifying_points,
        next_level.min_points
        - coalesce(current_levels.qualifying_points, cast(0 as {{ points_type }}))
            as points_to_next_level,
        level_starts.level_since,
        next_reviews.next_review_date
    from customer_features
    left join current_levels
        on customer_features.customer_id = current_levels.customer_id
    left join level_starts
        on customer_features.customer_id = level_starts.customer_id
    left join next_reviews
        on customer_features.customer_id = next_reviews.customer_id
    left join membership_levels as held_level
        on coalesce(current_levels.held_rank, 0) = held_level.level_rank
    left join membership_levels as next_level
        on coalesce(current_levels.held_rank, 0) + 1 = next_level.level_rank
)

select * from levelled

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

level_ranges as (
    {#- a level is earned from its min_points up to the lowest min_points of the
        levels above it: exactly the highest level whose min_points are reached,
        found by one range match per row instead of a max over every level reached -#}
    select
        level_rank,
        min_points,
        min(min_points) over (
            order by level_rank
            rows between 1 following and unbounded following
        ) as points_of_higher_levels
    from membership_levels
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
    {#- one point per unit (the default) needs no multiplication: rounding the money
        itself is exact and far cheaper than 38-digit arithmetic -#}
    {%- set exact = 'amount' if per_unit | float == 1 else 'cast(amount as ' ~ points_type
        ~ ') * cast(' ~ per_unit ~ ' as decimal(18, 2))' %}
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
    {%- set years_in = 'cast(extract(year from events.event_date) as integer)'
        ~ ' - cast(extract(year from members.membership_start) as integer)' %}
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
        {#- the period: the reviews before the row (a review row opens its own
            period), counted from the calendar rather than by a window over the rows:
            every year after the start year holds one review before the row's year,
            and the review of the row's own year counts when it falls before the row,
            or on its day for a review or as_of_date row (they sort after the points) -#}
        {% if review == 'calendar_year_end' -%}
            {{ years_in }}
            + case
                when events.event_kind >= 1
                    and extract(month from events.event_date) = 12
                    and extract(day from events.event_date) = 31
                    then 1
                else 0
            end
        {%- else -%}
            {%- set review_in_year = 'cast(' ~ dbt.dateadd(
                'month', '12 * (' ~ years_in ~ ')', 'members.membership_start') ~ ' as date)' %}
            case
                when {{ years_in }} = 0 then 0
                else {{ years_in }} - 1
                    + case
                        when {{ review_in_year }} < events.event_date
                            or (
                                {{ review_in_year }} = events.event_date
                                and events.event_kind >= 1
                            )
                            then 1
                        else 0
                    end
            end
        {%- endif %} as reviews_before
    from events
    inner join members
        on events.customer_id = members.customer_id
),

periods as (
    {#- at most 100: review_days has rows for the first 100 reviews only (numbers),
        so later events stay in the period of the last review that has a row -#}
    select
        numbered.*,
        least(numbered.reviews_before, 100) as period_number
    from numbered
),

qualified as (
    select
        periods.*,
        sum(periods.points) over (
            partition by periods.customer_id, periods.window_key
            order by periods.day_number
            range between
            {% if points_window == 'rolling_12_months' %}364{% else %}unbounded{% endif %}
            preceding and current row
        ) as qualifying_points
    from periods
),

earned as (
    select
        qualified.customer_id,
        qualified.event_date,
        qualified.event_kind,
        qualified.day_number,
        qualified.period_number,
        qualified.qualifying_points,
        coalesce(level_ranges.level_rank, 0) as earned_rank
    from qualified
    left join level_ranges
        on
            qualified.qualifying_points >= level_ranges.min_points
            and (
                level_ranges.points_of_higher_levels is null
                or qualified.qualifying_points < level_ranges.points_of_higher_levels
            )
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
        {#- the row's place in the customer's order of events (day, then kind) -#}
        earned.day_number * 3 + earned.event_kind as event_order,
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

current_levels as (
    select
        customer_id,
        held_rank,
        qualifying_points
    from held
    where event_kind = 2
),

last_other_levels as (
    {#- the last event at which the level held was not today's -#}
    select
        held.customer_id,
        max(held.event_order) as last_other_order
    from held
    inner join current_levels
        on held.customer_id = current_levels.customer_id
    where held.held_rank <> current_levels.held_rank
    group by held.customer_id
),

level_starts as (
    {#- the level is held since the day of the first event after that one. The
        level at a day's end is that of its last event, and within a day the level
        can fall only at the review, never below that day's earned level, so this
        is the first day whose day-end level is today's after the last day whose
        day-end level is not (the first event day when it never changed) -#}
    select
        held.customer_id,
        min(held.event_date) as level_since
    from held
    left join last_other_levels
        on held.customer_id = last_other_levels.customer_id
    where
        last_other_levels.last_other_order is null
        or held.event_order > last_other_levels.last_other_order
    group by held.customer_id
),

levelled as (
    select
        customer_features.customer_id,
        cast(coalesce(current_levels.held_rank, 0) as {{ dbt.type_int() }}) as membership_rank,
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

-- Per buyer (repeat purchase days, age) and horizon: BG/NBD expected purchases if still alive.
{#
    The part of the BG/NBD conditional expectation that does not depend on recency:
    customers share it by (x, T), so the series is summed once per distinct pair and
    horizon (macro btyd_series_ctes; horizons from macro btyd_curve_horizons).
#}
{%- set horizons = btyd_curve_horizons() -%}
{%- set terms = btyd_series_terms() -%}
{%- set carry = [
    'repeat_purchase_days', 'customer_age_days', 'horizon_days', 'btyd_a', 'btyd_b'
] %}

with

parameters as (
    {{ btyd_parameters_row(ref('btyd_model_parameters')) }}
),

customer_features as (
    select * from {{ ref('customer_features') }}
),

buyer_keys as (
    select distinct
        repeat_purchase_days,
        customer_age_days
    from customer_features
    where is_buyer
),

horizons as (
    {% for days in horizons %}
        select {{ days }} as horizon_days
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

series_0 as (
    select
        buyer_keys.repeat_purchase_days,
        buyer_keys.customer_age_days,
        horizons.horizon_days,
        parameters.btyd_a,
        parameters.btyd_b,
        cast(horizons.horizon_days as {{ type_double() }})
        / (
            parameters.btyd_alpha
            + buyer_keys.customer_age_days
            + horizons.horizon_days
        ) as z,
        parameters.btyd_a + parameters.btyd_b - 1 - parameters.btyd_r as series_a,
        parameters.btyd_a - 1 as series_b,
        parameters.btyd_a
        + parameters.btyd_b
        + buyer_keys.repeat_purchase_days
        - 1 as series_c,
        cast(0 as {{ type_double() }}) as series_sum,
        cast(1 as {{ type_double() }}) as series_term
    from buyer_keys
    cross join horizons
    cross join parameters
    where parameters.btyd_r is not null
),

{{ btyd_series_ctes('series_0', carry, terms) }}
{%- set last = btyd_series_last(terms) %}

curves as (
    select
        {{ last }}.repeat_purchase_days,
        {{ last }}.customer_age_days,
        {{ last }}.horizon_days,
        {{ btyd_expected_purchases_if_alive(last ~ '.repeat_purchase_days') }}
            as expected_purchases_if_alive,
        {{ btyd_series_error_bound(last ~ '.repeat_purchase_days', terms) }}
            as series_error_bound
    from {{ last }}
)

select * from curves

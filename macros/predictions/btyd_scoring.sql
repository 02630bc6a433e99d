{#
    BG/NBD and Gamma-Gamma scoring in portable SQL (DuckDB, PostgreSQL, Spark).
    Parameters are columns btyd_r, btyd_alpha, btyd_a, btyd_b, gg_p, gg_q, gg_gamma
    (macro btyd_parameters_row); time is in days.

    Expected purchases in the next t days of a customer alive at T (FHL 2005, eq. 10,
    without its P(alive) factor) is
        U = (a + b + x - 1) / (a - 1) * (1 - (1 - z)^(r + x) * 2F1(r + x, b + x; a + b + x - 1; z)),
        z = t / (alpha + T + t).
    Euler's transformation 2F1(A, B; C; z) = (1 - z)^(C - A - B) 2F1(C - A, C - B; C; z) turns
    it into
        U = (a + b + x - 1) / (a - 1) * (1 - (1 - z)^(a - 1) * 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z)),
    whose series terms fall like k^(a - r - x - 2) z^k: faster the more purchases a customer
    made, where the original's grow first. The series is summed to btyd_series_terms terms in
    chunks of 20 (each a Horner polynomial, so no engine's or sqlfluff's nesting limit is reached),
    skipping chunks once a term is below 1e-30 of the sum.

    Error bound. Term k+1 is term k times rho_k = (A + k)(B + k) z / ((C + k)(k + 1)). With
    A = C - r - x <= C, B = a - 1 > -1 and k >= K >= 50, |rho_k| <= zeta = z * max(1, (K + a - 1) / (K + 1)),
    so the terms not summed, term_K and after, add up to at most |term_K| / (1 - zeta): macro
    btyd_series_error_bound turns it into a bound on U, which a data test keeps below
    btyd_series_tolerance (relative) for every curve point.
#}

{# The CTEs (each followed by a comma) that sum the series: from `source` (columns: carry,
   z, series_a, series_b, series_c, series_sum = 0, series_term = 1) to the CTE named by
   macro btyd_series_last. #}
{% macro btyd_series_ctes(source, carry, terms, prefix='series') %}
    {%- set chunk = 20 -%}
    {%- set chunks = ((terms + chunk - 1) // chunk) | int -%}
    {%- set previous = namespace(name=source) -%}
    {%- for index in range(chunks) -%}
        {%- set first = index * chunk -%}
        {%- set horner = namespace(sql='1.0') -%}
        {%- for k in range(first + chunk - 2, first - 1, -1) -%}
            {%- set horner.sql = '1.0 + ' ~ btyd_series_ratio(k) ~ ' * (' ~ horner.sql ~ ')' -%}
        {%- endfor %}
{{ prefix }}_{{ index + 1 }} as {{ btyd_cte_materialized() }} (
    select
        {% for column in carry %}{{ column }},
        {% endfor -%}
        z,
        series_a,
        series_b,
        series_c,
        case
            when abs(series_term) <= 1e-30 * abs(series_sum) then series_sum
            else series_sum + series_term * ({{ horner.sql }})
        end as series_sum,
        case
            when abs(series_term) <= 1e-30 * abs(series_sum) then series_term
            else series_term
                {%- for k in range(first, first + chunk) %}
                * {{ btyd_series_ratio(k) }}
                {%- endfor %}
        end as series_term
    from {{ previous.name }}
),
        {%- set previous.name = prefix ~ '_' ~ (index + 1) -%}
    {%- endfor %}
{% endmacro %}


{# PostgreSQL inlines a CTE read once, substituting its columns into the next: with each
   chunk reading the previous sum and term several times, the expression would grow
   exponentially with the chunks (a 500-term series crashed the server). Materialized there. #}
{% macro btyd_cte_materialized() %}
    {{ return(adapter.dispatch('btyd_cte_materialized', 'customer_segmentation')()) }}
{% endmacro %}

{% macro default__btyd_cte_materialized() -%}
{%- endmacro %}

{% macro postgres__btyd_cte_materialized() -%}
    materialized
{%- endmacro %}


{# The name of the last CTE of macro btyd_series_ctes. #}
{% macro btyd_series_last(terms, prefix='series') %}
    {{ return(prefix ~ '_' ~ (((terms + 19) // 20) | int)) }}
{% endmacro %}


{# rho_k, the ratio of term k + 1 to term k of 2F1(series_a, series_b; series_c; z). #}
{% macro btyd_series_ratio(k) -%}
    ((series_a + {{ k }}.0) * (series_b + {{ k }}.0) * z / ((series_c + {{ k }}.0) * {{ k + 1 }}.0))
{%- endmacro %}


{# The number of series terms summed: var btyd_series_terms rounded up to a chunk of 20. #}
{% macro btyd_series_terms() %}
    {%- set terms = var_number('btyd_series_terms', 50, 5000, integer=true) -%}
    {{ return((((terms + 19) // 20) * 20) | int) }}
{% endmacro %}


{# U, expected purchases in the horizon if alive, from the summed series (see the top). #}
{% macro btyd_expected_purchases_if_alive(x) -%}
    (btyd_a + btyd_b + {{ x }} - 1) / nullif(btyd_a - 1, 0)
    * (1 - power(1 - z, btyd_a - 1) * series_sum)
{%- endmacro %}


{# An upper bound on the absolute error of U from stopping the series after `terms` terms
   (series_term is term K, the first not summed); null when it cannot be bounded (zeta >= 1),
   which fails the tolerance test. A term below 1e-250 counts as 0 (PostgreSQL raises on
   float underflow). #}
{% macro btyd_series_error_bound(x, terms) -%}
    {%- set zeta -%}
        (z * greatest(1.0, ({{ terms }}.0 + btyd_a - 1) / {{ terms + 1 }}.0))
    {%- endset -%}
    case
        when {{ zeta }} >= 1 then null
        when abs(series_term) < 1e-250 then 0.0
        else abs((btyd_a + btyd_b + {{ x }} - 1) / nullif(btyd_a - 1, 0))
            * power(1 - z, btyd_a - 1)
            * (abs(series_term) / (1 - {{ zeta }}))
    end
{%- endmacro %}


{# P(alive) of a buyer with x repeat purchase days, last at t_x, first T days ago (FHL 2005,
   eq. 11): 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)), as a
   logistic of its log-odds so that no engine overflows; 0 below 1e-300. #}
{% macro btyd_p_alive(x, t_x, age) -%}
    {%- set log_odds -%}
        (ln(btyd_a) - ln(btyd_b + {{ x }} - 1)
        + (btyd_r + {{ x }}) * (ln(btyd_alpha + {{ age }}) - ln(btyd_alpha + {{ t_x }})))
    {%- endset -%}
    case
        when {{ x }} = 0 then 1.0
        when {{ log_odds }} > 690 then 0.0
        when {{ log_odds }} > 0
            then exp(-{{ log_odds }}) / (1 + exp(-{{ log_odds }}))
        else 1 / (1 + exp({{ log_odds }}))
    end
{%- endmacro %}


{# Gamma-Gamma expected mean spend per purchase given x repeat purchases of mean zbar
   (FH 2013, eq. 5): p (gamma + x zbar) / (p x + q - 1); for x = 0 the population mean
   p gamma / (q - 1). Null when q <= 1 (no finite mean) or x > 0 and zbar <= 0 (outside
   the model: spend not described). #}
{% macro gamma_gamma_expected_spend(x, zbar) -%}
    case
        when gg_q > 1 and ({{ x }} = 0 or {{ zbar }} > 0)
            then gg_p * (gg_gamma + {{ x }} * {{ zbar }}) / (gg_p * {{ x }} + gg_q - 1)
    end
{%- endmacro %}

-- One row per BTYD model parameter (days): fitted on DuckDB, or given in var btyd_parameters.
{#
    fit_status: converged / not_converged / insufficient_data (fitted by model
    int_btyd_fitted, DuckDB), from_var (var btyd_parameters, any engine), or
    unavailable (an engine without dbt Python models and no var: no predictions).
#}
{%- set given = btyd_given_parameters() -%}
{%- set names = {'bg_nbd': ['r', 'alpha', 'a', 'b'], 'gamma_gamma': ['p', 'q', 'gamma']} -%}

with

as_of_date as (
    select * from {{ ref('int_as_of_date') }}
),

{% if given is none and target.type == 'duckdb' %}
    fitted as (
        select * from {{ ref('int_btyd_fitted') }}
    ),

    parameters as (
        select
            fitted.model,
            fitted.parameter,
            cast(fitted.estimate as {{ type_double() }}) as estimate,
            cast(fitted.log_likelihood as {{ type_double() }}) as log_likelihood,
            cast(fitted.customers_fitted as {{ dbt.type_bigint() }}) as customers_fitted,
            fitted.converged,
            fitted.fit_status,
            as_of_date.as_of_date
        from fitted
        cross join as_of_date
    )
{% else %}
    listed as (
        {% for model_name, parameters in names.items() %}
            {% for parameter in parameters %}
                select
                    '{{ model_name }}' as model,
                    '{{ parameter }}' as parameter,
                    {% if given is not none and model_name in given %}
                        cast({{ given[model_name][parameter] }} as {{ type_double() }})
                        as estimate,
                        'from_var' as fit_status
                    {% else %}
                        cast(null as {{ type_double() }}) as estimate,
                        '{{ "from_var" if given is not none else "unavailable" }}' as fit_status
                    {% endif %}
                {% if not loop.last %}union all{% endif %}
            {% endfor %}
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    ),

    parameters as (
        select
            listed.model,
            listed.parameter,
            listed.estimate,
            cast(null as {{ type_double() }}) as log_likelihood,
            cast(null as {{ dbt.type_bigint() }}) as customers_fitted,
            cast(null as boolean) as converged,
            listed.fit_status,
            as_of_date.as_of_date
        from listed
        cross join as_of_date
    )
{% endif %}

select * from parameters

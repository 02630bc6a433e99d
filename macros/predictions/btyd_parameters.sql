{#
    The BTYD parameters given in var btyd_parameters, validated: none when the var is
    unset, else {'bg_nbd': {r, alpha, a, b}, 'gamma_gamma': {p, q, gamma}} (gamma_gamma
    optional), every value a positive finite number, time in days.
#}
{% macro btyd_given_parameters() %}
    {%- set given = var('btyd_parameters', none) -%}
    {%- if given is none or given == '' or given == {} -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if given is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "var 'btyd_parameters' must be a mapping like {bg_nbd: {r: .., alpha: .., a: .., b: ..},"
            ~ " gamma_gamma: {p: .., q: .., gamma: ..}} (days), got '" ~ given ~ "'") }}
    {%- endif -%}
    {%- set expected = {'bg_nbd': ['r', 'alpha', 'a', 'b'], 'gamma_gamma': ['p', 'q', 'gamma']} -%}
    {%- set parsed = {} -%}
    {%- for model_name, values in given.items() -%}
        {%- if model_name not in expected -%}
            {{ exceptions.raise_compiler_error(
                "var 'btyd_parameters': unknown model '" ~ model_name
                ~ "' (expected bg_nbd, gamma_gamma)") }}
        {%- endif -%}
        {%- if values is not mapping or (values.keys() | list | sort) != (expected[model_name] | sort) -%}
            {{ exceptions.raise_compiler_error(
                "var 'btyd_parameters': " ~ model_name ~ " needs exactly "
                ~ expected[model_name] | join(', ') ~ ", got '" ~ values ~ "'") }}
        {%- endif -%}
        {%- set numbers = {} -%}
        {%- for name in expected[model_name] -%}
            {%- set text = values[name] | string | trim -%}
            {%- if values[name] is boolean
                or not modules.re.fullmatch('[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?', text)
                or text | float <= 0 -%}
                {{ exceptions.raise_compiler_error(
                    "var 'btyd_parameters': " ~ model_name ~ "." ~ name
                    ~ " must be a positive number, got '" ~ text ~ "'") }}
            {%- endif -%}
            {%- do numbers.update({name: text | float}) -%}
        {%- endfor -%}
        {%- do parsed.update({model_name: numbers}) -%}
    {%- endfor -%}
    {%- if 'bg_nbd' not in parsed -%}
        {{ exceptions.raise_compiler_error("var 'btyd_parameters' needs bg_nbd: {r, alpha, a, b}") }}
    {%- endif -%}
    {{ return(parsed) }}
{% endmacro %}


{#
    One row, one column per parameter (btyd_r, btyd_alpha, btyd_a, btyd_b, gg_p, gg_q,
    gg_gamma), from the long table btyd_model_parameters; nulls when a model has none.
#}
{% macro btyd_parameters_row(parameters_relation) %}
    {%- set columns = [
        ('bg_nbd', 'r', 'btyd_r'), ('bg_nbd', 'alpha', 'btyd_alpha'),
        ('bg_nbd', 'a', 'btyd_a'), ('bg_nbd', 'b', 'btyd_b'),
        ('gamma_gamma', 'p', 'gg_p'), ('gamma_gamma', 'q', 'gg_q'),
        ('gamma_gamma', 'gamma', 'gg_gamma'),
    ] -%}
    select
        {% for model_name, parameter, column in columns %}
            max(
                case
                    when model = '{{ model_name }}' and parameter = '{{ parameter }}'
                        then estimate
                end
            ) as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ parameters_relation }}
{% endmacro %}


{# The horizons (days) the purchase curves are evaluated at: var prediction_horizons_days
   and the month ends (30-day months) of the CLV horizon, sorted, each once. #}
{% macro btyd_curve_horizons() %}
    {%- set horizons = [] -%}
    {%- for days in btyd_prediction_horizons() -%}
        {%- do horizons.append(days) -%}
    {%- endfor -%}
    {%- for month in range(1, var_number('clv_horizon_months', 1, 120, integer=true) + 1) -%}
        {%- if month * 30 not in horizons -%}{%- do horizons.append(month * 30) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(horizons | sort) }}
{% endmacro %}


{# var prediction_horizons_days validated: a non-empty list of distinct whole days, 1-3650. #}
{% macro btyd_prediction_horizons() %}
    {%- set given = var('prediction_horizons_days') -%}
    {%- set items = given if given is iterable and given is not string else [given] -%}
    {%- set days = [] -%}
    {%- for item in items -%}
        {%- set text = item | string | trim -%}
        {%- if item is boolean or not modules.re.fullmatch('[0-9]+', text)
            or text | int < 1 or text | int > 3650 or text | int in days -%}
            {{ exceptions.raise_compiler_error(
                "var 'prediction_horizons_days' must be a list of distinct whole days"
                ~ " from 1 to 3650, got '" ~ given ~ "'") }}
        {%- endif -%}
        {%- do days.append(text | int) -%}
    {%- endfor -%}
    {%- if days | length == 0 -%}
        {{ exceptions.raise_compiler_error("var 'prediction_horizons_days' is empty") }}
    {%- endif -%}
    {{ return(days) }}
{% endmacro %}

{#
    The money limit: a single amount, in its own currency and converted at the
    highest rate its currency has in seed fx_rates, must stay below
    money_limit() (one trillion). Larger amounts are quarantined as
    out_of_range, so conversions and sums over a whole customer base (carried
    as type_money_sum) never overflow.
#}
{% macro money_limit() %}
    {{ return(1000000000000) }}
{% endmacro %}

{# True when `amount` (times `max_rate`, the highest rate of its currency; null = 1) reaches money_limit(). #}
{% macro money_out_of_range(amount, max_rate) %}
    {{ return('abs(' ~ dbt.cast(amount, type_double()) ~ ' * ' ~ dbt.cast(
        'coalesce(' ~ max_rate ~ ', 1)', type_double()) ~ ') >= ' ~ money_limit()) }}
{% endmacro %}

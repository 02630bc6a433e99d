{#
    The lifecycle ladder as of as_of_date: first matching rung wins, the last
    catches the rest. Expects customer_features columns and value_tier.
#}
{% macro lifecycle_stage() -%}
    {%- set dormant_days = var_number('dormant_after_days', 1, integer=true) -%}
    {%- set churned_days = var_number('churned_after_days', 1, integer=true) -%}
    {%- set loyal_days = var_number('loyal_min_purchase_days', 2, integer=true) -%}
    {%- if churned_days < dormant_days -%}
        {{ exceptions.raise_compiler_error(
            "var churned_after_days (" ~ churned_days ~ ") must be >= dormant_after_days ("
            ~ dormant_days ~ ")") }}
    {%- endif -%}
    case
        when purchase_days = 0 then 'prospect'
        when recency_days >= {{ churned_days }} then 'churned'
        when recency_days >= {{ dormant_days }} then 'dormant'
        when purchase_days >= 2
            and last_purchase_gap_days >= {{ dormant_days }} then 'reactivated'
        when purchase_days = 1 then 'new'
        when purchase_days >= {{ loyal_days }}
            and value_tier = {{ sql_string(var_choice('loyal_value_tier')) }}
            then 'loyal'
        else 'active'
    end
{%- endmacro %}

{#-
    Every scored customer's expected purchases are non-negative and do not fall as the
    horizon grows, for whatever horizons var prediction_horizons_days lists; a prospect
    or unscored customer has none. Returns the offending rows.
-#}
{%- set horizons = btyd_prediction_horizons() | sort %}

with

predictions as (
    select * from {{ ref('customer_predictions') }}
)

select
    customer_id,
    p_alive
from predictions
where
    {% for days in horizons %}
        {%- set column = 'expected_purchases_next_' ~ days ~ '_days' %}
        ({{ column }} is null) <> (p_alive is null)
        or {{ column }} < 0
        {%- if not loop.first %}
            or {{ column }} < expected_purchases_next_{{ horizons[loop.index0 - 1] }}_days
        {%- endif %}
        {% if not loop.last %}or{% endif %}
    {% endfor %}

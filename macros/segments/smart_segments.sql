{#
    The value of a customer_features column named by seed smart_segment_features,
    as a double: a case over the numeric columns the seed may name (the seed's
    accepted_values test lists the same columns). feature_expr: the feature name.
#}
{% macro smart_segment_feature_value(feature_expr, relation_alias) %}
    {%- set candidates = [
        'recency_days', 'order_count', 'purchase_days', 'repeat_purchase_days',
        'distinct_categories', 'tenure_days', 'customer_age_days', 'mean_purchase_gap_days',
        'gross_revenue', 'net_revenue', 'refunded_amount', 'avg_order_value',
        'spend_last_90_days', 'visits_last_90_days', 'email_clicks_last_90_days',
        'support_tickets', 'referrals', 'review_count',
    ] -%}
    case {{ feature_expr }}
        {%- for column in candidates %}
            when '{{ column }}' then cast({{ relation_alias }}.{{ column }} as {{ type_double() }})
        {%- endfor %}
    end
{%- endmacro %}


{#
    The model given in var smart_segment_model, validated: none when unset, else a
    list of rows like those of int_smart_segment_fitted (cluster_number, feature,
    transform, weight, center, scale, centroid), every cluster with every feature.
#}
{% macro smart_segment_given_model() %}
    {%- set given = var('smart_segment_model', none) -%}
    {%- if given is none or given == '' or given == [] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set keys = ['center', 'centroid', 'cluster_number', 'feature', 'scale', 'transform', 'weight'] -%}
    {%- if given is string or given is mapping or given is not iterable -%}
        {{ exceptions.raise_compiler_error(
            "var 'smart_segment_model' must be a list of rows {" ~ keys | join(', ')
            ~ "}, got '" ~ given ~ "'") }}
    {%- endif -%}
    {%- set number = '-?[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?' -%}
    {%- set parsed = [] -%}
    {%- for row in given -%}
        {%- if row is not mapping or (row.keys() | list | sort) != keys -%}
            {{ exceptions.raise_compiler_error(
                "var 'smart_segment_model': every row needs exactly " ~ keys | join(', ')
                ~ ", got '" ~ row ~ "'") }}
        {%- endif -%}
        {%- for name in ['center', 'centroid', 'scale', 'weight'] -%}
            {%- if row[name] is boolean or not modules.re.fullmatch(number, row[name] | string | trim) -%}
                {{ exceptions.raise_compiler_error(
                    "var 'smart_segment_model': " ~ name ~ " must be a number, got '"
                    ~ row[name] ~ "'") }}
            {%- endif -%}
        {%- endfor -%}
        {%- if not modules.re.fullmatch('[1-9][0-9]*', row.cluster_number | string | trim)
            or not modules.re.fullmatch('[a-z0-9_]+', row.feature | string)
            or row.transform not in ['log1p', 'none'] -%}
            {{ exceptions.raise_compiler_error(
                "var 'smart_segment_model': bad cluster_number, feature or transform in '"
                ~ row ~ "'") }}
        {%- endif -%}
        {%- do parsed.append(row) -%}
    {%- endfor -%}
    {{ return(parsed) }}
{% endmacro %}

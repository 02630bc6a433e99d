{#
    The segmentation schemes: each is a column of customer_segments whose
    labels have rows in seed segment_playbook (scheme = the column name). This
    is the one list of them: segment_summary reports every scheme, var
    playbook_scheme must name one, and segment_transitions (with
    segment_summary_history) follows the schemes marked tracked. To add a
    scheme: its column in customer_segments, its rows in segment_playbook, an
    entry here (CONTRIBUTING.md).
#}
{% macro segmentation_schemes(tracked_only=false) %}
    {%- set schemes = [
        {'name': 'rfm_segment', 'tracked': true},
        {'name': 'pyramid_tier', 'tracked': true},
        {'name': 'abc_class', 'tracked': false},
        {'name': 'value_tier', 'tracked': true},
        {'name': 'lifecycle_stage', 'tracked': true},
        {'name': 'membership_level', 'tracked': true},
        {'name': 'smart_segment', 'tracked': true},
    ] -%}
    {%- set names = [] -%}
    {%- for scheme in schemes if scheme.tracked or not tracked_only -%}
        {%- do names.append(scheme.name) -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}

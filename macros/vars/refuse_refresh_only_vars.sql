{#
    Stop the build when a var that only `custseg-refresh` reads (history_start,
    snapshot_grain) is passed to dbt: dbt build writes one snapshot (as_of_date)
    per run, and would otherwise ignore the backfill the user asked for.
#}
{% macro refuse_refresh_only_vars() %}
    {%- for name in ['history_start', 'snapshot_grain'] -%}
        {%- if var(name, none) is not none -%}
            {{ exceptions.raise_compiler_error(
                "var '" ~ name ~ "' is not read by dbt build, which writes one history snapshot "
                ~ "per run (the as_of_date). To backfill a calendar of snapshots, run "
                ~ "custseg-refresh --history-start DATE [--snapshot-grain day|week|month] "
                ~ "(README, Scheduled refreshes and history); remove the var from --vars.") }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}

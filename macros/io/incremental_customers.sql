{#
    Incremental per-customer aggregates (DuckDB, var incremental_staging): a
    run recomputes the full-history aggregates of the customers whose rows
    changed, and only theirs, and replaces them (delete+insert by customer_id).

    A customer is affected when
    - a row of theirs in the base model (any verdict: an older, superseded
      version of a corrected row still names the customer it moved away from)
      was validated after the aggregate's last run (_validated_at); or
    - an accepted row of theirs entered or left one of the model's as-of
      windows because as_of_date moved (in either direction).
    An affected customer with no rows left gets a row with a null
    presence column, which a post-hook deletes; another post-hook stamps every
    row with the run's as_of_date (the rows not recomputed are exact at it too),
    so the next run knows which as_of_date the table describes. Everything else about a
    customer's aggregate depends only on their own rows, so the other rows stay
    exact; tests/pytest/test_incremental.py checks it against a full refresh.
#}

{#
    Config of a per-customer aggregate over base_model's rows: incremental on
    DuckDB (var incremental_staging), a table elsewhere. presence_column is
    non-null in every real row and null in the row of a customer whose rows are
    all gone. with_fx_rates: its money depends on the fx_rates seed.
#}
{% macro customer_aggregate_config(base_model, presence_column, with_fx_rates=false) %}
    {#- with identity resolution on, a new customer record can merge or split
        persons, which the per-customer watermark cannot see: every run
        recomputes every person -#}
    {%- if target.type == 'duckdb' and var_bool('incremental_staging', true)
        and not identity_resolution_on() -%}
        {{ return({
            'materialized': 'incremental',
            'incremental_strategy': 'delete+insert',
            'unique_key': 'customer_id',
            'on_schema_change': 'fail',
            'pre_hook': "{{ reset_stale_customer_aggregate('" ~ base_model ~ "', "
                ~ (with_fx_rates | string | lower) ~ ") }}",
            'post_hook': [
                "{{ keep_customer_aggregate_watermark('" ~ presence_column ~ "') }}",
                'delete from {{ this }} where ' ~ presence_column ~ ' is null',
                "{{ advance_customer_aggregate_as_of() }}",
            ],
        }) }}
    {%- endif -%}
    {{ return({'materialized': 'table'}) }}
{% endmacro %}

{#
    CTE `affected_customers` of an incremental run (see the top of this file).
    window_days: the model's as-of windows in days (rows with
    days_before_as_of < w); the whole history up to as_of_date always counts.
#}
{% macro affected_customers_cte(base_model, accepted_model, event_column, window_days,
    has_work) %}
    {%- set windows = [none] + window_days -%}
    {%- set old_as_of = '(select max(stored._as_of_date) from ' ~ this ~ ' as stored)' -%}
    {%- set new_as_of = '(select as_of.as_of_date from ' ~ ref('int_as_of_date') ~ ' as as_of)' -%}
    {%- set event_date = to_business_date('moved.' ~ event_column) -%}
    {%- if not has_work %}
    affected_customers as (
        {#- nothing to do this run: no scan at all #}
        select stored.customer_id from {{ this }} as stored where 1 = 0
    )
    {%- else %}
    affected_customers as (
        select changed.customer_id
        from {{ ref(base_model) }} as changed
        where
            changed.customer_id is not null
            and changed._validated_at > (
                select coalesce(max(stored._validated_through), cast('1900-01-01' as timestamp))
                from {{ this }} as stored
            )
        union
        select moved.customer_id
        from {{ ref(accepted_model) }} as moved
        where
            {#- a cheap range check on the UTC timestamp first (business days are
                at most a day off UTC days), then the exact window membership -#}
            (
                {%- for w in windows %}
                    {% if not loop.first %}or {% endif -%}
                    (
                        moved.{{ event_column }} >= cast({{ dbt.dateadd(
                            'day', -(w or 0) - 2, 'least(' ~ old_as_of ~ ', ' ~ new_as_of ~ ')')
                        }} as timestamp)
                        and moved.{{ event_column }} < cast({{ dbt.dateadd(
                            'day', -(w or 0) + 2, 'greatest(' ~ old_as_of ~ ', ' ~ new_as_of ~ ')')
                        }} as timestamp)
                    )
                {%- endfor %}
            )
            and (
                {%- for w in windows %}
                    {% if not loop.first %}or {% endif -%}
                    {{ in_as_of_window(event_date, old_as_of, w) }}
                    <> {{ in_as_of_window(event_date, new_as_of, w) }}
                {%- endfor %}
            )
    )
    {%- endif %}
{% endmacro %}

{# Whether a business date counts at as_of (on or before it, and fewer than window_days before it). #}
{% macro in_as_of_window(event_date, as_of, window_days) %}
    {%- if window_days is none -%}
        {{ return('(' ~ event_date ~ ' <= ' ~ as_of ~ ')') }}
    {%- endif -%}
    {{ return('(' ~ event_date ~ ' <= ' ~ as_of ~ ' and '
        ~ days_between(event_date, as_of) ~ ' < ' ~ window_days ~ ')') }}
{% endmacro %}

{#
    The bookkeeping columns that end every per-customer aggregate row: when the
    run started (_validated_through: the rows validated by then are in it), the
    as_of_date it describes, and the settings it was computed under.
#}
{% macro customer_aggregate_tail(with_fx_rates) %}
    {{- run_timestamp() }} as _validated_through,
        (select as_of.as_of_date from {{ ref('int_as_of_date') }} as as_of) as _as_of_date,
        {{ customer_aggregate_input_key(with_fx_rates) }} as _input_key
{%- endmacro %}

{#
    SQL text of what a per-customer aggregate depends on besides its rows: the
    rule version (rule_version('customer_aggregate')), the business time zone,
    the reporting currency and, for money
    on DuckDB (where the aggregates are incremental), a fingerprint of the rates
    the amounts are converted with (int_fx_rates_ranged, built from seed
    fx_rates).
#}
{% macro customer_aggregate_input_key(with_fx_rates) %}
    {%- set key = "'" ~ rule_version('customer_aggregate') ~ "|"
        ~ var_choice('business_timezone') ~ '|'
        ~ (var_choice('reporting_currency') | upper) ~ '|'
        ~ var_choice('identity_resolution', ['none', 'email_phone']) ~ "'" -%}
    {%- if with_fx_rates and target.type == 'duckdb' -%}
        {%- set fingerprint -%}
            (
                select md5(coalesce(string_agg(
                    concat_ws('|', fx.currency, fx.rate_to_reporting, fx.valid_from_date,
                        fx.valid_to_date), ';'
                    order by fx.currency, fx.valid_from_date nulls first, fx.rate_to_reporting
                ), ''))
                from {{ ref('int_fx_rates_ranged') }} as fx
            )
        {%- endset -%}
        {%- set key = key ~ " || '|fx:' || " ~ fingerprint -%}
    {%- endif -%}
    {{ return(key) }}
{% endmacro %}

{#
    pre-hook of incremental per-customer aggregates: empties the table (so the
    run recomputes every customer) when it was computed under other settings
    (customer_aggregate_input_key) or when base_model was rebuilt in full since
    (base_rebuilt_since_aggregate: ids may be gone). An older table without the
    bookkeeping columns gets a clear error.
#}
{% macro reset_stale_customer_aggregate(base_model, with_fx_rates) %}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- do require_stored_columns(['_validated_through', '_as_of_date', '_input_key']) -%}
    {%- set stale_query -%}
        select
            (
                select count(*) from {{ this }}
                where _input_key is distinct from
                    {{ customer_aggregate_input_key(with_fx_rates) }}
            ),
            {{ base_rebuilt_since_aggregate(base_model) }}
    {%- endset -%}
    {%- set stale = run_query(stale_query).rows[0] -%}
    {%- if stale[0] > 0 or stale[1] -%}
        {{ log("customer aggregate " ~ this ~ ": " ~ (
            "settings changed" if stale[0] > 0 else base_model ~ " was rebuilt in full")
            ~ "; recomputing every customer", info=true) }}
        {{ return('delete from ' ~ this) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{# post-hook of incremental per-customer aggregates: every row now describes this run's as_of_date. #}
{% macro advance_customer_aggregate_as_of() %}
    update {{ this }}
    set _as_of_date = (select as_of.as_of_date from {{ ref('int_as_of_date') }} as as_of)
    where _as_of_date is distinct from
        (select as_of.as_of_date from {{ ref('int_as_of_date') }} as as_of)
{%- endmacro %}

{#
    The filter an incremental per-customer aggregate puts on its event rows:
    the affected customers' rows, or none at all when the run has nothing to
    do (state.has_work false: no base row validated since the last run,
    as_of_date unchanged, no reset due), so the big event relation is not even
    scanned.
#}
{% macro affected_customers_filter(has_work) %}
    {%- if not has_work -%}
        {{ return('where 1 = 0') }}
    {%- endif -%}
    {{ return('where customer_id in (select affected_customers.customer_id from affected_customers)') }}
{% endmacro %}

{#
    The opening CTEs of a per-customer aggregate over kind (transactions or
    interactions): on an incremental run that recomputes some customers
    (state.partial, customer_aggregate_state) `affected_customers` and their rows, dated
    (and converted) here from stg_; otherwise every row of the as-of view. The CTE of rows is named after kind.
#}
{% macro customer_event_ctes(kind, window_days, state) %}
    {%- set base_model = 'base_shop__' ~ kind -%}
    {%- set event_column = 'transaction_at' if kind == 'transactions' else 'occurred_at' -%}
    {%- if state.partial %}
    {{ affected_customers_cte(
        base_model, 'stg_shop__' ~ kind, event_column, window_days, state.has_work) }},
    {%- endif %}

    {{ kind }} as (
    {%- if state.partial %}
        {%- set affected_rows = '(select * from ' ~ ref('stg_shop__' ~ kind) ~ ' '
            ~ affected_customers_filter(state.has_work) ~ ')' %}
        {{ transactions_as_of(affected_rows) if kind == 'transactions'
            else interactions_as_of(affected_rows) }}
    {%- else %}
        select * from {{ ref('int_' ~ kind ~ '_as_of') }}
    {%- endif %}
    )
{% endmacro %}

{#
    CTE `customers`: the customers whose rows an aggregate writes:
    on an incremental run that recomputes some customers the affected ones (one without rows left gets a row with a
    null presence column, deleted by the post-hook), otherwise every customer
    of the aggregated CTE.
#}
{% macro recomputed_customers_cte(aggregated, state) %}
    customers as (
    {%- if state.partial %}
        select affected_customers.customer_id from affected_customers
    {%- else %}
        select {{ aggregated }}.customer_id from {{ aggregated }}
    {%- endif %}
    )
{% endmacro %}

{#
    SQL condition: base_model was rebuilt in full after the aggregate's last
    run: its oldest _validated_at is newer than the aggregate's newest
    _validated_through, or it is empty while the aggregate is not.
#}
{% macro base_rebuilt_since_aggregate(base_model) %}
    {%- set condition -%}
        coalesce(
            (select min(base_rows._validated_at) from {{ ref(base_model) }} as base_rows)
            > (select max(stored._validated_through) from {{ this }} as stored),
            (select count(*) from {{ this }} as stored) > 0
        )
    {%- endset -%}
    {{ return(condition) }}
{% endmacro %}

{#
    post-hook of incremental per-customer aggregates, before the removal rows
    are deleted: when the run wrote removal rows only, one remaining row takes
    the run's start as _validated_through (every row is exact at it), so the
    watermark still advances and the same rows are not recomputed again.
#}
{% macro keep_customer_aggregate_watermark(presence_column) %}
    update {{ this }}
    set _validated_through = {{ run_timestamp() }}
    where
        customer_id = (
            select min(kept.customer_id) from {{ this }} as kept
            where kept.{{ presence_column }} is not null
        )
        and exists (
            select 1 from {{ this }} as removed
            where removed.{{ presence_column }} is null
        )
        and not exists (
            select 1 from {{ this }} as written
            where written.{{ presence_column }} is not null
                and written._validated_through = {{ run_timestamp() }}
        )
{%- endmacro %}

{#
    What a run of the per-customer aggregate over kind (transactions or
    interactions) does, read once when the model compiles (right before it
    runs, after its parents); the model passes it to customer_event_ctes and
    recomputed_customers_cte. {partial: it recomputes some customers only (an
    incremental run on a table that is not empty and that its pre-hook will
    not empty; otherwise it computes every customer the way a full build does,
    which needs far less memory than treating every customer as affected),
    has_work: a partial run has anything to do (a base row validated since the
    last run, another as_of_date, or a reset due)}. Unit tests of an
    incremental run give the state as a macro override.
#}
{% macro customer_aggregate_state(kind) %}
    {%- set base_model = 'base_shop__' ~ kind -%}
    {%- if not is_incremental() -%}
        {{ return({'partial': false, 'has_work': true}) }}
    {%- endif -%}
    {%- set assumed = {'partial': true, 'has_work': true} -%}
    {%- if not execute -%}
        {{ return(assumed) }}
    {%- endif -%}
    {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name')
        | map('lower') | list -%}
    {%- if '_validated_through' not in stored_columns or '_input_key' not in stored_columns -%}
        {#- an older table: the pre-hook stops the run with a clear message -#}
        {{ return(assumed) }}
    {%- endif -%}
    {%- set other_settings -%}
        (
            select count(*) from {{ this }} as stored
            where stored._input_key is distinct from
                {{ customer_aggregate_input_key(kind == 'transactions') }}
        ) > 0
    {%- endset -%}
    {%- set state_query -%}
        select
            (select count(*) from {{ this }} as stored) = 0
            or {{ other_settings }}
            or {{ base_rebuilt_since_aggregate(base_model) }} as computes_everyone,
            coalesce((select max(stored._validated_through) from {{ this }} as stored) is null
                or (select max(base_rows._validated_at) from {{ ref(base_model) }} as base_rows)
                > (select max(stored._validated_through) from {{ this }} as stored)
                or (select max(stored._as_of_date) from {{ this }} as stored)
                is distinct from (select as_of.as_of_date from {{ ref('int_as_of_date') }} as as_of)
                or {{ other_settings }}
                or {{ base_rebuilt_since_aggregate(base_model) }}, true) as has_work
    {%- endset -%}
    {%- set row = run_query(state_query).rows[0] -%}
    {{ return({'partial': not row[0], 'has_work': row[1]}) }}
{% endmacro %}

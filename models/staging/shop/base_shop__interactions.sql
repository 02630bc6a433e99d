-- Every raw interactions row kept, typed, with its first failed check (null = accepted).
{{ config(**base_model_config('interaction_id')) }}

{%- set interaction_types -%}
    'visit', 'email_open', 'email_click', 'support_ticket',
    'complaint', 'referral', 'review'
{%- endset %}

{#-
    Duplicate ids are rare, so the rows are split before they are parsed: ids
    that occur once in the file (almost all rows) are checked in one streaming
    pass and need no duplicate resolution; only the rows of repeated ids go
    through resolve_duplicate_ids. Each branch reads the file itself, so no
    CTE of all raw rows is held in memory; the repeated branch filters on the
    id before it trims the other columns (batch_rows' repeated_relation).
#}

{%- set raw_batch = batch_rows('interactions', 'interaction_id', 'occurred_at') %}

with

{{ raw_batch.ctes }}

{{ repeated_ids_cte(raw_batch.relation, 'interaction_id') }},

{% for part in ['single', 'repeated'] %}

    raw_{{ part }} as (
        {{ raw_rows_of(
            raw_batch.relation if part == 'single' else raw_batch.repeated_relation,
            'interaction_id', part) }}
    ),

    parsed_{{ part }} as (
        select
            ---------- ids
            interaction_id,
            customer_id,

            ---------- strings
            lower(interaction_type) as interaction_type,
            {{ pii_nulled('lower(channel)', 'channel') }} as channel,

            ---------- numerics
            {{ parse_decimal('score', 'decimal(38, 18)') }} as score,

            ---------- timestamps
            {{ parse_timestamp_utc('occurred_at') }} as occurred_at,

            ---------- raw text and delivery columns, for checks and the quarantine
            {{ raw_row_columns('interactions') }}
        from raw_{{ part }}
    ),

    checked_{{ part }} as (
        select
            parsed_{{ part }}.*,
            case
                {{ repeated_header_check('interactions') }}
                when interaction_id is null then 'interaction_id:missing_key'
                when customer_id is null then 'customer_id:missing_key'
                when raw__occurred_at is null then 'occurred_at:missing_value'
                when occurred_at is null then 'occurred_at:unparseable_timestamp'
                when interaction_type is null
                    then 'interaction_type:missing_value'
                when interaction_type not in ({{ interaction_types }})
                    then 'interaction_type:unknown_type'
                when raw__score is not null and score is null
                    then 'score:unparseable_number'
                when score < 1 or score > 5 then 'score:out_of_range'
                when {{ is_future_dated('occurred_at') }}
                    then 'occurred_at:future_dated'
                {{ loaded_at_check() }}
            end as rejection
        from parsed_{{ part }}
    ),

{% endfor %}

{{ resolve_duplicate_ids('checked_repeated', 'interaction_id', 'interactions') }},

all_rows as (
    {{ single_and_resolved_rows('checked_single') }}
),

final as (
    select
        interaction_id,
        customer_id,
        interaction_type,
        channel,
        score,
        occurred_at,
        {{ pii_found(['raw__channel']) }} as _pii_nulled,
        case
            when coalesce(rejection, duplicate_rejection) is not null
                then {{ raw_values_text('interactions', prefix='raw__') }}
        end as raw_values,
        {{ base_row_tail() }}
    from all_rows
)

select * from final

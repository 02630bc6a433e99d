{{ config(materialized='table') }}

{%- set interaction_types -%}
    'visit', 'email_open', 'email_click', 'support_ticket',
    'complaint', 'referral', 'review'
{%- endset %}

with

raw_interactions as (
    select * from {{ read_raw('interactions') }}
),

parsed as (
    select
        ---------- ids
        trim(interaction_id) as interaction_id,
        trim(customer_id) as customer_id,

        ---------- strings
        lower(trim(interaction_type)) as interaction_type,
        lower(nullif(trim(channel), '')) as channel,

        ---------- numerics
        {{ parse_decimal('trim(score)', 'decimal(38, 18)') }} as score,

        ---------- timestamps
        {{ parse_timestamp_utc('trim(occurred_at)') }} as occurred_at,

        ---------- raw text kept for validation and the quarantine
        occurred_at as raw_occurred_at,
        score as raw_score,
        {{ raw_values_text('interactions') }} as raw_values,
        {{ row_fingerprint('interactions') }} as row_fingerprint,
        _source_file,
        _source_row
    from raw_interactions
),

checked as (
    select
        parsed.*,
        case
            when interaction_id is null or interaction_id = ''
                then 'interaction_id:missing_key'
            when customer_id is null or customer_id = ''
                then 'customer_id:missing_key'
            when raw_occurred_at is null then 'occurred_at:missing_value'
            when occurred_at is null then 'occurred_at:unparseable_timestamp'
            when interaction_type is null
                then 'interaction_type:missing_value'
            when interaction_type not in ({{ interaction_types }})
                then 'interaction_type:unknown_type'
            when raw_score is not null and score is null
                then 'score:unparseable_number'
            when score < 1 or score > 5 then 'score:out_of_range'
            when {{ is_future_dated('occurred_at') }}
                then 'occurred_at:future_dated'
        end as rejection
    from parsed
),

resolved as (
    select
        interaction_id,
        customer_id,
        interaction_type,
        channel,
        score,
        occurred_at,
        raw_values,
        _source_file,
        _source_row,
        {{ resolve_duplicate_ids('interaction_id') }} as rejection
    from checked
),

final as (
    select
        resolved.*,
        {{ split_rejection() }}
    from resolved
)

select * from final

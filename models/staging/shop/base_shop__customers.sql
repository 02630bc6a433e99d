{{ config(materialized='table') }}

with

raw_customers as (
    select * from {{ read_raw('customers') }}
),

parsed as (
    select
        ---------- ids
        trim(customer_id) as customer_id,

        ---------- strings
        lower(nullif(trim(email), '')) as email,
        nullif(trim(phone), '') as phone,
        upper(nullif(trim(country), '')) as country,
        lower(nullif(trim(acquisition_channel), '')) as acquisition_channel,

        ---------- timestamps
        {{ parse_timestamp_utc('trim(registered_at)') }} as registered_at,

        ---------- raw text kept for validation and the quarantine
        registered_at as raw_registered_at,
        {{ raw_values_text('customers', masked=['email', 'phone']) }}
            as raw_values,
        {{ row_fingerprint('customers') }} as row_fingerprint,
        _source_file,
        _source_row
    from raw_customers
),

checked as (
    select
        parsed.*,
        case
            when customer_id is null or customer_id = ''
                then 'customer_id:missing_key'
            when raw_registered_at is null then 'registered_at:missing_value'
            when registered_at is null
                then 'registered_at:unparseable_timestamp'
            when {{ is_future_dated('registered_at') }}
                then 'registered_at:future_dated'
        end as rejection
    from parsed
),

resolved as (
    select
        customer_id,
        email,
        phone,
        country,
        acquisition_channel,
        registered_at,
        raw_values,
        _source_file,
        _source_row,
        {{ resolve_duplicate_ids('customer_id') }} as rejection
    from checked
),

final as (
    select
        resolved.*,
        {{ split_rejection() }}
    from resolved
)

select * from final

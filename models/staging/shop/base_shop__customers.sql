-- Every raw customers row kept, typed, with its first failed check (null = accepted).
{{ config(**base_model_config('customer_id')) }}

{%- set raw_batch = batch_rows('customers', 'customer_id', 'registered_at') %}

with

{{ raw_batch.ctes }}

raw_customers as (
    select * from {{ raw_batch.relation }} as batch
),

parsed as (
    select
        ---------- ids
        customer_id,

        ---------- strings
        lower(email) as email,
        phone,
        {{ pii_nulled('upper(country)', 'country') }} as country,
        {{ pii_nulled('lower(acquisition_channel)', 'acquisition_channel') }}
            as acquisition_channel,

        ---------- timestamps
        {{ parse_timestamp_utc('registered_at') }} as registered_at,

        ---------- raw text and delivery columns, for checks and the quarantine
        {{ raw_row_columns('customers') }}
    from raw_customers
),

checked as (
    select
        parsed.*,
        case
            {{ repeated_header_check('customers') }}
            when customer_id is null then 'customer_id:missing_key'
            when raw__registered_at is null then 'registered_at:missing_value'
            when registered_at is null
                then 'registered_at:unparseable_timestamp'
            when {{ is_future_dated('registered_at') }}
                then 'registered_at:future_dated'
            {{ loaded_at_check() }}
        end as rejection
    from parsed
),

{{ resolve_duplicate_ids('checked', 'customer_id', 'customers') }},

final as (
    select
        customer_id,
        email,
        phone,
        country,
        acquisition_channel,
        registered_at,
        {{ pii_found(['raw__country', 'raw__acquisition_channel']) }} as _pii_nulled,
        case
            when coalesce(rejection, duplicate_rejection) is not null
                then {{ raw_values_text(
                    'customers', masked=['email', 'phone'], prefix='raw__') }}
        end as raw_values,
        {{ base_row_tail() }}
    from resolved
)

select * from final

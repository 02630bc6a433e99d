{{ config(**base_model_config('customer_id')) }}

with

raw_customers as (
    select * from {{ batch_rows('customers', 'customer_id', 'registered_at') }} as batch
),

parsed as (
    select
        ---------- ids
        customer_id,

        ---------- strings
        lower(email) as email,
        phone,
        upper(country) as country,
        lower(acquisition_channel) as acquisition_channel,

        ---------- timestamps
        {{ parse_timestamp_utc('registered_at') }} as registered_at,

        ---------- raw text (trimmed, blank = null) for checks and the quarantine
        {% for column in raw_contract_columns('customers') %}
            {{ column }} as raw__{{ column }},
        {% endfor %}
        _source_file,
        _source_row,
        _loaded_at_text,
        _loaded_at
    from raw_customers
),

checked as (
    select
        parsed.*,
        case
            when customer_id is null then 'customer_id:missing_key'
            when raw__registered_at is null then 'registered_at:missing_value'
            when registered_at is null
                then 'registered_at:unparseable_timestamp'
            when {{ is_future_dated('registered_at') }}
                then 'registered_at:future_dated'
            when _loaded_at_text is not null
                and {{ parse_timestamp_utc('_loaded_at_text') }} is null
                then 'loaded_at:unparseable_timestamp'
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
        case
            when coalesce(rejection, duplicate_rejection) is not null
                then {{ raw_values_text(
                    'customers', masked=['email', 'phone'], prefix='raw__') }}
        end as raw_values,
        _source_file,
        _source_row,
        _loaded_at,
        '{{ base_input_key() }}' as _input_key,
        {{ split_rejection('coalesce(rejection, duplicate_rejection)') }}
    from resolved
)

select * from final

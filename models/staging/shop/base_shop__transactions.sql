{{ config(materialized='table') }}

{%- set reporting_currency = var_choice('reporting_currency') | upper %}

with

raw_transactions as (
    select * from {{ read_raw('transactions') }}
),

fx_rates as (
    select * from {{ ref('fx_rates') }}
),

known_currencies as (
    select distinct upper(currency) as currency from fx_rates
),

parsed as (
    select
        ---------- ids
        trim(transaction_id) as transaction_id,
        trim(customer_id) as customer_id,

        ---------- strings
        lower(trim(transaction_type)) as transaction_type,
        coalesce(
            upper(nullif(trim(currency), '')), '{{ reporting_currency }}'
        ) as currency,
        lower(nullif(trim(product_category), '')) as product_category,
        lower(nullif(trim(channel), '')) as channel,

        ---------- numerics
        {{ parse_amount('trim(amount)') }} as amount,

        ---------- timestamps
        {{ parse_timestamp_utc('trim(transaction_at)') }} as transaction_at,

        ---------- raw text kept for validation and the quarantine
        transaction_at as raw_transaction_at,
        amount as raw_amount,
        {{ raw_values_text('transactions') }} as raw_values,
        {{ row_fingerprint('transactions') }} as row_fingerprint,
        _source_file,
        _source_row
    from raw_transactions
),

checked as (
    select
        parsed.*,
        case
            when transaction_id is null or transaction_id = ''
                then 'transaction_id:missing_key'
            when customer_id is null or customer_id = ''
                then 'customer_id:missing_key'
            when raw_transaction_at is null then 'transaction_at:missing_value'
            when transaction_at is null
                then 'transaction_at:unparseable_timestamp'
            when transaction_type is null then 'transaction_type:missing_value'
            when transaction_type not in ('purchase', 'refund')
                then 'transaction_type:unknown_type'
            when raw_amount is null then 'amount:missing_value'
            when amount is null then 'amount:unparseable_amount'
            when amount <= 0 then 'amount:non_positive_amount'
            when {{ is_future_dated('transaction_at') }}
                then 'transaction_at:future_dated'
            when currency <> '{{ reporting_currency }}'
                and currency not in (
                    select known_currencies.currency from known_currencies
                )
                then 'currency:no_fx_rate'
        end as rejection
    from parsed
),

resolved as (
    select
        transaction_id,
        customer_id,
        transaction_type,
        currency,
        product_category,
        channel,
        amount,
        transaction_at,
        raw_values,
        _source_file,
        _source_row,
        {{ resolve_duplicate_ids('transaction_id') }} as rejection
    from checked
),

final as (
    select
        resolved.*,
        {{ split_rejection() }}
    from resolved
)

select * from final

-- Every raw transactions row kept, typed, with its first failed check (null = accepted).
{{ config(**base_model_config('transaction_id')) }}

{%- set reporting_currency = var_choice('reporting_currency') | upper %}

{#-
    Rows of ids that occur once (almost all) are checked in one streaming pass;
    only the rows of repeated ids go through resolve_duplicate_ids (see
    base_shop__interactions).
#}

{%- set raw_batch = batch_rows('transactions', 'transaction_id', 'transaction_at') %}

with

{{ raw_batch.ctes }}

fx_rates as (
    select * from {{ ref('fx_rates') }}
),

known_currencies as (
    select
        upper(currency) as known_currency,
        max(rate_to_reporting) as max_rate_to_reporting
    from fx_rates
    group by upper(currency)
),

{{ repeated_ids_cte(raw_batch.relation, 'transaction_id') }},

{% for part in ['single', 'repeated'] %}

    raw_{{ part }} as (
        {{ raw_rows_of(
            raw_batch.relation if part == 'single' else raw_batch.repeated_relation,
            'transaction_id', part) }}
    ),

    parsed_{{ part }} as (
        select
            ---------- ids
            transaction_id,
            customer_id,

            ---------- strings
            lower(transaction_type) as transaction_type,
            coalesce(upper(currency), '{{ reporting_currency }}') as currency,
            {{ pii_nulled('lower(product_category)', 'product_category') }}
                as product_category,
            {{ pii_nulled('lower(channel)', 'channel') }} as channel,

            ---------- numerics
            {{ parse_amount('amount') }} as amount,

            ---------- timestamps
            {{ parse_timestamp_utc('transaction_at') }} as transaction_at,

            ---------- raw text and delivery columns, for checks and the quarantine
            {{ raw_row_columns('transactions') }}
        from raw_{{ part }}
    ),

    rated_{{ part }} as (
        select
            parsed_{{ part }}.*,
            known_currencies.known_currency,
            known_currencies.max_rate_to_reporting
        from parsed_{{ part }}
        left join known_currencies
            on parsed_{{ part }}.currency = known_currencies.known_currency
    ),

    checked_{{ part }} as (
        select
            rated_{{ part }}.*,
            case
                {{ repeated_header_check('transactions') }}
                when transaction_id is null then 'transaction_id:missing_key'
                when customer_id is null then 'customer_id:missing_key'
                when raw__transaction_at is null then 'transaction_at:missing_value'
                when transaction_at is null
                    then 'transaction_at:unparseable_timestamp'
                when transaction_type is null then 'transaction_type:missing_value'
                when transaction_type not in ('purchase', 'refund')
                    then 'transaction_type:unknown_type'
                when raw__amount is null then 'amount:missing_value'
                when not {{ matches_pattern('raw__amount', contract_pattern('decimal')) }}
                    then 'amount:unparseable_amount'
                when amount is null
                    or {{ money_out_of_range('amount', 'max_rate_to_reporting') }}
                    then 'amount:out_of_range'
                when amount < 0 or (amount = 0 and transaction_type = 'refund')
                    then 'amount:non_positive_amount'
                when {{ is_future_dated('transaction_at') }}
                    then 'transaction_at:future_dated'
                when currency <> '{{ reporting_currency }}'
                    and known_currency is null
                    then 'currency:no_fx_rate'
                {{ loaded_at_check() }}
            end as rejection
        from rated_{{ part }}
    ),

{% endfor %}

{{ resolve_duplicate_ids('checked_repeated', 'transaction_id', 'transactions') }},

all_rows as (
    {{ single_and_resolved_rows('checked_single') }}
),

final as (
    select
        transaction_id,
        customer_id,
        transaction_type,
        currency,
        product_category,
        channel,
        amount,
        transaction_at,
        {{ pii_found(['raw__product_category', 'raw__channel']) }} as _pii_nulled,
        case
            when coalesce(rejection, duplicate_rejection) is not null
                then {{ raw_values_text('transactions', prefix='raw__') }}
        end as raw_values,
        {{ base_row_tail() }}
    from all_rows
)

select * from final

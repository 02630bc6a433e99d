{# The columns of each raw contract table, in file order (the project's input API). #}
{% macro raw_contract_columns(table_name) %}
    {%- set contract = {
        'customers': [
            'customer_id', 'registered_at', 'email', 'phone',
            'country', 'acquisition_channel'
        ],
        'transactions': [
            'transaction_id', 'customer_id', 'transaction_at',
            'transaction_type', 'amount', 'currency',
            'product_category', 'channel'
        ],
        'interactions': [
            'interaction_id', 'customer_id', 'occurred_at',
            'interaction_type', 'channel', 'score'
        ]
    } -%}
    {%- if table_name not in contract -%}
        {{ exceptions.raise_compiler_error(
            "raw_contract_columns: unknown raw table '" ~ table_name ~ "'") }}
    {%- endif -%}
    {{ return(contract[table_name]) }}
{% endmacro %}

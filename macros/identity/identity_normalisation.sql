{#
    Identifier normalisation for identity resolution (docs/RULES.md section 17).
    Portable SQL; only the regular expression that keeps a phone's digits is
    dispatched (Spark's regexp_replace replaces every match and takes no flags).
#}

{# The digits of a text, in order (null stays null). #}
{% macro digits_only(text_expr) %}
    {{ return(adapter.dispatch('digits_only', 'customer_segmentation')(text_expr)) }}
{% endmacro %}

{% macro default__digits_only(text_expr) -%}
    regexp_replace({{ text_expr }}, '[^0-9]', '', 'g')
{%- endmacro %}

{% macro spark__digits_only(text_expr) -%}
    regexp_replace({{ text_expr }}, '[^0-9]', '')
{%- endmacro %}

{#
    The normalised e-mail: trimmed of white space, lower-cased, null when empty
    or not of the form local@domain. With var identity_email_provider_rules on,
    gmail.com and googlemail.com addresses also lose the dots and any +tag of
    the local part, and googlemail.com becomes gmail.com (null when nothing of
    the local part is left).
#}
{% macro normalised_email(email_expr) -%}
    {%- set email = 'lower(' ~ trim_text(email_expr) ~ ')' -%}
    {%- set valid = matches_pattern(email, '[^@]+@[^@]+') -%}
    {%- if var_bool('identity_email_provider_rules') -%}
        {%- set local_part = dbt.split_part(email, "'@'", 1) -%}
        {%- set domain = dbt.split_part(email, "'@'", 2) -%}
        case
            when not {{ valid }} then null
            when {{ domain }} in ('gmail.com', 'googlemail.com')
                and replace({{ dbt.split_part(local_part, "'+'", 1) }}, '.', '') <> ''
                then replace({{ dbt.split_part(local_part, "'+'", 1) }}, '.', '') || '@gmail.com'
            when {{ domain }} in ('gmail.com', 'googlemail.com') then null
            else {{ email }}
        end
    {%- else -%}
        case when {{ valid }} then {{ email }} end
    {%- endif -%}
{%- endmacro %}

{#
    The normalised phone number: '+', the country calling code, the number, as
    digits. A number written with '+' or '00' in front is international as it
    stands; any other loses one leading trunk prefix ('1' when var
    identity_default_calling_code is 1, the North American plan; '0' otherwise)
    and takes that calling code. Null when fewer than 7 or more than 15
    digits remain (E.164 allows 15).
#}
{% macro normalised_phone(phone_expr) -%}
    {%- set phone = trim_text(phone_expr) -%}
    {%- set digits = digits_only(phone) -%}
    {%- set calling_code = var_number('identity_default_calling_code', 1, 999, integer=true) -%}
    {#- the national trunk prefix: 1 in the North American plan (calling code 1),
        0 nearly everywhere else -#}
    {%- set trunk_prefix = '1' if calling_code == 1 else '0' -%}
    {%- set international -%}
        case
            when left({{ phone }}, 1) = '+' then {{ digits }}
            when left({{ digits }}, 2) = '00' then substr({{ digits }}, 3)
            when left({{ digits }}, 1) = '{{ trunk_prefix }}'
                then '{{ calling_code }}' || substr({{ digits }}, 2)
            else '{{ calling_code }}' || {{ digits }}
        end
    {%- endset -%}
    case
        when length({{ international }}) between 7 and 15 then '+' || {{ international }}
    end
{%- endmacro %}

{#
    Text with every leading and trailing Unicode white-space character removed
    (the 29 characters of Unicode's White_Space property that Python's
    str.strip() removes: tab, line breaks, the information separators, space,
    NEL, no-break space, the typographic spaces, ideographic space), and null
    when nothing is left. Ids and codes trimmed this way match however an
    export padded them.
#}
{% macro trim_text(text_expr) %}
    {{ return(adapter.dispatch('trim_text', 'customer_segmentation')(text_expr)) }}
{% endmacro %}

{# The code points trim_text removes. #}
{% macro white_space_code_points() %}
    {{ return([9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760,
        8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202,
        8232, 8233, 8239, 8287, 12288]) }}
{% endmacro %}

{% macro default__trim_text(text_expr) %}
    {%- set characters = [] -%}
    {%- for code_point in white_space_code_points() -%}
        {%- do characters.append('chr(' ~ code_point ~ ')') -%}
    {%- endfor -%}
    nullif(trim({{ text_expr }}, {{ characters | join(' || ') }}), '')
{%- endmacro %}

{% macro duckdb__trim_text(text_expr) %}
    {#- trimming with a character list costs about 1 us a value, so only values
        that start or end outside printable ASCII (33-132: all the characters
        lie outside it) take that path. Ranges, not IN lists: DuckDB plans an IN
        list as a join. The last character is x[-1], not right(x, 1): 0.8 s
        against 2.2 s per 30M values (BENCHMARKS.md, the expert leg). -#}
    {%- set characters = [] -%}
    {%- for code_point in white_space_code_points() -%}
        {%- do characters.append('chr(' ~ code_point ~ ')') -%}
    {%- endfor -%}
    nullif(
        case
            when unicode({{ text_expr }}) not between 33 and 132
                or unicode(({{ text_expr }})[-1]) not between 33 and 132
                then trim({{ text_expr }}, {{ characters | join(' || ') }})
            else {{ text_expr }}
        end,
        ''
    )
{%- endmacro %}

{% macro spark__trim_text(text_expr) %}
    {#- Spark's chr() stops at 255: the characters as \u escapes of one literal -#}
    {%- set characters = [] -%}
    {%- for code_point in white_space_code_points() -%}
        {%- do characters.append('\\u%04x' | format(code_point)) -%}
    {%- endfor -%}
    nullif(trim(both '{{ characters | join('') }}' from {{ text_expr }}), '')
{%- endmacro %}

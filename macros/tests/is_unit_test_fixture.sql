{#
    Whether `relation` is a dbt unit-test fixture (a CTE named __dbt__cte__...)
    standing in for a table or source. The project's one test-aware check: the
    raw readers read a fixture as a table instead of listing files, and an
    incremental model does not query a stored table that a unit test replaces.
#}
{% macro is_unit_test_fixture(relation) %}
    {{ return((relation | string).startswith('__dbt__cte__')) }}
{% endmacro %}

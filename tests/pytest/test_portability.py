"""Portability lint: engine-specific SQL may live only inside dispatched engine macros.

Scans models/, macros/, tests/data_tests/ and analyses/ with the bodies of
`{% macro <engine>__name(...) %}` blocks removed, and fails on constructs that break on some
warehouse (Postgres, Spark, Snowflake, BigQuery).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT

ENGINE_MACRO = re.compile(
    r"\{%-?\s*macro\s+(duckdb|postgres|spark|databricks|snowflake|bigquery|trino)__\w+\(.*?"
    r"\{%-?\s*endmacro\s*-?%\}",
    re.S,
)
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
JINJA_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)  # Jinja renders SQL through macros
FORBIDDEN = {
    r"::\s*\w": "`::` casts (use cast(x as type))",
    r"\bqualify\b": "`qualify` (use a filtered CTE)",
    r"\bgroup\s+by\s+all\b": "`group by all`",
    r"\bcount_if\s*\(": "`count_if` (use count_where)",
    r"\bsum\s*\(\s*(is_|has_)\w+\s*\)": "sum(boolean) (use count_where)",
    r"(?<![/'])//(?!')": "`//` integer division (use integer_divide)",
    r"\btry_cast\s*\(": "try_cast (use the try_cast macro)",
    r"\bregexp_full_match\s*\(|\brlike\b|\bregexp_like\s*\(": "regex (use matches_pattern)",
    r"\bdate_diff\s*\(|\bdatediff\s*\(": "engine date diff (use days_between / dbt.datediff)",
    r"\bas\s+double\b|\bdouble\s+precision\b": "double types (use type_double())",
    r"\bstrftime\s*\(|\bstrptime\s*\(": "engine date formatting",
    r"\bilike\b": "`ilike`",
}
SOURCES = [
    path
    for folder in ("models", "macros", "tests/data_tests", "analyses")
    for path in sorted((PROJECT_ROOT / folder).rglob("*.sql"))
]


def portable_text(path: Path) -> str:
    text = JINJA_COMMENT.sub("", path.read_text())
    return JINJA_CODE.sub(" ", ENGINE_MACRO.sub("", text))


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(PROJECT_ROOT)) for p in SOURCES])
def test_no_engine_specific_sql_outside_dispatch(path: Path) -> None:
    text = portable_text(path)
    problems = [
        message
        for pattern, message in FORBIDDEN.items()
        if re.search(pattern, text, re.I)
        and not (path.name == "try_cast.sql" and "try_cast" in message)
        and not (path.name == "matches_pattern.sql" and "regex" in message)
        and not (path.name == "integer_divide.sql" and "//" in message)
        and not (path.name == "type_double.sql" and "double" in message)
    ]
    assert not problems, f"{path.relative_to(PROJECT_ROOT)}: {problems}"


def test_the_lint_catches_what_it_should(tmp_path: Path) -> None:
    sample = tmp_path / "bad.sql"
    sample.write_text(
        "select x::int, count_if(y) from t qualify row_number() over () = 1\n"
        "{% macro duckdb__ok() %} select a::int {% endmacro %}"
    )
    text = portable_text(sample)
    assert "a::int" not in text
    hits = [m for p, m in FORBIDDEN.items() if re.search(p, text, re.I)]
    assert len(hits) == 3, hits

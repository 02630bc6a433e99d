"""The three-engine comparison must be able to fail: its comparison rules, on hand-made tables.

(The comparison itself runs in `make engines`, part of `make test`: DuckDB, PostgreSQL and
Spark builds of one generated data set.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from custseg.compare_engines import compare_table

COLUMNS = ["customer_id", "orders", "revenue", "share", "segment", "since"]
ROWS = [
    ("C1", 3, Decimal("10.5000"), 0.1, "Champions", dt.date(2025, 1, 1)),
    ("C2", 1, Decimal("2.0000"), 0.2, "Lost", dt.date(2025, 2, 1)),
]


def test_equal_tables_in_another_row_and_column_order_and_driver_types() -> None:
    columns = list(reversed(COLUMNS))
    rows = [
        tuple(reversed(("C2", 1, 2, 0.2 * (1 + 1e-12), "Lost", "2025-02-01")))  # int for 2.0000
        for _ in range(1)
    ] + [tuple(reversed(("C1", 3, Decimal("10.5"), 0.1, "Champions", dt.date(2025, 1, 1))))]
    assert compare_table("mart", (COLUMNS, ROWS), (columns, rows)) == []


def test_a_decimal_differing_in_the_last_place_is_a_difference() -> None:
    other = [ROWS[0], ("C2", 1, Decimal("2.0001"), 0.2, "Lost", dt.date(2025, 2, 1))]
    problems = compare_table("mart", (COLUMNS, ROWS), (COLUMNS, other))
    assert problems and "revenue" in problems[0]


def test_doubles_beyond_the_relative_tolerance_differ() -> None:
    other = [ROWS[0], ("C2", 1, Decimal("2.0000"), 0.2 * (1 + 1e-7), "Lost", dt.date(2025, 2, 1))]
    problems = compare_table("mart", (COLUMNS, ROWS), (COLUMNS, other))
    assert problems and "share" in problems[0]


def test_text_null_and_row_count_differences_are_reported() -> None:
    renamed = [ROWS[0], ("C2", 1, Decimal("2.0000"), 0.2, "lost", dt.date(2025, 2, 1))]
    assert compare_table("mart", (COLUMNS, ROWS), (COLUMNS, renamed))
    nulled = [ROWS[0], ("C2", 1, None, 0.2, "Lost", dt.date(2025, 2, 1))]
    assert compare_table("mart", (COLUMNS, ROWS), (COLUMNS, nulled))
    assert compare_table("mart", (COLUMNS, ROWS), (COLUMNS, ROWS[:1]))
    assert compare_table("mart", (COLUMNS, ROWS), (COLUMNS[:-1], [r[:-1] for r in ROWS]))


def test_engine_specific_columns_of_the_quarantine_are_ignored() -> None:
    columns = ["record_id", "source_file", "quarantine_row_id"]
    duck = [("T1", "data/transactions.csv", "abc")]
    spark = [("T1", "file:///x/transactions.csv", "def")]
    assert compare_table("quarantined_rows", (columns, duck), (columns, spark)) == []
    assert compare_table("other_mart", (columns, duck), (columns, spark))


def test_duckdbs_fit_becomes_the_other_engines_var() -> None:
    """PostgreSQL and Spark score with DuckDB's parameters (var btyd_parameters), all of them,
    exactly (repr round-trips a double), and no var when DuckDB had nothing to fit."""
    from custseg.compare_engines import btyd_parameters_var

    columns = ["model", "parameter", "estimate", "fit_status"]
    rows = [
        ("bg_nbd", "r", 0.24259292827982182, "converged"),
        ("bg_nbd", "alpha", 30.894726, "converged"),
        ("gamma_gamma", "p", None, "insufficient_data"),
    ]
    assert btyd_parameters_var((columns, rows)) == {
        "bg_nbd": {"r": 0.24259292827982182, "alpha": 30.894726}
    }
    assert btyd_parameters_var((columns, [("bg_nbd", "r", None, "unavailable")])) is None

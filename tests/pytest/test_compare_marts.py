"""custseg.compare_marts: two builds' marts compared row for row inside DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb

from custseg.compare_marts import MARTS, compare_marts, main


def _build(path: Path, feature_rows: list[tuple[str, int, str]]) -> Path:
    """A file with every mart; customer_features holds feature_rows (id, orders, run time)."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        for mart in MARTS:
            con.execute(
                f"create table marts.{mart} (customer_id varchar, order_count integer,"
                " _validated_at varchar)"
            )
        con.executemany("insert into marts.customer_features values (?, ?, ?)", feature_rows)
    finally:
        con.close()
    return path


def _execute(path: Path, sql: str) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(sql)
    finally:
        con.close()


def test_equal_marts_ignore_run_times_and_row_order(tmp_path: Path) -> None:
    left = _build(tmp_path / "a.duckdb", [("C1", 2, "run 1"), ("C2", 0, "run 1")])
    right = _build(tmp_path / "b.duckdb", [("C2", 0, "run 2"), ("C1", 2, "run 2")])
    assert set(compare_marts(left, right).values()) == {(0, 0)}
    assert main([str(left), str(right)]) == 0


def test_a_changed_value_and_a_duplicate_row_are_differences(tmp_path: Path) -> None:
    left = _build(tmp_path / "a.duckdb", [("C1", 2, "x"), ("C2", 0, "x")])
    right = _build(tmp_path / "b.duckdb", [("C1", 3, "x"), ("C2", 0, "x"), ("C2", 0, "x")])
    outcome = compare_marts(left, right)
    assert outcome["customer_features"] == (1, 2)
    assert main([str(left), str(right)]) == 1


def test_a_missing_mart_is_reported(tmp_path: Path) -> None:
    left = _build(tmp_path / "a.duckdb", [("C1", 2, "x")])
    right = _build(tmp_path / "b.duckdb", [("C1", 2, "x")])
    _execute(right, "drop table marts.segment_transitions")
    assert compare_marts(left, right)["segment_transitions"] == "missing in right"
    assert main([str(left), str(right)]) == 1


def test_a_changed_column_type_is_a_difference(tmp_path: Path) -> None:
    left = _build(tmp_path / "a.duckdb", [("C1", 2, "x")])
    right = _build(tmp_path / "b.duckdb", [("C1", 2, "x")])
    _execute(right, "alter table marts.customer_features alter order_count type bigint")
    assert str(compare_marts(left, right)["customer_features"]).startswith("columns differ")
    assert main([str(left), str(right)]) == 1

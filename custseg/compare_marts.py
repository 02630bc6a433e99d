"""Compare the marts of two DuckDB builds of the project row for row, inside DuckDB.

    python -m custseg.compare_marts target/a.duckdb target/b.duckdb

Each mart (schema `marts`) is compared as a multiset of rows with `EXCEPT ALL` in both
directions, so tables of millions of rows (the 100M benchmark's 5M customers) are compared
without loading them into Python. Columns that record when a run wrote a row differ between any
two runs by design and are left out. Prints one line per mart; exits 1 when any mart differs or
is missing from either file, 0 when all are equal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from custseg.marts import PUBLIC_MARTS, RUN_TIME_COLUMNS

# the marts BI users read, the ones custseg.refresh publishes
MARTS = PUBLIC_MARTS


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple[str, str]]:
    """(name, type) of each column, in order; empty when the table is missing."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = ? and table_schema = 'marts' and table_name = ?"
        " order by ordinal_position",
        [catalog, table],
    ).fetchall()
    return [(name, data_type) for name, data_type in rows]


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def compare_marts(
    left: Path, right: Path, marts: Sequence[str] = MARTS
) -> dict[str, tuple[int, int] | str]:
    """Per mart: (rows only in left, rows only in right), or a text saying why it could not be
    compared (missing, or different column names or types)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach {_quoted(left)} as lhs (read_only)")
        con.execute(f"attach {_quoted(right)} as rhs (read_only)")
        result: dict[str, tuple[int, int] | str] = {}
        for mart in marts:
            left_columns = _columns(con, "lhs", mart)
            right_columns = _columns(con, "rhs", mart)
            if not left_columns or not right_columns:
                missing = [
                    side
                    for side, cols in (("left", left_columns), ("right", right_columns))
                    if not cols
                ]
                result[mart] = "missing in " + " and ".join(missing)
                continue
            if left_columns != right_columns:
                result[mart] = f"columns differ: {left_columns} vs {right_columns}"
                continue
            listed = ", ".join(f'"{c}"' for c, _ in left_columns if c not in RUN_TIME_COLUMNS)
            counts = []
            for first, second in (("lhs", "rhs"), ("rhs", "lhs")):
                (count,) = con.execute(
                    f"select count(*) from (select {listed} from {first}.marts.{mart}"
                    f" except all select {listed} from {second}.marts.{mart})"
                ).fetchone()
                counts.append(int(count))
            result[mart] = (counts[0], counts[1])
        return result
    finally:
        con.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="custseg compare-marts",
        description="Compare the marts of two DuckDB builds row for row (EXCEPT ALL both ways).",
    )
    parser.add_argument("left", type=Path)
    parser.add_argument("right", type=Path)
    args = parser.parse_args(argv)
    equal = True
    for mart, outcome in compare_marts(args.left, args.right).items():
        if outcome == (0, 0):
            print(f"{mart}: equal")
            continue
        equal = False
        if isinstance(outcome, tuple):
            print(f"{mart}: {outcome[0]} rows only in left, {outcome[1]} only in right")
        else:
            print(f"{mart}: {outcome}")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())

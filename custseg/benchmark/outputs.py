"""Reading the project's output from a DuckDB file and comparing a system's output with it
exactly (money as integers of 1/10000)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from custseg.benchmark.common import CORE_COLUMNS, DBT_EXTRACT_SQL, STRING_COLUMNS, BenchmarkError


def canonical(frame: Any, columns: Iterable[str] = CORE_COLUMNS) -> Any:
    """A pandas frame with fixed dtypes (Int64 / str), sorted by customer_id."""
    import pandas as pd

    columns = list(columns)
    frame = frame[columns].copy()
    for column in columns:
        if column in STRING_COLUMNS:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
        else:
            frame[column] = pd.array(frame[column], dtype="Int64")
    return frame.sort_values("customer_id").reset_index(drop=True)


def compare(reference: Any, candidate: Any, system: str, columns: Sequence[str]) -> None:
    """Raise BenchmarkError unless both frames hold exactly the same rows and values."""
    reference = canonical(reference, columns)
    candidate = canonical(candidate, columns)
    problems: list[str] = []
    ref_ids, cand_ids = set(reference["customer_id"]), set(candidate["customer_id"])
    if ref_ids != cand_ids or len(reference) != len(candidate):
        problems.append(
            f"customers: {len(reference)} in the project, {len(candidate)} in {system}; "
            f"only in project e.g. {sorted(ref_ids - cand_ids)[:5]}, "
            f"only in {system} e.g. {sorted(cand_ids - ref_ids)[:5]}"
        )
    merged = reference.merge(candidate, on="customer_id", suffixes=("_ref", "_got"))
    for column in columns:
        if column == "customer_id":
            continue
        left, right = merged[f"{column}_ref"], merged[f"{column}_got"]
        same = (left == right).fillna(False).astype(bool) | (left.isna() & right.isna())
        if not same.all():
            bad = merged.loc[~same, ["customer_id", f"{column}_ref", f"{column}_got"]]
            problems.append(f"{column}: {len(bad)} rows differ, e.g.\n{bad.head(5).to_string()}")
    if problems:
        raise BenchmarkError(f"{system} output differs from the project's:\n" + "\n".join(problems))


def read_dbt_output(db_path: Path) -> Any:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(DBT_EXTRACT_SQL).df()
    finally:
        con.close()

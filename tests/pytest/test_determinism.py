"""Determinism and as-of correctness of the public marts.

- the same data with rows shuffled, in Parquet instead of CSV, or built with another DuckDB
  thread count gives identical marts;
- adding transactions and interactions after as_of_date does not change a build at that date.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from conftest import PUBLIC_MARTS, generate, read_table, run_dbt

from custseg.marts import LOCATION_COLUMNS, RUN_TIME_COLUMNS

AS_OF = "2025-06-30"
TABLES = ("customers", "transactions", "interactions")


def canonical(db_path: Path, mart: str, drop_location: bool = False) -> str:
    """A mart as sorted CSV text: equal text means equal content, byte for byte."""
    frame = read_table(db_path, f"marts.{mart}")
    dropped = set(RUN_TIME_COLUMNS)
    if drop_location:
        dropped |= LOCATION_COLUMNS.get(mart, frozenset())
    frame = frame.drop(columns=[c for c in frame.columns if c in dropped])
    frame = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return frame.to_csv(index=False)


def shuffle_csv(source: Path, target: Path, seed: int) -> None:
    table = pacsv.read_csv(
        source,
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in pacsv.read_csv(source).column_names},
            strings_can_be_null=False,
        ),
    )
    frame = table.to_pandas().sample(frac=1.0, random_state=seed)
    frame.to_csv(target, index=False)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("det_data"), customers=400, seed=7)


@pytest.fixture(scope="module")
def reference_build(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db_path = tmp_path_factory.mktemp("det_ref") / "ref.duckdb"
    run_dbt(["build"], db_path, dbt_vars={"raw_path": str(data_dir)}, threads=1)
    return db_path


def test_rebuild_with_more_threads_is_identical(
    data_dir: Path, reference_build: Path, tmp_path: Path
) -> None:
    db_path = tmp_path / "threads.duckdb"
    run_dbt(["build"], db_path, dbt_vars={"raw_path": str(data_dir)}, threads=4)
    for mart in PUBLIC_MARTS:
        assert canonical(db_path, mart) == canonical(reference_build, mart), mart


def test_shuffled_files_give_identical_marts(
    data_dir: Path, reference_build: Path, tmp_path: Path
) -> None:
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    for index, table in enumerate(TABLES):
        shuffle_csv(data_dir / f"{table}.csv", shuffled / f"{table}.csv", seed=index + 1)
    db_path = tmp_path / "shuffled.duckdb"
    run_dbt(["build"], db_path, dbt_vars={"raw_path": str(shuffled)})
    for mart in PUBLIC_MARTS:
        assert canonical(db_path, mart, drop_location=True) == canonical(
            reference_build, mart, drop_location=True
        ), mart


def test_parquet_input_gives_the_same_marts_as_csv(
    data_dir: Path, reference_build: Path, tmp_path: Path
) -> None:
    parquet_dir = tmp_path / "parquet"
    parquet_dir.mkdir()
    for table in TABLES:
        frame = pd.read_csv(data_dir / f"{table}.csv", dtype=str, keep_default_na=False)
        pq.write_table(
            pa.Table.from_pandas(frame, preserve_index=False), parquet_dir / f"{table}.parquet"
        )
    db_path = tmp_path / "parquet.duckdb"
    run_dbt(["build"], db_path, dbt_vars={"raw_path": str(parquet_dir), "raw_format": "parquet"})
    for mart in PUBLIC_MARTS:
        assert canonical(db_path, mart, drop_location=True) == canonical(
            reference_build, mart, drop_location=True
        ), mart
    quarantine = read_table(db_path, "marts.quarantined_rows")
    assert quarantine.source_row.notna().all(), "Parquet rows carry their row number"


def test_later_events_do_not_change_an_earlier_as_of_build(data_dir: Path, tmp_path: Path) -> None:
    before = tmp_path / "before"
    shutil.copytree(data_dir, before)
    db_before = tmp_path / "before.duckdb"
    run_dbt(["build"], db_before, dbt_vars={"raw_path": str(before), "as_of_date": AS_OF})

    after = tmp_path / "after"
    shutil.copytree(data_dir, after)
    with (after / "transactions.csv").open("a") as handle:
        handle.write("TLATE1,C000001,2025-07-01 00:00:01,purchase,999.00,,books,web\n")
        handle.write("TLATE2,C000002,2025-09-15T10:00:00+02:00,refund,5.00,,books,web\n")
        handle.write("TLATE3,CNEW,2025-08-01 10:00:00,purchase,50.00,EUR,toys,app\n")
    with (after / "interactions.csv").open("a") as handle:
        handle.write("ILATE1,C000001,2025-07-02 08:00:00,complaint,web,\n")
    with (after / "customers.csv").open("a") as handle:
        handle.write("CNEW,2025-07-20 10:00:00,new@example.com,,US,organic\n")
    db_after = tmp_path / "after.duckdb"
    run_dbt(["build"], db_after, dbt_vars={"raw_path": str(after), "as_of_date": AS_OF})

    for mart in ("customer_features", "customer_segments", "segment_summary", "rfm_thresholds"):
        assert canonical(db_after, mart) == canonical(db_before, mart), mart
    features = read_table(db_after, "marts.customer_features")
    assert "CNEW" not in set(features.customer_id)
    assert (features.as_of_date.astype(str) == AS_OF).all()

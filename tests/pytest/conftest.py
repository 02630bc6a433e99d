"""Shared helpers for the pytest suite: generate data, run dbt in a subprocess, read marts.

dbt always runs in a subprocess: an in-process dbtRunner keeps the DuckDB file lock after it
returns and is not safe to run concurrently.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from custseg.marts import PUBLIC_MARTS  # noqa: F401  (re-exported to the tests)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))


class DbtRun:
    """The outcome of one dbt invocation."""

    def __init__(self, completed: subprocess.CompletedProcess[str], target_path: Path) -> None:
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.target_path = target_path

    @property
    def results(self) -> list[dict[str, Any]]:
        """Node results from run_results.json (empty when dbt wrote none)."""
        path = self.target_path / "run_results.json"
        if not path.exists():
            return []
        return json.loads(path.read_text())["results"]

    def status_of(self, name_fragment: str) -> list[str]:
        return [r["status"] for r in self.results if name_fragment in r["unique_id"]]


def run_dbt(
    args: list[str],
    db_path: Path,
    *,
    dbt_vars: dict[str, Any] | None = None,
    threads: int | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
    target_path: Path | None = None,
) -> DbtRun:
    """Run `dbt <args>` from the project root against the DuckDB file `db_path`."""
    target_path = target_path or db_path.with_suffix(".target")
    command = [
        DBT_EXECUTABLE,
        *args,
        "--profiles-dir",
        "profiles",
        "--target-path",
        str(target_path),
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    full_env = {
        **os.environ,
        "DBT_DUCKDB_PATH": str(db_path),
        "DBT_LOG_PATH": str(target_path / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(env or {}),
    }
    if threads is not None:
        full_env["DBT_DUCKDB_THREADS"] = str(threads)
    completed = subprocess.run(
        command, cwd=PROJECT_ROOT, env=full_env, capture_output=True, text=True, check=False
    )
    run = DbtRun(completed, target_path)
    if check and run.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed ({run.returncode}):\n"
            f"{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
        )
    return run


def read_table(db_path: Path, relation: str, order_by: str | None = None) -> pd.DataFrame:
    """Read a relation (e.g. 'marts.customer_features') via a short-lived read-only connection."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        sql = f"select * from {relation}"
        if order_by:
            sql += f" order by {order_by}"
        return con.execute(sql).df()
    finally:
        con.close()


def generate(out_dir: Path, **kwargs: Any) -> Path:
    """Write a generated data set (custseg.generate) into out_dir and return it."""
    from custseg.generate import generate as generate_data

    kwargs.setdefault("quiet", True)
    generate_data(out_dir, **kwargs)
    return out_dir


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The project built once on the bundled demo data; yields the DuckDB path."""
    db_path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    run_dbt(["build"], db_path)
    assert_every_line_accounted(db_path, PROJECT_ROOT / "data" / "demo")
    yield db_path


def data_lines(path: Path) -> int:
    """Data lines of a raw CSV file, counted without any CSV reader: its non-blank lines after the
    header (a line of only spaces is data: a malformed one)."""
    lines = path.read_bytes().split(b"\n")
    return sum(1 for line in lines[1:] if line.strip(b"\r") != b"")


def assert_every_line_accounted(db_path: Path, raw_dir: Path, fmt: str = "csv") -> None:
    """The accounting invariant: for every raw file, its data lines (rows for Parquet) = rows read
    = accepted + quarantined in mart raw_files, and per table the accepted staging rows plus the
    quarantined rows add up to all of its files' lines."""
    files = read_table(db_path, "marts.raw_files")
    present = files[files.file_status != "gone"]
    for table in ("customers", "transactions", "interactions"):
        paths = sorted(Path(raw_dir).glob(f"{table}*.{fmt}"))
        listed = present[present.source_table == table]
        listed = listed.set_index(listed.file_path.map(lambda p: (PROJECT_ROOT / p).resolve()))
        assert sorted(listed.index) == [p.resolve() for p in paths], table
        total = 0
        for path in paths:
            if fmt == "csv":
                expected = data_lines(path)
            else:
                import pyarrow.parquet as pq

                expected = pq.ParquetFile(path).metadata.num_rows
            row = listed.loc[path.resolve()]
            assert row.rows_read == expected, f"{path.name}: {row.rows_read} read, {expected} lines"
            assert row.rows_accepted + row.rows_quarantined == row.rows_read, path.name
            total += expected
        staged = len(read_table(db_path, f"staging.stg_shop__{table}"))
        quarantine = read_table(db_path, "marts.quarantined_rows")
        rejected = int((quarantine.source_table == table).sum())
        assert staged + rejected == total, f"{table}: {staged} + {rejected} != {total} lines"

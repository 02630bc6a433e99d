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

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
PUBLIC_MARTS = (
    "customer_features",
    "customer_segments",
    "segment_summary",
    "rfm_thresholds",
    "quarantined_rows",
)


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
    yield db_path

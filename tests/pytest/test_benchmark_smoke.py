"""Smoke run of the performance benchmark (custseg.benchmark) on a tiny data set.

Checks that every system it runs produces exactly the project's output and that the JSON and
markdown reports are written. polars and lifetimes are optional: polars joins in only when it
imports; lifetimes is left out (the full benchmark covers it). The expert leg's full comparison
(every column of customer_features and the quarantine) is also shown to catch a changed value
and a missing quarantine row.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_ROOT, generate

from custseg.benchmark.common import BenchmarkError
from custseg.benchmark.expert_system import compare_full


def test_benchmark_smoke_run_outputs_equal_and_report_written(tmp_path: Path) -> None:
    data = generate(tmp_path / "data", transactions=20_000, fmt="parquet")
    systems = ["dbt_build", "dbt_incremental", "floor", "expert", "pandas"]
    if importlib.util.find_spec("polars") is not None:
        systems.append("polars")
    out, markdown = tmp_path / "results.json", tmp_path / "results.md"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "custseg.benchmark",
            "--data-dir",
            str(data),
            "--work-dir",
            str(tmp_path / "work"),
            "--repeats",
            "1",
            "--systems",
            ",".join(systems),
            "--out",
            str(out),
            "--markdown",
            str(markdown),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-6000:]

    report = json.loads(out.read_text())
    assert report["failure"] is None
    assert list(report["systems"]) == systems
    assert report["checks"]["dbt_build"].startswith("reference")
    assert report["checks"]["dbt_incremental"] == "equal to a full build with the increment"
    for system in systems[2:]:
        if system == "expert":
            assert report["checks"][system].startswith("equal; also every column"), system
        else:
            assert report["checks"][system] == "equal", system
    for system in systems:
        summary = report["systems"][system]
        assert summary["repeats"] == 1
        assert summary["wall_s_median"] > 0
        assert summary["peak_rss_mib_max"] > 0
    assert report["targets"]["floor_over_dbt"]["ratio"] > 0
    assert report["targets"]["expert_over_dbt"]["ratio"] > 0
    assert report["targets"]["expert_over_floor_scope"]["ratio"] > 0
    assert report["floor_scope"]["nodes"] > 10

    # the expert leg's full comparison finds a change in any column of customer_features
    # or in the quarantine
    expert, floor = tmp_path / "work/expert/bench.duckdb", tmp_path / "work/floor/bench.duckdb"
    assert compare_full(expert, floor)["quarantine"] > 0
    for change in (
        "update customer_features set spend_previous_90_days = spend_previous_90_days + 0.0001"
        " where customer_id = (select min(customer_id) from customer_features)",
        "update customer_features set preferred_channel = null"
        " where preferred_channel is not null and customer_id = (select min(customer_id)"
        " from customer_features where preferred_channel is not null)",
        "delete from quarantine where source_row = (select max(source_row) from quarantine)",
    ):
        changed = tmp_path / "changed.duckdb"
        shutil.copy(expert, changed)
        con = duckdb.connect(str(changed))
        con.execute(change)
        con.close()
        with pytest.raises(BenchmarkError, match="differs"):
            compare_full(changed, floor)
    assert report["machine"]["versions"]["dbt-core"]
    assert "(a) dbt build" in markdown.read_text()

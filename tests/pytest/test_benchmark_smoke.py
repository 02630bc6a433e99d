"""Smoke run of the performance benchmark (custseg.benchmark) on a tiny data set.

Checks that every system it runs produces exactly the project's output and that the JSON and
markdown reports are written. polars and lifetimes are optional: polars joins in only when it
imports; lifetimes is left out (the full benchmark covers it).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT_ROOT, generate


def test_benchmark_smoke_run_outputs_equal_and_report_written(tmp_path: Path) -> None:
    data = generate(tmp_path / "data", transactions=20_000, fmt="parquet")
    systems = ["dbt_build", "dbt_incremental", "floor", "pandas"]
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
        assert report["checks"][system] == "equal", system
    for system in systems:
        summary = report["systems"][system]
        assert summary["repeats"] == 1
        assert summary["wall_s_median"] > 0
        assert summary["peak_rss_mib_max"] > 0
    assert report["targets"]["floor_over_dbt"]["ratio"] > 0
    assert report["machine"]["versions"]["dbt-core"]
    assert "(a) dbt build" in markdown.read_text()

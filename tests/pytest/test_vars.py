"""Malformed vars are refused at compile time with a message that names the var."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_dbt

CASES = [
    ({"as_of_date": "yesterday"}, "as_of_date' must be a date YYYY-MM-DD"),
    ({"as_of_date": "2025-02-30"}, "as_of_date' is not a calendar date"),
    ({"as_of_date": "2025-01-01'; drop table x; --"}, "as_of_date' must be a date"),
    ({"rfm_method": "random"}, "rfm_method' must be one of cume_dist, ntile, thresholds"),
    ({"rfm_bins": "five"}, "rfm_bins' must be an integer"),
    ({"dormant_after_days": -3}, "dormant_after_days' must be >= 1"),
    ({"dormant_after_days": 400}, "churned_after_days (365) must be >= dormant_after_days"),
    ({"control_group_share": 1.5}, "control_group_share' must be <= 1"),
    ({"raw_format": "xlsx"}, "raw_format' must be one of csv, parquet"),
    ({"raw_path": "data'; select 1; --"}, "raw_path' must be a directory path without quotes"),
    ({"playbook_scheme": "stars"}, "playbook_scheme' must be one of"),
    ({"rfm_min_customers": "abc"}, "rfm_min_customers' must be an integer"),
    ({"business_timezone": "Mars/Olympus"}, "business_timezone' must be an IANA time zone"),
    ({"incremental_staging": "perhaps"}, "incremental_staging' must be true or false"),
    ({"csv_delimiter": ";;"}, "csv_delimiter' must be one character"),
    # read by custseg-refresh only: dbt build must not ignore a backfill silently (issue 19)
    ({"history_start": "1997-01-01"}, "history_start' is not read by dbt build"),
    ({"snapshot_grain": "month"}, "snapshot_grain' is not read by dbt build"),
]


@pytest.mark.parametrize(("dbt_vars", "message"), CASES, ids=[next(iter(c[0])) for c in CASES])
def test_malformed_var_is_refused(tmp_path: Path, dbt_vars: dict, message: str) -> None:
    run = run_dbt(["compile"], tmp_path / "vars.duckdb", dbt_vars=dbt_vars, check=False)
    assert run.returncode != 0
    assert message in run.stdout, run.stdout[-2000:]


@pytest.mark.parametrize("spelling", [False, "false", "False", "no", "off", "0"])
def test_boolean_vars_accept_every_spelling(tmp_path: Path, spelling: object) -> None:
    run = run_dbt(
        ["ls", "--select", "base_shop__transactions", "--output", "json"],
        tmp_path / "ls.duckdb",
        dbt_vars={"incremental_staging": spelling},
    )
    node = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("{")))
    assert node["config"]["materialized"] == "table", spelling


def test_malformed_snapshot_date_is_refused(tmp_path: Path) -> None:
    # custseg-refresh passes a history snapshot's date in this environment variable
    run = run_dbt(
        ["compile", "--select", "int_as_of_date"],
        tmp_path / "env.duckdb",
        env={"CUSTSEG_SNAPSHOT_DATE": "2025-01-01'; drop table x; --"},
        check=False,
    )
    assert run.returncode != 0
    assert "environment variable CUSTSEG_SNAPSHOT_DATE must be a date YYYY-MM-DD" in run.stdout, (
        run.stdout[-2000:]
    )

"""A real public data set: the CDNOW sample (2,357 customers of the first quarter of 1997) against
the BTYD summary published with it (lifetimes' cdnow_customers_summary_with_transactions.csv:
x = frequency, t_x = recency, T, in weeks, and zbar = mean repeat purchase value, calibration
period ending 1997-09-30). The files come from the lifetimes wheel (installed without its
dependencies, never imported); the expected values are the published ones, not this project's.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_every_line_accounted, read_table, run_dbt

from custseg.contract import COLUMNS

CALIBRATION_END = "1997-09-30"


def _datasets() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("lifetimes is not installed: run `make setup` (requirements-nodeps.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    work = tmp_path_factory.mktemp("cdnow")
    raw = work / "raw"
    raw.mkdir()
    log = (_datasets() / "CDNOW_sample.txt").read_text().splitlines()
    with (raw / "transactions.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS["transactions"])
        for number, line in enumerate(log, start=1):
            _, customer, day, _quantity, amount = line.split()
            at = f"{day[:4]}-{day[4:6]}-{day[6:]} 00:00:00"
            writer.writerow(
                [f"T{number}", customer.lstrip("0"), at, "purchase", amount, "", "", ""]
            )
    for table in ("customers", "interactions"):
        (raw / f"{table}.csv").write_text(",".join(COLUMNS[table]) + "\n")
    db = work / "cdnow.duckdb"
    run_dbt(
        [
            "build",
            "--select",
            "+customer_features",
            "+raw_files",
            "+quarantined_rows",
            "--indirect-selection",
            "cautious",
        ],
        db,
        dbt_vars={"raw_path": str(raw), "as_of_date": CALIBRATION_END},
    )
    published = pd.read_csv(_datasets() / "cdnow_customers_summary_with_transactions.csv")
    return db, raw, published


def test_every_cdnow_line_is_loaded(cdnow) -> None:
    db, raw, _ = cdnow
    assert_every_line_accounted(db, raw)
    assert len(read_table(db, "marts.quarantined_rows")) == 0


def test_btyd_columns_equal_the_published_summary(cdnow) -> None:
    db, _, published = cdnow
    features = read_table(db, "marts.customer_features").set_index("customer_id")
    published = published.assign(customer_id=published.ID.astype(str)).set_index("customer_id")
    assert len(published) == 2357
    assert sorted(features.index) == sorted(published.index)  # every customer a buyer
    joined = features.join(published, how="inner")
    assert (joined.repeat_purchase_days == joined.x).all()
    # the published values are rounded to 2 decimals: ours must round to them
    half_cent = 0.005 + 1e-9
    assert ((joined.btyd_recency_days / 7) - joined.t_x).abs().max() <= half_cent
    assert ((joined.customer_age_days / 7) - joined["T"]).abs().max() <= half_cent
    assert (joined.avg_repeat_purchase_value.astype(float) - joined.zbar).abs().max() <= half_cent

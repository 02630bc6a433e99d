"""Bad input: every quarantine reason lands in quarantined_rows with its reason, and good rows load.

The data set is written by hand: one good customer base plus one bad row per reason, so each
assertion names exactly the row it expects.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import assert_every_line_accounted, read_table, run_dbt

from custseg.contract import COLUMNS

CUSTOMERS = list(COLUMNS["customers"])
TRANSACTIONS = list(COLUMNS["transactions"])
INTERACTIONS = list(COLUMNS["interactions"])

GOOD_CUSTOMERS = [
    [f"C{i}", f"2024-01-0{i} 10:00:00", f"c{i}@example.com", "", "US", "organic"]
    for i in range(1, 6)
]
GOOD_TRANSACTIONS = [
    [f"T{i}", f"C{i}", f"2024-02-0{i} 10:00:00", "purchase", "10.00", "", "books", "web"]
    for i in range(1, 6)
] + [
    ["T6", "C1", "2024-02-10 10:00:00", "purchase", "20.00", "EUR", "toys", "app"],
    ["T7", "C1", "2024-02-11 10:00:00", "refund", "5.00", "", "toys", "app"],
    ["T8", "C1", "2024-02-12 10:00:00", "purchase", "7.00", "", "toys", "app"],
    ["T8", "C1", "2024-02-12 10:00:00", "purchase", "7.00", "", "toys", "app"],
]
GOOD_INTERACTIONS = [
    [f"I{i}", f"C{i}", f"2024-02-0{i} 09:00:00", "visit", "web", ""] for i in range(1, 6)
]

# (table, row, expected record_id, rejected_column, rejection_reason)
BAD_ROWS = [
    ("customers", ["", "2024-01-01", "", "", "", ""], None, "customer_id", "missing_key"),
    ("customers", ["CB1", "", "", "", "", ""], "CB1", "registered_at", "missing_value"),
    (
        "customers",
        ["CB2", "2024-13-45 25:61:00", "", "", "", ""],
        "CB2",
        "registered_at",
        "unparseable_timestamp",
    ),
    ("customers", ["CB3", "2099-01-01", "", "", "", ""], "CB3", "registered_at", "future_dated"),
    (
        "transactions",
        ["", "C1", "2024-02-01", "purchase", "1", "", "", ""],
        None,
        "transaction_id",
        "missing_key",
    ),
    (
        "transactions",
        ["TB1", "", "2024-02-01", "purchase", "1", "", "", ""],
        "TB1",
        "customer_id",
        "missing_key",
    ),
    (
        "transactions",
        ["TB2", "C1", "yesterday", "purchase", "1", "", "", ""],
        "TB2",
        "transaction_at",
        "unparseable_timestamp",
    ),
    (
        "transactions",
        ["TB3", "C1", "2024-02-01", "exchange", "1", "", "", ""],
        "TB3",
        "transaction_type",
        "unknown_type",
    ),
    (
        "transactions",
        ["TB4", "C1", "2024-02-01", "purchase", "12,5O", "", "", ""],
        "TB4",
        "amount",
        "unparseable_amount",
    ),
    (
        "transactions",
        ["TB5", "C1", "2024-02-01", "purchase", "-5.00", "", "", ""],
        "TB5",
        "amount",
        "non_positive_amount",
    ),
    (
        "transactions",
        ["TB6", "C1", "2099-02-01", "purchase", "1", "", "", ""],
        "TB6",
        "transaction_at",
        "future_dated",
    ),
    (
        "transactions",
        ["TB7", "C1", "2024-02-01", "purchase", "1", "XYZ", "", ""],
        "TB7",
        "currency",
        "no_fx_rate",
    ),
    (
        "transactions",
        ["TB8", "C2", "2024-02-01", "purchase", "1", "", "", ""],
        "TB8",
        "transaction_id",
        "conflicting_duplicate_id",
    ),
    (
        "transactions",
        ["TB8", "C2", "2024-02-01", "purchase", "2", "", "", ""],
        "TB8",
        "transaction_id",
        "conflicting_duplicate_id",
    ),
    (
        "interactions",
        ["IB1", "C1", "2024-02-01", "chat", "", ""],
        "IB1",
        "interaction_type",
        "unknown_type",
    ),
    (
        "interactions",
        ["IB2", "C1", "2024-02-01", "review", "", "four"],
        "IB2",
        "score",
        "unparseable_number",
    ),
    (
        "interactions",
        ["IB3", "C1", "2024-02-01", "review", "", "7"],
        "IB3",
        "score",
        "out_of_range",
    ),
    (
        "interactions",
        ["IB4", "C1", "not a date", "visit", "", ""],
        "IB4",
        "occurred_at",
        "unparseable_timestamp",
    ),
]
HEADERS = {"customers": CUSTOMERS, "transactions": TRANSACTIONS, "interactions": INTERACTIONS}
GOOD = {
    "customers": GOOD_CUSTOMERS,
    "transactions": GOOD_TRANSACTIONS,
    "interactions": GOOD_INTERACTIONS,
}


def write_raw(directory: Path, with_bad_rows: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for table, header in HEADERS.items():
        rows = list(GOOD[table])
        if with_bad_rows:
            rows += [row for bad_table, row, *_ in BAD_ROWS if bad_table == table]
        with (directory / f"{table}.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    return directory


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("bad_input")
    raw = write_raw(work / "raw", with_bad_rows=True)
    db_path = work / "bad.duckdb"
    # bad rows are the majority of this tiny set, so allow a high rejected share
    run_dbt(["build"], db_path, dbt_vars={"raw_path": str(raw), "max_rejected_share": 0.9})
    assert_every_line_accounted(db_path, raw)
    return db_path


@pytest.mark.parametrize(
    ("table", "record_id", "column", "reason"),
    [(t, rid, col, reason) for t, _, rid, col, reason in BAD_ROWS],
    ids=[f"{t}-{reason}-{rid}" for t, _, rid, _, reason in BAD_ROWS],
)
def test_each_bad_row_is_quarantined_with_its_reason(
    bad_build: Path, table: str, record_id: str | None, column: str, reason: str
) -> None:
    quarantine = read_table(bad_build, "marts.quarantined_rows")
    rows = quarantine[
        (quarantine.source_table == table)
        & (quarantine.rejection_reason == reason)
        & (quarantine.rejected_column == column)
    ]
    same_id = rows.record_id.isna() if record_id is None else rows.record_id == record_id
    rows = rows[same_id]
    assert len(rows) >= 1, f"no quarantine row for {table} {record_id} {reason}"
    assert rows.source_file.str.endswith(f"{table}.csv").all()
    assert rows.reason_description.notna().all()


def test_duplicate_delivery_is_recorded_once_and_loaded_once(bad_build: Path) -> None:
    quarantine = read_table(bad_build, "marts.quarantined_rows")
    redelivered = quarantine[quarantine.rejection_reason == "duplicate_delivery"]
    assert list(redelivered.record_id) == ["T8"]
    staged = read_table(bad_build, "staging.stg_shop__transactions")
    assert (staged.transaction_id == "T8").sum() == 1


def test_good_rows_still_load_and_nothing_is_lost(bad_build: Path) -> None:
    features = read_table(bad_build, "marts.customer_features")
    assert sorted(features.customer_id) == ["C1", "C2", "C3", "C4", "C5"]
    c1 = features.set_index("customer_id").loc["C1"]
    # T1 10 + T6 20 EUR + T8 7 purchases, T7 5 refund
    assert c1.order_count == 3
    assert c1.refund_count == 1
    quarantine = read_table(bad_build, "marts.quarantined_rows")
    for table, header in HEADERS.items():
        raw_rows = len(GOOD[table]) + sum(1 for t, *_ in BAD_ROWS if t == table)
        staged = read_table(bad_build, f"staging.stg_shop__{table}")
        rejected = (quarantine.source_table == table).sum()
        assert len(staged) + rejected == raw_rows, f"{table}: rows lost ({header[0]})"


def test_pii_never_reaches_a_mart(bad_build: Path) -> None:
    for mart in ("customer_features", "customer_segments", "quarantined_rows"):
        frame = read_table(bad_build, f"marts.{mart}")
        assert not {"email", "phone"} & set(frame.columns)
        text = frame.astype(str).to_csv()
        assert "@example.com" not in text, mart


def test_too_many_rejections_fail_the_build_and_skip_the_marts(tmp_path: Path) -> None:
    raw = write_raw(tmp_path / "raw", with_bad_rows=True)
    db_path = tmp_path / "strict.duckdb"
    run = run_dbt(["build"], db_path, dbt_vars={"raw_path": str(raw)}, check=False)
    assert run.returncode != 0
    assert "fail" in run.status_of("assert_rejected_share_within_limit")
    # downstream marts were not built from the rejected data
    assert run.status_of("model.customer_segmentation.customer_segments") == ["skipped"]


def test_missing_contract_column_is_a_clear_error(tmp_path: Path) -> None:
    raw = write_raw(tmp_path / "raw", with_bad_rows=False)
    lines = (raw / "transactions.csv").read_text().splitlines()
    header = lines[0].split(",")
    keep = [i for i, name in enumerate(header) if name != "amount"]
    rewritten = [",".join(line.split(",")[i] for i in keep) for line in lines]
    (raw / "transactions.csv").write_text("\n".join(rewritten) + "\n")
    run = run_dbt(
        ["build"], tmp_path / "missing.duckdb", dbt_vars={"raw_path": str(raw)}, check=False
    )
    assert run.returncode != 0
    assert "transactions.csv lacks contract column(s) amount" in run.stdout

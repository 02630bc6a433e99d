"""Incremental builds equal a full refresh (issue: incremental features for large data).

A data set is built in full; then, with newer file times, late-arriving transactions, a
corrected amount, a transaction moved to another customer, a purchase corrected into an
invalid one (its customer's only transaction) and a re-delivered interactions file arrive as
extra files (`<table>__<anything>.csv`). The incremental run (validating only what was loaded
since the previous run and recomputing only the affected customers) must give exactly what
`dbt build --full-refresh` gives on the same files: every public mart, the history marts, the
three base tables and the three per-customer aggregates. Then as_of_date moves back 77 days
and forward again: the incremental aggregates must follow (customers whose rows cross an
as-of window edge are recomputed) and equal full builds at those dates.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import PUBLIC_MARTS, generate, read_table, run_dbt

from custseg.marts import RUN_TIME_COLUMNS

AS_OF = "2025-12-31"
EARLIER_AS_OF = "2025-10-15"
T0 = 1_767_139_200  # 2025-12-31 00:00:00 UTC: first delivery
T1 = T0 + 86_400  # a day later: the corrections
# raw_files keeps the files gone since an earlier run: by design not what a full refresh writes
MARTS = tuple(mart for mart in PUBLIC_MARTS if mart != "raw_files")
BASE_TABLES = ("base_shop__customers", "base_shop__transactions", "base_shop__interactions")
CUSTOMER_AGGREGATES = (
    "int_transactions_aggregated_to_customers",
    "int_purchase_days_aggregated_to_customers",
    "int_interactions_aggregated_to_customers",
)
# the other incremental model: the keyed rejected rows behind quarantined_rows
REJECTED_ROWS = "intermediate.int_raw_rows_rejected"
# when a run validated or computed a row: differs between any two runs by design


def canonical(db_path: Path, relation: str) -> str:
    frame = read_table(db_path, relation)
    frame = frame.drop(columns=[c for c in RUN_TIME_COLUMNS if c in frame.columns])
    frame = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return frame.to_csv(index=False)


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]], mtime: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    os.utime(path, (mtime, mtime))


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory: pytest.TempPathFactory) -> dict:
    raw = generate(tmp_path_factory.mktemp("inc_raw"), customers=300, seed=11)
    for path in raw.iterdir():
        os.utime(path, (T0, T0))
    header, transactions = read_rows(raw / "transactions.csv")
    # an accepted-looking purchase in the reporting currency, delivered once
    ids = [row["transaction_id"] for row in transactions]
    corrected = next(
        row
        for row in transactions
        if row["transaction_type"] == "purchase"
        and row["currency"] in ("", "USD")
        and ids.count(row["transaction_id"]) == 1
        and row["transaction_at"].startswith("2025-0")
        and row["amount"].replace(".", "").isdigit()
    )
    late = [
        {
            **corrected,
            "transaction_id": f"LATE{n}",
            "transaction_at": f"2025-11-{10 + n:02d} 12:00:00",
            "amount": f"{10 * (n + 1)}.50",
        }
        for n in range(5)
    ]
    new_amount = f"{float(corrected['amount']) + 100:.2f}"
    customers_of = {}
    for row in transactions:
        customers_of.setdefault(row["customer_id"], []).append(row)
    # a purchase of a customer with several transactions, moved to another customer
    moved_from = next(
        rows[0]
        for cid, rows in customers_of.items()
        if cid not in (corrected["customer_id"], "")
        and len(rows) > 3
        and ids.count(rows[0]["transaction_id"]) == 1
    )
    moved_to = next(
        cid
        for cid, rows in customers_of.items()
        if cid not in (corrected["customer_id"], moved_from["customer_id"], "") and len(rows) > 1
    )
    # the only transaction of a customer, moved to another customer: the first customer no
    # longer has any transaction (an invalid correction would not do: it is quarantined and
    # the valid row stays)
    emptied = next(
        rows[0]
        for cid, rows in customers_of.items()
        if cid not in (corrected["customer_id"], moved_from["customer_id"], moved_to, "")
        and len(rows) == 1
        and ids.count(rows[0]["transaction_id"]) == 1
        and rows[0]["transaction_type"] == "purchase"
        and rows[0]["amount"].replace(".", "").isdigit()
    )
    return {
        "raw": raw,
        "header": header,
        "late": late,
        "corrected": {**corrected, "amount": new_amount},
        "old_amount": corrected["amount"],
        "moved": {**moved_from, "customer_id": moved_to},
        "moved_from": moved_from["customer_id"],
        "emptied": {**emptied, "customer_id": moved_to},
        "emptied_customer": emptied["customer_id"],
    }


@pytest.fixture(scope="module")
def builds(deliveries: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    raw: Path = deliveries["raw"]
    work = tmp_path_factory.mktemp("inc_builds")
    dbt_vars = {"raw_path": str(raw), "as_of_date": AS_OF}
    incremental = work / "incremental.duckdb"
    run_dbt(["build"], incremental, dbt_vars=dbt_vars)
    first = work / "first.duckdb"
    shutil.copyfile(incremental, first)

    # the second delivery: late rows, corrections, and a re-delivered interactions file
    write_rows(
        raw / "transactions__2026-01-01.csv",
        deliveries["header"],
        [
            *deliveries["late"],
            deliveries["corrected"],
            deliveries["moved"],
            deliveries["emptied"],
        ],
        T1,
    )
    shutil.copyfile(raw / "interactions.csv", raw / "interactions__redelivered.csv")
    os.utime(raw / "interactions__redelivered.csv", (T1, T1))

    run_dbt(["build"], incremental, dbt_vars=dbt_vars)
    full = work / "full.duckdb"
    run_dbt(["build", "--full-refresh"], full, dbt_vars=dbt_vars)

    # as_of_date moves back, then forward again, on the incremental database
    earlier_vars = {**dbt_vars, "as_of_date": EARLIER_AS_OF}
    moved_back = work / "moved_back.duckdb"
    shutil.copyfile(incremental, moved_back)
    run_dbt(["run"], moved_back, dbt_vars=earlier_vars)
    moved_forward = work / "moved_forward.duckdb"
    shutil.copyfile(moved_back, moved_forward)
    run_dbt(["run"], moved_forward, dbt_vars=dbt_vars)
    full_earlier = work / "full_earlier.duckdb"
    run_dbt(["build"], full_earlier, dbt_vars=earlier_vars)
    return {
        "first": first,
        "incremental": incremental,
        "full": full,
        "moved_back": moved_back,
        "moved_forward": moved_forward,
        "full_earlier": full_earlier,
    }


@pytest.mark.parametrize("relation", [f"marts.{m}" for m in MARTS])
def test_incremental_marts_equal_a_full_refresh(builds: dict[str, Path], relation: str) -> None:
    assert canonical(builds["incremental"], relation) == canonical(builds["full"], relation)


@pytest.mark.parametrize(
    "relation",
    [f"staging.{t}" for t in BASE_TABLES]
    + [f"intermediate.{m}" for m in CUSTOMER_AGGREGATES]
    + [REJECTED_ROWS],
)
def test_incremental_tables_equal_a_full_refresh(builds: dict[str, Path], relation: str) -> None:
    assert canonical(builds["incremental"], relation) == canonical(builds["full"], relation)


@pytest.mark.parametrize(
    ("state", "reference"), [("moved_back", "full_earlier"), ("moved_forward", "full")]
)
@pytest.mark.parametrize(
    "relation",
    [f"intermediate.{m}" for m in CUSTOMER_AGGREGATES]
    + ["marts.customer_features", "marts.customer_segments"],
)
def test_as_of_date_moves_are_followed(
    builds: dict[str, Path], state: str, reference: str, relation: str
) -> None:
    assert canonical(builds[state], relation) == canonical(builds[reference], relation)


def test_only_affected_customers_are_recomputed(builds: dict[str, Path]) -> None:
    """Not a disguised full rebuild: the second run rewrote a few customers' aggregates."""
    rows = read_table(
        builds["incremental"], "intermediate.int_transactions_aggregated_to_customers"
    )
    runs = rows._validated_through.value_counts()
    assert len(runs) == 2, runs
    assert runs.min() < 0.1 * len(rows), runs
    back = read_table(builds["moved_back"], "intermediate.int_interactions_aggregated_to_customers")
    assert back._as_of_date.astype(str).unique().tolist() == [EARLIER_AS_OF]
    # the rejected rows: the second run wrote only those of the ids it validated
    rejected = read_table(builds["incremental"], REJECTED_ROWS)
    runs = rejected._validated_at.value_counts()
    assert len(runs) == 2, runs
    assert runs.min() < 0.6 * len(rejected), runs


def test_corrections_reach_the_customers(builds: dict[str, Path], deliveries: dict) -> None:
    """The moved transactions left their old customers; one of them has no aggregate left."""
    emptied = deliveries["emptied_customer"]
    for model in CUSTOMER_AGGREGATES[:2]:
        first = read_table(builds["first"], f"intermediate.{model}")
        now = read_table(builds["incremental"], f"intermediate.{model}")
        assert emptied in set(first.customer_id), model  # it had an aggregate before
        assert emptied not in set(now.customer_id), model  # the post-hook removed it
    base = read_table(builds["incremental"], "staging.base_shop__transactions")
    accepted = base[base.rejection_reason.isna()]
    for row in (deliveries["moved"], deliveries["emptied"]):
        winner = accepted[accepted.transaction_id == row["transaction_id"]]
        assert winner.customer_id.tolist() == [row["customer_id"]]
    assert deliveries["moved_from"] in set(
        read_table(builds["incremental"], "marts.customer_features").customer_id
    )


def test_the_deliveries_took_effect(builds: dict[str, Path], deliveries: dict) -> None:
    """Not a vacuous equality: the late rows, the correction and the re-delivery are visible."""
    db = builds["incremental"]
    transactions = read_table(db, "staging.base_shop__transactions")
    corrected_id = deliveries["corrected"]["transaction_id"]
    versions = transactions[transactions.transaction_id == corrected_id]
    accepted = versions[versions.rejection_reason.isna()]
    assert len(versions) == 2 and len(accepted) == 1
    assert float(accepted.amount.iloc[0]) == float(deliveries["corrected"]["amount"])
    assert versions.rejection_reason.dropna().tolist() == ["superseded"]

    quarantine = read_table(db, "marts.quarantined_rows")
    recorded = quarantine[quarantine.record_id == corrected_id]
    assert recorded.rejection_reason.tolist() == ["superseded"]
    assert recorded.reason_description.str.contains("later delivery").all()

    late_ids = {row["transaction_id"] for row in deliveries["late"]}
    late = transactions[transactions.transaction_id.isin(late_ids)]
    assert len(late) == 5 and late.rejection_reason.isna().all()

    interactions = read_table(db, "staging.base_shop__interactions")
    redelivered = interactions[interactions._source_file.str.endswith("__redelivered.csv")]
    original = interactions[interactions._source_file.str.endswith("/interactions.csv")]
    # the latest load wins: the re-delivered copies are kept, the first copies are recorded
    # as duplicate deliveries (identical values), none as superseded
    kept = set(redelivered[redelivered.rejection_reason.isna()].interaction_id)
    assert len(kept) > 1000
    first_copies = original[original.interaction_id.isin(kept)]
    assert len(first_copies) >= len(kept)
    assert (first_copies.rejection_reason == "duplicate_delivery").all()
    # superseded only where the re-delivery itself carries conflicting rows for the id
    superseded = set(interactions[interactions.rejection_reason == "superseded"].interaction_id)
    conflicting = set(
        redelivered[redelivered.rejection_reason == "conflicting_duplicate_id"].interaction_id
    )
    assert superseded <= conflicting

    customer_id = deliveries["corrected"]["customer_id"]
    features = read_table(db, "marts.customer_features")
    before = float(deliveries["old_amount"])
    after = float(deliveries["corrected"]["amount"])
    late_total = sum(
        float(row["amount"]) for row in deliveries["late"] if row["customer_id"] == customer_id
    )
    row = features[features.customer_id == customer_id].iloc[0]
    full_row = read_table(builds["full"], "marts.customer_features")
    assert float(row.gross_revenue) == float(
        full_row[full_row.customer_id == customer_id].iloc[0].gross_revenue
    )
    assert after - before == pytest.approx(100.0)
    assert late_total > 0  # the late rows belong to the corrected row's customer


def build_on_other_raw(built: Path, raw: Path, tmp_path: Path, name: str) -> tuple[Path, Path]:
    """Build a copy of `built` (named `name`) on another raw_path, and a fresh database on it."""
    db = tmp_path / name
    shutil.copyfile(built, db)
    dbt_vars = {"raw_path": str(raw), "as_of_date": AS_OF}
    run_dbt(["build"], db, dbt_vars=dbt_vars)
    fresh = tmp_path / "fresh.duckdb"
    run_dbt(["build"], fresh, dbt_vars=dbt_vars)
    return db, fresh


def test_another_raw_path_rebuilds_the_base_tables(builds: dict[str, Path], tmp_path: Path) -> None:
    """An incremental run on other input must not mix it with the old rows."""
    other = generate(tmp_path / "other", customers=120, seed=3)
    db, fresh = build_on_other_raw(builds["full"], other, tmp_path, "switch.duckdb")
    for relation in [*(f"staging.{t}" for t in BASE_TABLES), "marts.customer_features"]:
        assert canonical(db, relation) == canonical(fresh, relation), relation


@pytest.mark.parametrize(
    ("batch", "scope", "caught"),
    [("old", "latest_batch", False), ("old", "all", True), ("latest", "latest_batch", True)],
)
def test_staging_tests_read_the_latest_batch(
    builds: dict[str, Path], tmp_path: Path, batch: str, scope: str, caught: bool
) -> None:
    """A duplicate written in the latest batch is caught, even of a key from an older batch.

    One among older rows is caught only with data_test_scope = all: older rows were tested when
    they were written, and an incremental run rewrites every row of the ids it validates.
    """
    db = tmp_path / "incremental.duckdb"  # the same name: views name their database
    shutil.copyfile(builds["incremental"], db)
    con = duckdb.connect(str(db))
    try:
        stamp = "min" if batch == "old" else "max"
        table = "staging.base_shop__transactions"
        con.execute(
            f"insert into {table} select * replace ("
            f"(select {stamp}(_validated_at) from {table}) as _validated_at)"
            f" from {table} where rejection_reason is null limit 1"
        )
    finally:
        con.close()
    result = run_dbt(
        ["test", "--select", "stg_shop__transactions,test_name:unique"],
        db,
        dbt_vars={"raw_path": "unused", "as_of_date": AS_OF, "data_test_scope": scope},
        check=False,
    )
    assert (result.returncode != 0) is caught, result.stdout


def test_a_failed_batch_keeps_failing_in_later_builds(
    builds: dict[str, Path], deliveries: dict, tmp_path: Path
) -> None:
    """In a build, the tests read rows not yet aggregated: a failure is not forgotten."""
    db = tmp_path / "incremental.duckdb"  # the same name: views name their database
    shutil.copyfile(builds["incremental"], db)
    con = duckdb.connect(str(db))
    try:
        table = "staging.base_shop__transactions"
        con.execute(
            f"insert into {table} select * replace (now()::timestamp as _validated_at)"
            f" from {table} where rejection_reason is null limit 1"
        )
    finally:
        con.close()
    dbt_vars = {"raw_path": str(deliveries["raw"]), "as_of_date": AS_OF}
    for attempt in range(2):
        result = run_dbt(["build"], db, dbt_vars=dbt_vars, check=False)
        failed = {r["unique_id"] for r in result.results if r["status"] in ("fail", "error")}
        assert any("unique_stg_shop__transactions" in f for f in failed), (attempt, failed)


def test_a_base_table_rebuilt_empty_resets_the_aggregates(
    builds: dict[str, Path], deliveries: dict, tmp_path: Path
) -> None:
    """Another raw_path whose transactions file holds no rows: no customer keeps old money."""
    other = tmp_path / "raw"
    shutil.copytree(deliveries["raw"], other)
    for extra in other.glob("*__*.csv"):
        extra.unlink()
    header, _ = read_rows(other / "transactions.csv")
    write_rows(other / "transactions.csv", header, [], T1)
    db, fresh = build_on_other_raw(builds["incremental"], other, tmp_path, "incremental.duckdb")
    for relation in [
        *(f"intermediate.{m}" for m in CUSTOMER_AGGREGATES),
        "marts.customer_features",
    ]:
        assert canonical(db, relation) == canonical(fresh, relation), relation
    assert read_table(db, "intermediate.int_transactions_aggregated_to_customers").empty


def test_changed_settings_recompute_every_customer(
    builds: dict[str, Path], deliveries: dict, tmp_path: Path
) -> None:
    """Another business_timezone: every aggregate row is recomputed, the way a full build does.

    Treating every customer as affected instead ran out of memory at 100M transactions.
    """
    db = tmp_path / "incremental.duckdb"  # the same name: views name their database
    shutil.copyfile(builds["incremental"], db)
    dbt_vars = {
        "raw_path": str(deliveries["raw"]),
        "as_of_date": AS_OF,
        "business_timezone": "America/New_York",
    }
    result = run_dbt(["build"], db, dbt_vars=dbt_vars)
    assert result.stdout.count("settings changed; recomputing every customer") == 3
    compiled = (
        db.with_suffix(".target")
        / "run/customer_segmentation/models/intermediate/customers"
        / "int_transactions_aggregated_to_customers.sql"
    ).read_text()
    assert "affected_customers" not in compiled
    fresh = tmp_path / "fresh.duckdb"
    run_dbt(["build"], fresh, dbt_vars=dbt_vars)
    for relation in [
        *(f"intermediate.{m}" for m in CUSTOMER_AGGREGATES),
        "marts.customer_features",
        "marts.customer_segments",
    ]:
        assert canonical(db, relation) == canonical(fresh, relation), relation


def copy_as_parquet(source: Path, target: Path, mtime: int) -> None:
    """Write a CSV file as Parquet, every column text (as the raw contract delivers it)."""
    con = duckdb.connect()
    try:
        con.execute(
            f"copy (select * from read_csv('{source}', all_varchar = true, header = true))"
            f" to '{target}' (format parquet)"
        )
    finally:
        con.close()
    os.utime(target, (mtime, mtime))


@pytest.fixture(scope="module")
def parquet_builds(deliveries: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The deliveries as Parquet files: an incremental build and a full refresh on them.

    Parquet rows carry their row number, so an incremental run fetches the older rows of its
    ids by position (CSV rows are matched by id): this covers that path.
    """
    csv_raw: Path = deliveries["raw"]
    raw = tmp_path_factory.mktemp("inc_parquet_raw")
    for table in ("customers", "transactions", "interactions"):
        copy_as_parquet(csv_raw / f"{table}.csv", raw / f"{table}.parquet", T0)
    work = tmp_path_factory.mktemp("inc_parquet_builds")
    dbt_vars = {"raw_path": str(raw), "raw_format": "parquet", "as_of_date": AS_OF}
    incremental = work / "incremental.duckdb"
    run_dbt(["build"], incremental, dbt_vars=dbt_vars)
    delivery = work / "delivery.csv"
    write_rows(
        delivery,
        deliveries["header"],
        [*deliveries["late"], deliveries["corrected"], deliveries["moved"], deliveries["emptied"]],
        T1,
    )
    copy_as_parquet(delivery, raw / "transactions__2026-01-01.parquet", T1)
    copy_as_parquet(csv_raw / "interactions.csv", raw / "interactions__redelivered.parquet", T1)
    run_dbt(["build"], incremental, dbt_vars=dbt_vars)
    full = work / "full.duckdb"
    run_dbt(["build", "--full-refresh"], full, dbt_vars=dbt_vars)
    return {"incremental": incremental, "full": full}


@pytest.mark.parametrize(
    "relation",
    [f"staging.{t}" for t in BASE_TABLES]
    + [f"intermediate.{m}" for m in CUSTOMER_AGGREGATES]
    + [REJECTED_ROWS]
    + [f"marts.{m}" for m in MARTS],
)
def test_parquet_deliveries_equal_a_full_refresh(parquet_builds: dict, relation: str) -> None:
    incremental = canonical(parquet_builds["incremental"], relation)
    assert incremental == canonical(parquet_builds["full"], relation)


def test_parquet_corrections_were_resolved_by_position(
    parquet_builds: dict, deliveries: dict
) -> None:
    """Not vacuous: the older versions were re-read from their files, by row number."""
    base = read_table(parquet_builds["incremental"], "staging.base_shop__transactions")
    corrected = base[base.transaction_id == deliveries["corrected"]["transaction_id"]]
    assert sorted(corrected.rejection_reason.fillna("accepted")) == ["accepted", "superseded"]
    older = corrected[corrected.rejection_reason == "superseded"].iloc[0]
    assert older._source_file.endswith("/transactions.parquet") and older._source_row > 0
    interactions = read_table(parquet_builds["incremental"], "staging.base_shop__interactions")
    first_copies = interactions[interactions._source_file.str.endswith("/interactions.parquet")]
    assert (first_copies.rejection_reason == "duplicate_delivery").sum() > 1000


def test_an_id_accepted_now_leaves_the_quarantine(
    builds: dict[str, Path], deliveries: dict, tmp_path: Path
) -> None:
    """An id whose rows are all accepted when revalidated (a future_dated row whose day came)
    loses its rejected rows; a rejected row of an id not revalidated stays."""
    db = tmp_path / "incremental.duckdb"  # the same name: views name their database
    shutil.copyfile(builds["incremental"], db)
    con = duckdb.connect(str(db))
    try:
        base = "staging.base_shop__transactions"
        accepted_id, kept_id = (
            row[0]
            for row in con.execute(
                f"select transaction_id from {base} where rejection_reason is null"
                " order by transaction_id limit 2"
            ).fetchall()
        )
        # as if the accepted row had waited as future_dated in an earlier run ...
        for record_id in (accepted_id, kept_id):
            con.execute(
                f"insert into {REJECTED_ROWS} select 'waiting-' || ?, 'transactions', 'f.csv',"
                " null, ?, 'transaction_at', 'future_dated', 'raw',"
                f" (select min(_validated_at) from {REJECTED_ROWS})",
                [record_id, record_id],
            )
        # (the mart had mirrored the first one) ...
        con.execute(
            "insert into marts.quarantined_rows select quarantine_row_id, source_table,"
            " source_file, source_row, record_id, rejected_column, rejection_reason, raw_values,"
            f" 'text', 'action' from {REJECTED_ROWS} where record_id = ?",
            [accepted_id],
        )
        # ... and were revalidated (and accepted) by the base model now
        con.execute(
            f"update {base} set _validated_at = now()::timestamp where transaction_id = ?",
            [accepted_id],
        )
    finally:
        con.close()
    dbt_vars = {"raw_path": str(deliveries["raw"]), "as_of_date": AS_OF}
    run_dbt(["run", "--select", "int_raw_rows_rejected", "quarantined_rows"], db, dbt_vars=dbt_vars)
    for relation in (REJECTED_ROWS, "marts.quarantined_rows"):
        rows = read_table(db, relation)
        assert "waiting-" + accepted_id not in set(rows.quarantine_row_id), relation
        assert "waiting-" + kept_id in set(rows.quarantine_row_id), relation
        assert rows.rejection_reason.notna().all(), relation


def test_a_changed_reason_text_rewrites_the_quarantine(
    builds: dict[str, Path], deliveries: dict, tmp_path: Path
) -> None:
    """quarantined_rows is incremental: a reason text that no longer matches the seed (as after
    an edit of seeds/rejection_reasons.csv) makes the next run rewrite every row."""
    db = tmp_path / "incremental.duckdb"  # the same name: views name their database
    shutil.copyfile(builds["incremental"], db)
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "update marts.quarantined_rows set reason_description = 'an older text'"
            " where rejection_reason = 'superseded'"
        )
    finally:
        con.close()
    dbt_vars = {"raw_path": str(deliveries["raw"]), "as_of_date": AS_OF}
    result = run_dbt(["run", "--select", "quarantined_rows"], db, dbt_vars=dbt_vars)
    assert "seed rejection_reasons changed" in result.stdout
    relation = "marts.quarantined_rows"
    assert canonical(db, relation) == canonical(builds["incremental"], relation)

"""Trust: every raw line is accepted, quarantined with a reason, or stops the build naming its file.

The bad files are written by the tests, byte for byte, and each expectation is worked out from
what the test wrote (lines counted without a CSV reader), not from the project's output.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import duckdb
import pytest
from conftest import assert_every_line_accounted, data_lines, read_table, run_dbt

from custseg.contract import COLUMNS

HEADERS = {table: list(columns) for table, columns in COLUMNS.items()}
CUSTOMERS = [[f"C{i}", f"2024-01-0{i} 10:00:00", "", "", "US", "organic"] for i in range(1, 6)]
TRANSACTIONS = [
    [f"T{i}", f"C{i}", f"2024-02-0{i} 10:00:00", "purchase", "10.00", "", "books", "web"]
    for i in range(1, 6)
]
INTERACTIONS = [
    [f"I{i}", f"C{i}", f"2024-02-0{i} 09:00:00", "visit", "web", ""] for i in range(1, 6)
]
GOOD = {"customers": CUSTOMERS, "transactions": TRANSACTIONS, "interactions": INTERACTIONS}
# bad lines are most of these tiny files: the share gate is tested in test_quarantine
LENIENT = {"max_rejected_share": 0.99}


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_good(raw: Path, delimiter: str = ",") -> Path:
    raw.mkdir(parents=True, exist_ok=True)
    for table, rows in GOOD.items():
        (raw / f"{table}.csv").write_text(csv_text(HEADERS[table], rows, delimiter))
    return raw


def tx(tid: str, cid: str = "C1", amount: str = "10.00", **kw: str) -> list[str]:
    row = dict(
        transaction_id=tid,
        customer_id=cid,
        transaction_at="2024-03-01 10:00:00",
        transaction_type="purchase",
        amount=amount,
        currency="",
        product_category="books",
        channel="web",
    )
    row.update(kw)
    return [row[c] for c in HEADERS["transactions"]]


def quarantined(db: Path, file_name: str) -> list[tuple]:
    rows = read_table(db, "marts.quarantined_rows")
    rows = rows[rows.source_file.str.endswith("/" + file_name)]
    return sorted(
        (r.source_row, r.rejection_reason, r.raw_values)
        for r in rows.itertuples()
        if r.rejection_reason == "malformed_line"
    )


# ---------------------------------------------------------------------------
# Strict CSV reading: one build over a directory of bad deliveries
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    work = tmp_path_factory.mktemp("strict_csv")
    raw = write_good(work / "raw")
    header = HEADERS["transactions"]
    # two exports joined with cat, the second with one extra column: 1 + 3 lines cannot be rows
    second = [*header, "coupon"]
    joined = csv_text(header, [tx("J1"), tx("J2")]) + csv_text(
        second, [[*tx("J3"), "X"], [*tx("J4"), "Y"], [*tx("J5"), "Z"]]
    )
    (raw / "transactions__joined.csv").write_text(joined)
    # a 9-field line among good ones (line 3; the header is line 1)
    (raw / "transactions__ninefield.csv").write_text(
        csv_text(header, [tx("N1"), [*tx("N2"), "surplus"], tx("N3")])
    )
    # a repeated header at line 3
    (raw / "transactions__reheader.csv").write_text(
        csv_text(header, [tx("R1")]) + ",".join(header) + "\n" + ",".join(tx("R2")) + "\n"
    )
    # the last line cut off mid-row (no newline), and one with an unterminated quote
    (raw / "transactions__cutoff.csv").write_text(
        csv_text(header, [tx("K1")]) + "K2,C1,2024-03-01 10:00:00,purch"
    )
    (raw / "transactions__unterminated.csv").write_text(
        csv_text(header, [tx("U1")]) + 'U2,C1,"2024-03-01 10:00:00,purchase,1,,books,web\n'
    )
    # a BOM and CRLF line ends are fine; so are reordered and extra columns
    (raw / "transactions__bom.csv").write_bytes(
        b"\xef\xbb\xbf" + csv_text(header, [tx("B1"), tx("B2")]).replace("\n", "\r\n").encode()
    )
    reordered = ["note", *reversed(HEADERS["interactions"])]
    (raw / "interactions__reordered.csv").write_text(
        csv_text(reordered, [["hello", "", "app", "visit", "2024-02-10 09:00:00", "C1", "I9"]])
    )
    # a header with an empty name (a trailing delimiter on every line)
    (raw / "interactions__trailing.csv").write_text(
        ",".join(HEADERS["interactions"]) + ",\n" + "I8,C2,2024-02-11 09:00:00,visit,web,,\n"
    )
    # ids and codes padded with tab, no-break space and ideographic space
    (raw / "transactions__padded.csv").write_text(
        csv_text(header, [tx("\u00a0P1\t", cid="C2\u3000", transaction_type="\tpurchase ")])
    )
    # free orders are purchases; a refund of 0 is not
    (raw / "transactions__zero.csv").write_text(
        csv_text(header, [tx("Z1", amount="0"), tx("Z2", amount="0.00", transaction_type="refund")])
    )
    # PII typed into a code column, and in the raw values of a rejected row
    (raw / "transactions__pii.csv").write_text(
        csv_text(
            header,
            [
                tx("E1", channel="ann@example.com"),
                tx("E2", amount="oops", product_category="call +1 555 0100 or bob@example.org"),
            ],
        )
    )
    # just below the money limit, twice for one customer: sums must not overflow
    (raw / "transactions__large.csv").write_text(
        csv_text(
            header,
            [
                tx("L1", cid="C5", amount="999999999999.9999"),
                tx("L2", cid="C5", amount="999999999999.9999"),
            ],
        )
    )
    db = work / "strict.duckdb"
    run = run_dbt(["build"], db, dbt_vars={"raw_path": str(raw), **LENIENT})
    return raw, db, run


def test_every_line_of_every_file_is_accounted_for(bad_files) -> None:
    raw, db, _ = bad_files
    assert_every_line_accounted(db, raw)


def test_joined_exports_quarantine_the_second_header_and_its_rows(bad_files) -> None:
    _raw, db, _ = bad_files
    rows = quarantined(db, "transactions__joined.csv")
    assert [r[0] for r in rows] == [4, 5, 6, 7]  # the second header and its 3 rows
    assert rows[0][2].startswith("line=transaction_id,customer_id,")
    assert all(r[1] == "malformed_line" for r in rows)
    staged = read_table(db, "staging.stg_shop__transactions")
    assert {"J1", "J2"} <= set(staged.transaction_id)
    assert not {"J3", "J4", "J5"} & set(staged.transaction_id)


def test_a_line_with_a_field_too_many_is_quarantined_with_its_line(bad_files) -> None:
    _raw, db, _ = bad_files
    assert quarantined(db, "transactions__ninefield.csv") == [
        (3, "malformed_line", "line=" + ",".join([*tx("N2"), "surplus"]))
    ]
    staged = set(read_table(db, "staging.stg_shop__transactions").transaction_id)
    assert {"N1", "N3"} <= staged and "N2" not in staged


def test_a_repeated_header_is_malformed_not_data(bad_files) -> None:
    _raw, db, _ = bad_files
    rows = read_table(db, "marts.quarantined_rows")
    rows = rows[rows.source_file.str.endswith("transactions__reheader.csv")]
    assert list(rows.rejection_reason) == ["malformed_line"]
    staged = set(read_table(db, "staging.stg_shop__transactions").transaction_id)
    assert {"R1", "R2"} <= staged


def test_cut_off_and_unterminated_last_lines_are_quarantined(bad_files) -> None:
    _raw, db, _ = bad_files
    assert [r[0] for r in quarantined(db, "transactions__cutoff.csv")] == [3]
    unterminated = quarantined(db, "transactions__unterminated.csv")
    assert [r[0] for r in unterminated] == [3]
    assert unterminated[0][2].startswith('line=U2,C1,"2024-03-01')


def test_bom_crlf_reordered_and_extra_columns_load(bad_files) -> None:
    _raw, db, info = bad_files
    staged = read_table(db, "staging.stg_shop__transactions").set_index("transaction_id")
    assert {"B1", "B2"} <= set(staged.index)
    interactions = read_table(db, "staging.stg_shop__interactions").set_index("interaction_id")
    assert interactions.loc["I9", "customer_id"] == "C1"
    assert interactions.loc["I9", "channel"] == "app"
    assert interactions.loc["I8", "customer_id"] == "C2"
    assert "interactions__reordered.csv: ignoring column(s) outside the contract: note" in (
        info.stdout
    )


def test_unicode_white_space_is_trimmed(bad_files) -> None:
    _raw, db, _ = bad_files
    staged = read_table(db, "staging.stg_shop__transactions").set_index("transaction_id")
    assert staged.loc["P1", "customer_id"] == "C2"
    assert staged.loc["P1", "transaction_type"] == "purchase"
    features = read_table(db, "marts.customer_features").set_index("customer_id")
    assert "C2\u3000" not in features.index


def test_free_orders_are_purchases_and_zero_refunds_are_not(bad_files) -> None:
    _raw, db, _ = bad_files
    staged = set(read_table(db, "staging.stg_shop__transactions").transaction_id)
    assert "Z1" in staged and "Z2" not in staged
    rows = read_table(db, "marts.quarantined_rows")
    assert list(rows[rows.record_id == "Z2"].rejection_reason) == ["non_positive_amount"]


def test_pii_outside_its_columns_is_nulled_counted_and_redacted(bad_files) -> None:
    _raw, db, info = bad_files
    staged = read_table(db, "staging.stg_shop__transactions").set_index("transaction_id")
    assert staged.loc["E1"].isna()["channel"]
    base = read_table(db, "staging.base_shop__transactions")
    assert set(base[base._pii_nulled].transaction_id) == {"E1", "E2"}
    assert info.status_of("base_shop__transactions__pii_nulled") == ["warn"]
    for mart in ("customer_features", "customer_segments", "quarantined_rows", "raw_files"):
        text = read_table(db, f"marts.{mart}").astype(str).to_csv()
        assert "@example." not in text and "555 0100" not in text, mart
    rows = read_table(db, "marts.quarantined_rows")
    assert "<redacted>" in rows[rows.record_id == "E2"].raw_values.iloc[0]


def test_amounts_near_the_money_limit_do_not_overflow_sums(bad_files) -> None:
    _raw, db, _ = bad_files
    con = duckdb.connect(str(db), read_only=True)
    try:
        (revenue,) = con.execute(
            "select cast(gross_revenue as varchar) from marts.customer_features"
            " where customer_id = 'C5'"
        ).fetchone()
    finally:
        con.close()
    assert revenue == "2000000000009.9998"  # L1 + L2 + T5's 10.00
    thresholds = read_table(db, "marts.rfm_thresholds")
    assert len(thresholds) > 0


def test_raw_files_mart_lists_each_file_once_with_its_fingerprint(bad_files) -> None:
    import hashlib

    raw, db, _ = bad_files
    files = read_table(db, "marts.raw_files")
    assert len(files) == len(list(raw.glob("*.csv")))
    assert set(files.file_status) == {"new"}
    for row in files.itertuples():
        path = Path(row.file_path)
        assert row.file_size == path.stat().st_size
        assert row.file_fingerprint == hashlib.md5(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------
# Files that stop the build, naming the file
# ---------------------------------------------------------------------------


def test_a_later_delivery_missing_a_contract_column_fails_naming_file_and_column(
    tmp_path: Path,
) -> None:
    raw = write_good(tmp_path / "raw")
    header = [c for c in HEADERS["transactions"] if c != "currency"]
    rows = [[v for c, v in zip(HEADERS["transactions"], tx("M1"), strict=True) if c != "currency"]]
    (raw / "transactions__late.csv").write_text(csv_text(header, rows))
    run = run_dbt(["build"], tmp_path / "db.duckdb", dbt_vars={"raw_path": str(raw)}, check=False)
    assert run.returncode != 0
    assert "transactions__late.csv lacks contract column(s) currency" in run.stdout


def test_parquet_deliveries_are_checked_and_counted_too(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = tmp_path / "raw"
    raw.mkdir()
    for table, rows in GOOD.items():
        columns = {c: [r[i] for r in rows] for i, c in enumerate(HEADERS[table])}
        pq.write_table(pa.table(columns), raw / f"{table}.parquet")
    late = {c: [v] for c, v in zip(HEADERS["transactions"], tx("P9"), strict=True)}
    pq.write_table(pa.table(late), raw / "transactions__late.parquet")
    db = tmp_path / "db.duckdb"
    run_dbt(["build"], db, dbt_vars={"raw_path": str(raw), "raw_format": "parquet"})
    assert_every_line_accounted(db, raw, fmt="parquet")
    assert "P9" in set(read_table(db, "staging.stg_shop__transactions").transaction_id)
    del late["currency"]
    pq.write_table(pa.table(late), raw / "transactions__later.parquet")
    run = run_dbt(
        ["build"], db, dbt_vars={"raw_path": str(raw), "raw_format": "parquet"}, check=False
    )
    assert run.returncode != 0
    assert "transactions__later.parquet lacks contract column(s) currency" in run.stdout


def test_an_empty_file_fails_naming_it(tmp_path: Path) -> None:
    raw = write_good(tmp_path / "raw")
    (raw / "interactions__empty.csv").write_bytes(b"")
    run = run_dbt(["build"], tmp_path / "db.duckdb", dbt_vars={"raw_path": str(raw)}, check=False)
    assert run.returncode != 0
    assert "interactions__empty.csv is empty (0 bytes)" in run.stdout


def test_the_delimiter_is_a_var_and_nothing_is_detected(tmp_path: Path) -> None:
    tabbed = write_good(tmp_path / "tabbed", delimiter="\t")
    db = tmp_path / "tab.duckdb"
    run_dbt(["build"], db, dbt_vars={"raw_path": str(tabbed), "csv_delimiter": "\\t"})
    assert sorted(read_table(db, "staging.stg_shop__transactions").transaction_id) == [
        f"T{i}" for i in range(1, 6)
    ]
    # the same files read with the default comma: no header matches, the build stops
    run = run_dbt(
        ["build"], tmp_path / "comma.duckdb", dbt_vars={"raw_path": str(tabbed)}, check=False
    )
    assert run.returncode != 0
    assert "lacks contract column(s)" in run.stdout


# ---------------------------------------------------------------------------
# Which files a run reads: the manifest, not clock times
# ---------------------------------------------------------------------------


def test_new_files_are_read_whatever_their_time_and_changed_files_rebuild(tmp_path: Path) -> None:
    raw = write_good(tmp_path / "raw")
    db = tmp_path / "incremental.duckdb"
    run_dbt(["build"], db, dbt_vars={"raw_path": str(raw)})
    first = raw / "transactions.csv"
    header = HEADERS["transactions"]

    # cp -p / rsync -a / tar: a new file whose time is older than everything read
    (raw / "transactions__old_time.csv").write_text(csv_text(header, [tx("O1", cid="C3")]))
    os.utime(raw / "transactions__old_time.csv", (1_500_000_000, 1_500_000_000))
    # a new file in the same second as the newest file already read
    same = raw / "transactions__same_second.csv"
    same.write_text(csv_text(header, [tx("S1", cid="C4")]))
    stat = first.stat()
    os.utime(same, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    run_dbt(["build"], db, dbt_vars={"raw_path": str(raw)})
    staged = set(read_table(db, "staging.stg_shop__transactions").transaction_id)
    assert {"O1", "S1"} <= staged
    status = read_table(db, "marts.raw_files").set_index("file_path").file_status
    assert status[str(raw / "transactions__old_time.csv")] == "new"
    assert status[str(first)] == "unchanged"

    # rewritten in place: same size, same time, a different amount and a row gone
    text = first.read_text()
    rewritten = text.replace(
        "T5,C5,2024-02-05 10:00:00,purchase,10.00", "T5,C5,2024-02-05 10:00:00,purchase,90.00"
    )
    assert len(rewritten) == len(text) and rewritten != text
    first.write_text(rewritten)
    os.utime(first, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    run = run_dbt(["build"], db, dbt_vars={"raw_path": str(raw)})
    assert "1 file(s) rewritten in place" in run.stdout
    staged = read_table(db, "staging.stg_shop__transactions").set_index("transaction_id")
    assert staged.loc["T5", "amount"] == 90
    status = read_table(db, "marts.raw_files").set_index("file_path").file_status
    assert status[str(first)] == "changed"

    # a file removed: the base table rebuilds; the manifest keeps the file as gone
    (raw / "transactions__same_second.csv").unlink()
    run_dbt(["build"], db, dbt_vars={"raw_path": str(raw)})
    assert "S1" not in set(read_table(db, "staging.stg_shop__transactions").transaction_id)
    files = read_table(db, "marts.raw_files").set_index("file_path")
    assert files.loc[str(same), "file_status"] == "gone"
    assert files.loc[str(same), "rows_read"] == 1
    assert_every_line_accounted(db, raw)

    # the incremental result equals a full build of the same files
    fresh = tmp_path / "fresh.duckdb"
    run_dbt(["build"], fresh, dbt_vars={"raw_path": str(raw)})
    for relation in ("staging.stg_shop__transactions", "marts.customer_features"):
        key = "transaction_id" if "stg" in relation else "customer_id"
        left = read_table(db, relation, order_by=key).drop(
            columns=["_validated_at"], errors="ignore"
        )
        right = read_table(fresh, relation, order_by=key).drop(
            columns=["_validated_at"], errors="ignore"
        )
        assert left.equals(right), relation


def test_loads_sharing_a_time_are_ordered_by_file_name(tmp_path: Path) -> None:
    raw = write_good(tmp_path / "raw")
    header = HEADERS["transactions"]
    earlier = raw / "transactions__2024-03-01.csv"
    later = raw / "transactions__2024-03-02.csv"
    earlier.write_text(csv_text(header, [tx("T1", cid="C1", amount="11.00")]))
    later.write_text(csv_text(header, [tx("T1", cid="C1", amount="12.00")]))
    stamp = (1_700_000_000, 1_700_000_000)
    for path in (raw / "transactions.csv", earlier, later):
        os.utime(path, stamp)
    db = tmp_path / "db.duckdb"
    run_dbt(["build"], db, dbt_vars={"raw_path": str(raw)})
    staged = read_table(db, "staging.stg_shop__transactions").set_index("transaction_id")
    assert staged.loc["T1", "amount"] == 12
    rows = read_table(db, "marts.quarantined_rows")
    assert sorted(rows[rows.record_id == "T1"].rejection_reason) == ["superseded", "superseded"]


def test_data_lines_counts_lines_not_csv_records(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\r\n1,2\r\n\r\n   \n3,4")
    assert data_lines(path) == 3  # '1,2', '   ' and '3,4'; the blank line is not data

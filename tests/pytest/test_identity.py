"""Identity resolution (docs/RULES.md section 17) against an independent Python re-computation.

- The identity map of a build equals a union-find over the accepted customer records, with the
  normalisation and the guards written again here from the rules.
- With identity_resolution on, every customer-level mart equals the same mart of a build with
  resolution off on input whose ids were merged beforehand by that union-find: the profile
  record under the person id in the customers file, and every transaction and interaction of a
  merged id under its person id.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import PROJECT_ROOT, generate, read_table, run_dbt

from custseg.marts import RUN_TIME_COLUMNS
from custseg.oracle.reading import load_fx_rates, load_raw
from custseg.oracle.validation import validate

MAX_IDS_PER_IDENTIFIER = 5  # var identity_max_ids_per_identifier (default)
CALLING_CODE = "1"  # var identity_default_calling_code (default)
TRUNK_PREFIX = "1"  # the North American plan's national trunk prefix (calling code 1)
ON = {"identity_resolution": "email_phone"}
# the pre-merged build needs no unit tests (resolution none is tested everywhere else)
NO_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]
# marts at person grain (the quarantine and the raw audit keep the original ids by design;
# customer_identity_map is what the comparison takes apart)
PERSON_MARTS = (
    "customer_features",
    "customer_segments",
    "segment_summary",
    "rfm_thresholds",
    "customer_segment_history",
    "segment_transitions",
    "segment_summary_history",
    "customer_predictions",
    "btyd_model_parameters",
    "cluster_profiles",
)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _email(raw: object) -> str | None:
    value = _text(raw)
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    return text if re.fullmatch(r"[^@]+@[^@]+", text) else None


def _phone(raw: object) -> str | None:
    value = _text(raw)
    if value is None or not value.strip():
        return None
    text = value.strip()
    digits = re.sub(r"[^0-9]", "", text)
    if text.startswith("+"):
        number = digits
    elif digits.startswith("00"):
        number = digits[2:]
    elif digits.startswith(TRUNK_PREFIX):
        number = CALLING_CODE + digits[1:]
    else:
        number = CALLING_CODE + digits
    return "+" + number if 7 <= len(number) <= 15 else None


def _is_placeholder(kind: str, value: str, seed: pd.DataFrame) -> bool:
    for row in seed[seed["identifier_type"] == kind].itertuples():
        if row.match_on == "value" and value == row.value:
            return True
        if row.match_on == "local_part" and value.split("@")[0] == row.value:
            return True
        if row.match_on == "domain" and value.split("@")[1] == row.value:
            return True
        if row.match_on == "ending" and value.endswith(row.value):
            return True
    return False


def expected_identity(customers: pd.DataFrame) -> pd.DataFrame:
    """Per accepted customer record: person_id, group_size, match_reason, statuses, profile."""
    seed = pd.read_csv(PROJECT_ROOT / "seeds" / "identity_placeholders.csv", dtype=str)
    ids = sorted(customers["customer_id"])
    holders: dict[tuple[str, str], set[str]] = {}
    own: dict[str, dict[str, tuple[str, str] | None]] = {}
    raw_present: dict[str, dict[str, bool]] = {}
    for row in customers.itertuples():
        normalised = {"email": _email(row.email), "phone": _phone(row.phone)}
        own[row.customer_id] = {
            kind: (kind, value) if value is not None else None for kind, value in normalised.items()
        }
        raw_present[row.customer_id] = {
            kind: isinstance(raw, str) and raw.strip() != ""
            for kind, raw in (("email", row.email), ("phone", row.phone))
        }
        for key in own[row.customer_id].values():
            if key is not None:
                holders.setdefault(key, set()).add(row.customer_id)

    def status(key: tuple[str, str]) -> str:
        if _is_placeholder(key[0], key[1], seed):
            return "placeholder"
        if len(holders[key]) > MAX_IDS_PER_IDENTIFIER:
            return "over_shared"
        return "unique" if len(holders[key]) == 1 else "linked"

    parent = {customer_id: customer_id for customer_id in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for key, members in holders.items():
        if status(key) == "linked":
            first, *rest = sorted(members)
            for other in rest:
                a, b = find(first), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)

    registered = dict(zip(customers["customer_id"], customers["registered_at"], strict=True))
    groups: dict[str, list[str]] = {}
    for customer_id in ids:
        groups.setdefault(find(customer_id), []).append(customer_id)
    rows = []
    for members in groups.values():
        person = min(members)
        profile = min(members, key=lambda m: (registered[m], m))
        for member in members:
            statuses = {}
            for kind in ("email", "phone"):
                key = own[member][kind]
                if not raw_present[member][kind]:
                    statuses[kind] = "missing"
                elif key is None:
                    statuses[kind] = "invalid"
                else:
                    statuses[kind] = status(key)
            linked = [kind for kind in ("email", "phone") if statuses[kind] == "linked"]
            rows.append(
                {
                    "customer_id": member,
                    "person_id": person,
                    "match_reason": "both" if len(linked) == 2 else (linked or ["none"])[0],
                    "email_status": statuses["email"],
                    "phone_status": statuses["phone"],
                    "group_size": len(members),
                    "is_profile_record": member == profile,
                }
            )
    return pd.DataFrame(rows).sort_values("customer_id").reset_index(drop=True)


def _merge_ids_beforehand(raw_dir: Path, out_dir: Path, identity: pd.DataFrame) -> None:
    """The raw files with the ids merged: a line naming a merged id names its person; in the
    customers file only the profile record's lines remain (under the person id). Lines whose
    fields cannot be read as the header's columns are copied as they are."""
    person = dict(zip(identity["customer_id"], identity["person_id"], strict=True))
    profiles = set(identity.loc[identity["is_profile_record"], "customer_id"])
    out_dir.mkdir(parents=True)
    for table in ("customers", "transactions", "interactions"):
        lines = (raw_dir / f"{table}.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        header = next(csv.reader([lines[0]]))
        column = header.index("customer_id")
        kept = [lines[0]]
        for line in lines[1:]:
            fields = next(csv.reader([line]), [])
            customer_id = fields[column].strip() if len(fields) == len(header) else None
            if customer_id not in person:
                kept.append(line)
                continue
            if table == "customers" and customer_id not in profiles:
                continue
            fields[column] = person[customer_id]
            with_newline = "\n" if line.endswith("\n") else ""
            kept.append(_csv_line(fields) + with_newline)
        (out_dir / f"{table}.csv").write_text("".join(kept), encoding="utf-8")


def _csv_line(fields: list[str]) -> str:
    class _Line:
        text = ""

        def write(self, value: str) -> None:
            self.text += value

    line = _Line()
    csv.writer(line, lineterminator="").writerow(fields)
    return line.text


def _marts_differ(left: Path, right: Path, mart: str, skip: set[str]) -> tuple[int, int]:
    con = duckdb.connect()
    try:
        con.execute(f"attach '{left}' as lhs (read_only)")
        con.execute(f"attach '{right}' as rhs (read_only)")
        columns = [
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = 'lhs'"
                " and table_schema = 'marts' and table_name = ? order by ordinal_position",
                [mart],
            ).fetchall()
            if name not in skip and name not in RUN_TIME_COLUMNS
        ]
        assert columns, f"{mart} missing"
        listed = ", ".join(f'"{c}"' for c in columns)
        counts = []
        for a, b in (("lhs", "rhs"), ("rhs", "lhs")):
            counts.append(
                con.execute(
                    f"select count(*) from (select {listed} from {a}.marts.{mart}"
                    f" except all select {listed} from {b}.marts.{mart})"
                ).fetchone()[0]
            )
        return counts[0], counts[1]
    finally:
        con.close()


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    """Generated data with the planted identity cases, built with resolution on; its raw dir
    and the expected identity of its accepted customer records."""
    work = tmp_path_factory.mktemp("identity")
    raw_dir = generate(work / "raw", customers=1500, seed=17)
    run_date = dt.datetime.now(dt.UTC).date()
    db_path = work / "on.duckdb"
    run_dbt(["build"], db_path, dbt_vars={"raw_path": str(raw_dir), **ON})
    if dt.datetime.now(dt.UTC).date() != run_date:
        pytest.skip("the build crossed midnight UTC; future_dated is ambiguous")
    clean, _ = validate(load_raw(raw_dir), load_fx_rates(PROJECT_ROOT / "seeds"), run_date=run_date)
    return raw_dir, db_path, expected_identity(clean["customers"])


def test_identity_map_equals_union_find(resolved: tuple[Path, Path, pd.DataFrame]) -> None:
    _, db_path, expected = resolved
    built = read_table(db_path, "marts.customer_identity_map", order_by="customer_id")
    columns = list(expected.columns)
    actual = built[columns].reset_index(drop=True)
    actual["group_size"] = actual["group_size"].astype("int64")
    actual["is_profile_record"] = actual["is_profile_record"].astype(bool)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)
    # the planted cases are there: pairs, a chain of 3, the guards
    assert expected["group_size"].max() >= 3
    assert {"email", "phone", "both", "none"} <= set(expected["match_reason"])
    assert {"placeholder", "over_shared"} <= set(expected["email_status"])
    assert "placeholder" in set(expected["phone_status"])


def test_resolution_equals_ids_merged_beforehand(
    resolved: tuple[Path, Path, pd.DataFrame], tmp_path: Path
) -> None:
    raw_dir, on_db, expected = resolved
    merged_dir = tmp_path / "merged"
    _merge_ids_beforehand(raw_dir, merged_dir, expected)
    merged_db = tmp_path / "merged.duckdb"
    run_dbt(["build", *NO_UNIT_TESTS], merged_db, dbt_vars={"raw_path": str(merged_dir)})
    persons = expected["person_id"].nunique()
    features = read_table(on_db, "marts.customer_features")
    merged_rows = features[features["merged_customer_ids"] > 1]
    assert len(merged_rows) == (expected.groupby("person_id").size() > 1).sum() > 10
    merged_away = set(expected.loc[expected["customer_id"] != expected["person_id"], "customer_id"])
    assert merged_away and not merged_away & set(features["customer_id"])
    sizes = expected.groupby("person_id").size()
    known = features.set_index("customer_id")["merged_customer_ids"]
    shared = sizes.index.intersection(known.index)
    assert (known[shared] == sizes[shared]).all()
    assert len(shared) <= persons
    for mart in PERSON_MARTS:
        skip = {"merged_customer_ids"} if mart == "customer_features" else set()
        assert _marts_differ(on_db, merged_db, mart, skip) == (0, 0), mart
    # and the comparison can fail: resolution off on the original ids gives other marts
    off_db = tmp_path / "off.duckdb"
    run_dbt(
        ["build", "--select", "+customer_segments", "--exclude-resource-type", "test", "unit_test"],
        off_db,
        dbt_vars={"raw_path": str(raw_dir)},
    )
    assert _marts_differ(on_db, off_db, "customer_segments", set()) != (0, 0)


def test_incremental_run_follows_links_and_unlinks(tmp_path: Path) -> None:
    """A delivery that links two persons (a corrected e-mail equal to another person's) and
    one that unlinks a pair (a corrected e-mail of a merged id): the incremental run equals a
    full refresh on the same files, and both changes are visible."""
    t0 = 1_767_139_200  # 2025-12-31 UTC
    raw = generate(tmp_path / "raw", customers=300, seed=11)
    for path in raw.iterdir():
        os.utime(path, (t0, t0))
    dbt_vars = {"raw_path": str(raw), "as_of_date": "2025-12-31", **ON}
    incremental = tmp_path / "incremental.duckdb"
    run_dbt(["build", *NO_UNIT_TESTS], incremental, dbt_vars=dbt_vars)
    before = read_table(incremental, "marts.customer_identity_map").set_index("customer_id")

    with (raw / "customers.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames or []), list(reader)
    by_id = {row["customer_id"].strip(): row for row in rows if row["customer_id"].strip()}
    pair = before[(before["group_size"] == 2) & (before["match_reason"] == "email")]
    unlinked = pair.index[pair.index != pair["person_id"]][0]
    singles = before[
        (before["group_size"] == 1) & (before["email_status"] == "unique")
    ].index.intersection(list(by_id))
    joining, joined = sorted(singles)[:2]
    joined_email = by_id[joined]["email"]
    corrections = [
        {**by_id[unlinked], "email": f"corrected.{unlinked}@mail.example"},
        {**by_id[joining], "email": joined_email},
    ]
    delivery = raw / "customers__2026-01-01.csv"
    with delivery.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(corrections)
    os.utime(delivery, (t0 + 86_400, t0 + 86_400))

    run_dbt(["build", *NO_UNIT_TESTS], incremental, dbt_vars=dbt_vars)
    full = tmp_path / "full.duckdb"
    run_dbt(["build", "--full-refresh", *NO_UNIT_TESTS], full, dbt_vars=dbt_vars)
    after = read_table(incremental, "marts.customer_identity_map").set_index("customer_id")
    assert after.loc[unlinked, "person_id"] == unlinked
    assert after.loc[unlinked, "group_size"] == 1
    assert after.loc[joining, "person_id"] == after.loc[joined, "person_id"] == min(joining, joined)
    features = read_table(incremental, "marts.customer_features").set_index("customer_id")
    assert features.loc[min(joining, joined), "merged_customer_ids"] == 2
    assert max(joining, joined) not in features.index
    for mart in (*PERSON_MARTS, "customer_identity_map"):
        assert _marts_differ(incremental, full, mart, set()) == (0, 0), mart

"""The dbt marts against an independent pandas re-implementation of docs/RULES.md.

custseg/oracle.py recomputes customer_features, customer_segments, segment_summary and the
quarantine from the raw files and the seeds, following RULES.md only. Each generated data set
is built once (session fixture) and every column is compared:

- ids, counts, dates, timestamps, booleans and labels exactly;
- money (DECIMAL) exactly, as Decimals with 4 places (read through Arrow, not as floats);
- doubles within 1e-9 relative; value scores within 1e-6 absolute.

A mismatch report names the column, how many customers differ and a few examples with the
oracle's and the mart's value.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from conftest import PROJECT_ROOT, generate, read_table, run_dbt

from custseg import oracle

SEEDS_DIR = PROJECT_ROOT / "seeds"
MAX_EXAMPLES = 5


# ---------------------------------------------------------------------------
# Data sets
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One generated data set and the vars it is built with."""

    name: str
    seed: int
    customers: int
    as_of_date: str | None
    bad_row_share: float
    start: str = "2023-01-01"
    end: str = "2025-12-31"


CASES: tuple[Case, ...] = (
    Case("seed11-default-as-of", seed=11, customers=500, as_of_date=None, bad_row_share=0.02),
    Case("seed23-as-of-2025-06-30", seed=23, customers=400, as_of_date="2025-06-30",
         bad_row_share=0.02),
    Case("seed37-short-span", seed=37, customers=600, as_of_date=None, bad_row_share=0.03,
         start="2024-07-01", end="2025-09-30"),
)  # fmt: skip


@dataclass
class Built:
    """Marts read from the dbt build and the oracle's marts for one data set."""

    case: Case
    db_path: Path
    dbt: dict[str, pd.DataFrame]
    expected: dict[str, pd.DataFrame]


def read_exact(db_path: Path, relation: str) -> pd.DataFrame:
    """A relation through Arrow, so DECIMAL columns arrive as exact Decimals (not floats)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(f"select * from {relation}").to_arrow_table().to_pandas()
    finally:
        con.close()


def build_and_compute(
    work_dir: Path,
    data_dir: Path,
    *,
    as_of_date: str | None,
    command: str = "build",
) -> tuple[Path, dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """dbt <command> on data_dir into a fresh DuckDB file; the marts and the oracle's marts."""
    db_path = work_dir / "warehouse.duckdb"
    dbt_vars: dict[str, Any] = {"raw_path": str(data_dir)}
    if as_of_date is not None:
        dbt_vars["as_of_date"] = as_of_date
    run_date = dt.datetime.now(dt.UTC).date()
    run_dbt([command], db_path, dbt_vars=dbt_vars)
    if dt.datetime.now(dt.UTC).date() != run_date:
        pytest.skip("the build crossed midnight UTC; future_dated is ambiguous")
    marts = {
        name: read_exact(db_path, f"marts.{name}")
        for name in ("customer_features", "customer_segments", "segment_summary")
    }
    marts["quarantined_rows"] = read_table(db_path, "marts.quarantined_rows")
    expected = oracle.compute_all(
        data_dir,
        SEEDS_DIR,
        as_of_date=dt.date.fromisoformat(as_of_date) if as_of_date else None,
        run_date=run_date,
    )
    return db_path, marts, expected


@pytest.fixture(scope="session", params=CASES, ids=[case.name for case in CASES])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    case: Case = request.param
    work_dir = tmp_path_factory.mktemp(f"oracle-{case.name}")
    data_dir = generate(
        work_dir / "raw",
        customers=case.customers,
        start=case.start,
        end=case.end,
        seed=case.seed,
        fmt="csv",
        bad_row_share=case.bad_row_share,
    )
    db_path, marts, expected = build_and_compute(work_dir, data_dir, as_of_date=case.as_of_date)
    return Built(case, db_path, marts, expected)


# ---------------------------------------------------------------------------
# Comparison helpers
# ---------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def norm_int(value: Any) -> int | None:
    return None if _missing(value) else int(value)


def norm_text(value: Any) -> str | None:
    return None if _missing(value) else str(value)


def norm_bool(value: Any) -> bool | None:
    return None if _missing(value) else bool(value)


def norm_money(value: Any) -> str | None:
    """Exact: a Decimal (or int) as text with 4 places. Floats are refused (not exact)."""
    if _missing(value):
        return None
    if isinstance(value, float):
        return f"float:{value!r}"
    return str(Decimal(value).quantize(oracle.MONEY_PLACES))


def norm_date(value: Any) -> dt.date | None:
    return None if _missing(value) else pd.Timestamp(value).date()


def norm_ts(value: Any) -> pd.Timestamp | None:
    return None if _missing(value) else pd.Timestamp(value)


def norm_float(value: Any) -> float | None:
    return None if _missing(value) else float(value)


def close(rel: float = 1e-9, abs_: float = 1e-12) -> Callable[[Any, Any], bool]:
    def equal(a: float | None, b: float | None) -> bool:
        if a is None or b is None:
            return a is None and b is None
        return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)

    return equal


def same(a: Any, b: Any) -> bool:
    return a == b


# column kind -> (normaliser, equality)
KINDS: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], bool]]] = {
    "int": (norm_int, same),
    "text": (norm_text, same),
    "bool": (norm_bool, same),
    "money": (norm_money, same),
    "date": (norm_date, same),
    "ts": (norm_ts, same),
    "float": (norm_float, close()),
    "score": (norm_float, close(rel=0.0, abs_=1e-6)),
}

FEATURE_KINDS: dict[str, str] = {
    "customer_id": "text",
    "country": "text",
    "acquisition_channel": "text",
    "preferred_channel": "text",
    "email_hash": "text",
    "order_count": "int",
    "refund_count": "int",
    "purchase_days": "int",
    "repeat_purchase_days": "int",
    "distinct_categories": "int",
    "recency_days": "int",
    "btyd_recency_days": "int",
    "customer_age_days": "int",
    "tenure_days": "int",
    "days_to_first_purchase": "int",
    "last_purchase_gap_days": "int",
    "mean_purchase_gap_days": "float",
    "gross_revenue": "money",
    "refunded_amount": "money",
    "net_revenue": "money",
    "spend_last_90_days": "money",
    "spend_previous_90_days": "money",
    "avg_order_value": "float",
    "avg_repeat_purchase_value": "float",
    "visits_last_30_days": "int",
    "visits_last_90_days": "int",
    "visits_previous_60_days": "int",
    "email_opens_last_90_days": "int",
    "email_clicks_last_90_days": "int",
    "support_tickets": "int",
    "support_tickets_last_90_days": "int",
    "complaints": "int",
    "complaints_last_90_days": "int",
    "referrals": "int",
    "review_count": "int",
    "avg_review_score": "float",
    "days_since_last_interaction": "int",
    "has_customer_record": "bool",
    "is_buyer": "bool",
    "as_of_date": "date",
    "first_purchase_date": "date",
    "last_purchase_date": "date",
    "registered_at": "ts",
    "first_purchase_at": "ts",
    "last_purchase_at": "ts",
    "last_interaction_at": "ts",
}

SEGMENT_KINDS: dict[str, str] = {
    "customer_id": "text",
    "rfm_cell": "text",
    "rfm_segment": "text",
    "pyramid_tier": "text",
    "abc_class": "text",
    "value_tier": "text",
    "lifecycle_stage": "text",
    "churn_risk": "text",
    "churn_risk_reasons": "text",
    "segment_goal": "text",
    "recommended_action": "text",
    "target_kpi": "text",
    "action_channel": "text",
    "recency_score": "int",
    "frequency_score": "int",
    "monetary_score": "int",
    "contribution_score": "score",
    "activity_score": "score",
    "loyalty_score": "score",
    "potential_score": "score",
    "value_score": "score",
    "purchase_days": "int",
    "order_count": "int",
    "recency_days": "int",
    "gross_revenue": "money",
    "net_revenue": "money",
    "is_buyer": "bool",
    "is_control_group": "bool",
    "as_of_date": "date",
}

SUMMARY_KINDS: dict[str, str] = {
    "segmentation_scheme": "text",
    "segment": "text",
    "segment_rank": "int",
    "customers": "int",
    "share_of_customers": "float",
    "net_revenue": "money",
    "share_of_revenue": "float",
    "avg_order_value": "float",
    "avg_recency_days": "float",
    "repurchase_rate": "float",
    "churn_rate": "float",
    "dormant_or_churned_share": "float",
    "high_churn_risk_share": "float",
    "avg_historic_clv": "float",
    "control_group_customers": "int",
    "segment_goal": "text",
    "target_kpi": "text",
    "recommended_action": "text",
}


def _keyed(frame: pd.DataFrame, key: list[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    rows = frame.to_dict("records")
    return {tuple(row[k] for k in key): row for row in rows}


def compare(
    what: str,
    expected: pd.DataFrame,
    actual: pd.DataFrame,
    key: list[str],
    kinds: dict[str, str],
) -> list[str]:
    """Differences between the oracle's and the mart's rows, one message per column."""
    problems: list[str] = []
    missing_columns = [c for c in kinds if c not in actual.columns]
    if missing_columns:
        problems.append(f"{what}: columns missing from the mart: {missing_columns}")
    extra_columns = sorted(set(actual.columns) - set(kinds))
    if extra_columns:
        problems.append(f"{what}: mart columns the oracle does not check: {extra_columns}")
    exp, act = _keyed(expected, key), _keyed(actual, key)
    if len(exp) != len(expected) or len(act) != len(actual):
        problems.append(
            f"{what}: duplicate keys (oracle {len(expected) - len(exp)}, "
            f"mart {len(actual) - len(act)})"
        )
    only_oracle = sorted(set(exp) - set(act), key=str)
    only_mart = sorted(set(act) - set(exp), key=str)
    if only_oracle:
        problems.append(
            f"{what}: {len(only_oracle)} rows only in the oracle, e.g. {only_oracle[:MAX_EXAMPLES]}"
        )
    if only_mart:
        problems.append(
            f"{what}: {len(only_mart)} rows only in the mart, e.g. {only_mart[:MAX_EXAMPLES]}"
        )
    common = sorted(set(exp) & set(act), key=str)
    for column, kind in kinds.items():
        if column in key or column not in actual.columns:
            continue
        normalise, equal = KINDS[kind]
        diffs = []
        for k in common:
            a, b = normalise(exp[k].get(column)), normalise(act[k].get(column))
            if not equal(a, b):
                diffs.append((k, a, b))
        if diffs:
            examples = "; ".join(
                f"{'/'.join(map(str, k))}: oracle={a!r} mart={b!r}"
                for k, a, b in diffs[:MAX_EXAMPLES]
            )
            problems.append(
                f"{what}.{column}: {len(diffs)} of {len(common)} rows differ, e.g. {examples}"
            )
    return problems


def assert_no_problems(problems: list[str]) -> None:
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def quarantine_multiset(frame: pd.DataFrame) -> Counter[tuple[Any, ...]]:
    return Counter(
        tuple(norm_text(v) for v in row)
        for row in frame[
            ["source_table", "record_id", "rejected_column", "rejection_reason"]
        ].itertuples(index=False)
    )


def compare_quarantine(expected: pd.DataFrame, actual: pd.DataFrame) -> list[str]:
    exp, act = quarantine_multiset(expected), quarantine_multiset(actual)
    if exp == act:
        return []
    only_oracle = list((exp - act).elements())
    only_mart = list((act - exp).elements())
    return [
        f"quarantined_rows: {len(only_oracle)} only in the oracle, e.g. "
        f"{only_oracle[:MAX_EXAMPLES]}; {len(only_mart)} only in the mart, e.g. "
        f"{only_mart[:MAX_EXAMPLES]}"
    ]


def _expected_features(built: Built) -> pd.DataFrame:
    features = built.expected["customer_features"].copy()
    if os.environ.get("CUSTSEG_PII_SALT"):
        # The salted hash is not a RULES.md rule: take the mart's value, check nothing.
        features["email_hash"] = features["customer_id"].map(
            built.dbt["customer_features"].set_index("customer_id")["email_hash"]
        )
    return features


# ---------------------------------------------------------------------------
# Tests on generated data
# ---------------------------------------------------------------------------


def test_data_set_exercises_the_rules(built: Built) -> None:
    """Sanity: the generated data set has bad rows, prospects, buyers and several segments."""
    expected = built.expected
    reasons = set(expected["quarantined_rows"]["rejection_reason"])
    assert {"missing_key", "unparseable_timestamp", "duplicate_delivery"} <= reasons
    features = expected["customer_features"]
    assert features["is_buyer"].sum() >= 100
    assert (~features["is_buyer"]).sum() >= 1
    assert expected["customer_segments"]["lifecycle_stage"].nunique() >= 5


def test_quarantine_matches_oracle(built: Built) -> None:
    assert_no_problems(
        compare_quarantine(built.expected["quarantined_rows"], built.dbt["quarantined_rows"])
    )


def test_customer_features_match_oracle(built: Built) -> None:
    assert_no_problems(
        compare(
            "customer_features",
            _expected_features(built),
            built.dbt["customer_features"],
            ["customer_id"],
            FEATURE_KINDS,
        )
    )


def test_customer_segments_match_oracle(built: Built) -> None:
    assert_no_problems(
        compare(
            "customer_segments",
            built.expected["customer_segments"],
            built.dbt["customer_segments"],
            ["customer_id"],
            SEGMENT_KINDS,
        )
    )


def test_segment_summary_matches_oracle(built: Built) -> None:
    assert_no_problems(
        compare(
            "segment_summary",
            built.expected["segment_summary"],
            built.dbt["segment_summary"],
            ["segmentation_scheme", "segment"],
            SUMMARY_KINDS,
        )
    )


# ---------------------------------------------------------------------------
# The comparison can fail
# ---------------------------------------------------------------------------


def test_comparison_detects_a_perturbed_mart() -> None:
    """compare() reports a one-cent money change, an off-by-one count and a relabel."""
    expected = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "net_revenue": [Decimal("10.0000"), Decimal("0.0000")],
            "order_count": [1, 0],
            "value_tier": ["growth", "potential"],
            "value_score": [50.0, None],
        }
    )
    kinds = {
        "customer_id": "text",
        "net_revenue": "money",
        "order_count": "int",
        "value_tier": "text",
        "value_score": "score",
    }
    assert compare("t", expected, expected.copy(), ["customer_id"], kinds) == []
    perturbed = expected.copy()
    perturbed.loc[0, "net_revenue"] = Decimal("10.0001")
    perturbed.loc[1, "order_count"] = 1
    perturbed.loc[1, "value_tier"] = "low_value"
    perturbed.loc[0, "value_score"] = 50.00001
    problems = compare("t", expected, perturbed, ["customer_id"], kinds)
    assert len(problems) == 4, problems
    as_float = expected.assign(net_revenue=[10.0, 0.0])
    assert compare("t", expected, as_float, ["customer_id"], kinds), "floats are not exact money"


# ---------------------------------------------------------------------------
# Hand-written edge cases
# ---------------------------------------------------------------------------

EDGE_CUSTOMERS = """customer_id,registered_at,email,phone,country,acquisition_channel
C1,2024-01-01 10:00:00,A@X.com,123,us,Organic
C2,2024-02-01,b@x.com,,DE,paid_search
C3,2024-03-01T00:00:00Z,,,,
,2024-03-01,,,,
C4,2024-02-30,,,,
C6, 2024-05-01 08:00:00 ,,, fr ,
C7,2024-01-10 00:00:00,,,GB,
C7,2024-01-10 00:00:00,,,GB,
C8,2024-01-10 00:00:00,,,GB,
C8,2024-01-11 00:00:00,,,GB,
C9,2099-01-01,,,,
C10,2024-03-30 23:30:00-02:00,,,,
C11,2024-03-15 12:00:00,,,,
"""

EDGE_TRANSACTIONS = """transaction_id,customer_id,transaction_at,transaction_type,amount,currency,product_category,channel
T1,C1,2024-01-05 10:00:00,purchase,100.00,,books,web
T2,C1,2024-01-05 12:00:00.250,purchase,50.00,USD,toys,web
T3,C1,2024-03-01T01:00:00+02:00,purchase,20.00,eur,books,app
T4,C1,2024-03-10 00:00:00,refund,10.00,,books,web
T5,C2,2024-02-10 00:00:00,purchase,30.00,,home,store
T5,C2,2024-02-10 00:00:00,purchase,30.00,,home,store
T6,C5,2024-04-01 00:00:00,PURCHASE,70.00,,Home,Store
T7,C5,2024-04-02 00:00:00,purchase,-1,,home,store
T8,C5,2099-04-02 00:00:00,purchase,1,,home,store
T9,C5,2024-04-02 00:00:00,purchase,1,XYZ,home,store
T10,C5,2024-04-02 00:00:00,purchase,1,,home,store
T10,C5,2024-04-02 00:00:00,purchase,2,,home,store
T11,C6,2024-03-20 09:00:00,purchase,12.,gbp,,app
T12,C6,2024-03-21 09:00:00,purchase,.5,,,web
T13,C6,2024-03-22 09:00:00,purchase,+3.25,,sports,web
T14,C1,2019-06-01 00:00:00,purchase,10.00,EUR,books,web
T15,C7,2024-01-02 00:00:00,refund,5.00,,books,web
T16,C11,2024-01-20 00:00:00,purchase,1.00005,,books,app
T17,C11,2024-02-20 00:00:00,purchase,1.23456,EUR,books,app
T18,C11,2024-02-21 00:00:00,purchase,0.00,,books,app
T19,C11,2024-02-22 00:00:00,exchange,5.00,,books,app
T20,,2024-02-22 00:00:00,purchase,5.00,,books,app
T21,C11,,purchase,5.00,,books,app
T22,C11,2024-02-22 00:00:00,,5.00,,books,app
T23,C11,2024-02-22 00:00:00,purchase,,,books,app
T24,C11,2024-02-22 00:00:00,purchase,"1,50",,books,app
T25,C11,22/02/2024,purchase,1.50,,books,app
T26,C11,2024-02-22 25:00:00,purchase,1.50,,books,app
T27,C12,2024-04-01T23:59:59-01:00,purchase,9.99,,books,web
T28,C11,2024-03-10 00:00:00,purchase,4.00,,books,web
T29,C11,2024-03-11 00:00:00,purchase,4.00,,books,store
T30,C11,2024-03-11 00:00:00,purchase,4.00,,books,store
T31,C11,2024-03-12 00:00:00,purchase,4.00,,books,web
"""

EDGE_INTERACTIONS = """interaction_id,customer_id,occurred_at,interaction_type,channel,score
I1,C1,2024-03-01 00:00:00,visit,web,
I2,C1,2024-03-02 00:00:00,review,web,4
I3,C1,2024-03-02 00:00:00,chat,web,
I4,C1,2024-03-03 00:00:00,Review,web, 4.5
I5,C1,2024-03-03 00:00:00,review,web,
I6,C1,2024-03-04 00:00:00,review,web,6
I7,C1,2024-03-04 00:00:00,review,web,four
I8,C2,2024-03-25 00:00:00,visit,web,
I9,C2,2024-03-26 00:00:00,visit,web,
I10,C2,2024-01-05 00:00:00,visit,web,
I11,C2,2024-01-06 00:00:00,visit,web,
I12,C2,2024-01-07 00:00:00,VISIT,web,
I13,C2,2024-03-20 00:00:00,complaint,phone,
I14,C3,2024-03-30 00:00:00,email_open,email,
I15,C3,2024-03-30 00:00:00,email_click,email,
I16,C3,2024-04-02 00:00:00,support_ticket,phone,
I17,C6,2024-03-21 00:00:00,referral,web,
I18,C99,2024-03-21 00:00:00,visit,web,
I19,,2024-03-21 00:00:00,visit,web,
,C1,2024-03-21 00:00:00,visit,web,
I20,C1,,visit,web,
I21,C1,2024-03-21 00:00:00,,web,
I22,C1,2099-03-21 00:00:00,visit,web,
I23,C1,2024-03-21 00:00:00,support_ticket,phone,
I23,C1,2024-03-21 00:00:00,support_ticket,phone,
I24,C1,2024-03-22 00:00:00,complaint,phone,
I24,C1,2024-03-22 01:00:00,complaint,phone,
"""


@pytest.fixture(scope="session")
def edge_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The hand-written edge cases, run (not built: the quarantine share fails its test)."""
    work_dir = tmp_path_factory.mktemp("oracle-edge")
    data_dir = work_dir / "raw"
    data_dir.mkdir()
    for table, text in (
        ("customers", EDGE_CUSTOMERS),
        ("transactions", EDGE_TRANSACTIONS),
        ("interactions", EDGE_INTERACTIONS),
    ):
        (data_dir / f"{table}.csv").write_text(text)
    run_dbt(["seed"], work_dir / "warehouse.duckdb")
    db_path, marts, expected = build_and_compute(work_dir, data_dir, as_of_date=None, command="run")
    case = Case("edge", seed=0, customers=0, as_of_date=None, bad_row_share=0.0)
    return Built(case, db_path, marts, expected)


def test_oracle_edge_cases_by_hand(edge_built: Built) -> None:
    """The oracle itself on hand-checked values (so a wrong oracle does not pass silently)."""
    features = edge_built.expected["customer_features"].set_index("customer_id")
    c1 = features.loc["C1"]
    # T3: 20 EUR on 2024-02-29 (UTC of 01:00+02:00) at the 2024-02-01 rate 1.112849 = 22.2570;
    # T14: 10 EUR in 2019, before the first rate 1.080000 = 10.8000.
    assert c1["gross_revenue"] == Decimal("100") + Decimal("50") + Decimal("22.2570") + Decimal(
        "10.8000"
    )
    assert c1["purchase_days"] == 3
    assert c1["avg_review_score"] == pytest.approx(4.25)
    assert c1["review_count"] == 2
    assert str(features.loc["C6", "country"]) == "FR"
    assert c1["as_of_date"] == pd.Timestamp("2024-04-02")  # T27 is 2024-04-02 00:59:59 UTC
    quarantine = quarantine_multiset(edge_built.expected["quarantined_rows"])
    assert quarantine[("customers", "C7", "customer_id", "duplicate_delivery")] == 1
    assert quarantine[("customers", "C8", "customer_id", "conflicting_duplicate_id")] == 2
    assert quarantine[("customers", "C4", "registered_at", "unparseable_timestamp")] == 1
    assert quarantine[("transactions", "T18", "amount", "non_positive_amount")] == 1
    assert quarantine[("interactions", "I7", "score", "unparseable_number")] == 1
    assert "C9" not in features.index  # registered in the future: quarantined
    assert features.loc["C12", "registered_at"] == pd.Timestamp("2024-04-02 00:59:59")


def test_edge_cases_match_oracle(edge_built: Built) -> None:
    problems = compare_quarantine(
        edge_built.expected["quarantined_rows"], edge_built.dbt["quarantined_rows"]
    )
    problems += compare(
        "customer_features",
        _expected_features(edge_built),
        edge_built.dbt["customer_features"],
        ["customer_id"],
        FEATURE_KINDS,
    )
    problems += compare(
        "customer_segments",
        edge_built.expected["customer_segments"],
        edge_built.dbt["customer_segments"],
        ["customer_id"],
        SEGMENT_KINDS,
    )
    assert_no_problems(problems)

"""Independent pandas re-implementation of docs/RULES.md: the pytest oracle for the dbt marts.

It follows the written rules only (never the SQL) so that the marts can be checked against a
second, independent computation. Sections refer to docs/RULES.md.

Money is held as exact ``decimal.Decimal`` values with 4 places; scores and percentile ranks
are computed in exact integer / rational arithmetic so that thresholds such as
``contribution_score >= 90`` are decided exactly.

Usage::

    from custseg.oracle import compute_all
    marts = compute_all(Path("data/demo"), Path("seeds"), as_of_date=None)
    marts["customer_segments"].head()
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from custseg.contract import COLUMNS, TABLES

# ---------------------------------------------------------------------------
# Contract and defaults
# ---------------------------------------------------------------------------

ID_COLUMN: dict[str, str] = {
    "customers": "customer_id",
    "transactions": "transaction_id",
    "interactions": "interaction_id",
}
TRANSACTION_TYPES: frozenset[str] = frozenset({"purchase", "refund"})
INTERACTION_TYPES: frozenset[str] = frozenset(
    {"visit", "email_open", "email_click", "support_ticket", "complaint", "referral", "review"}
)

# Defaults of the dbt_project.yml vars the oracle uses (RULES.md refers to them by name).
DEFAULT_VARS: dict[str, Any] = {
    "reporting_currency": "USD",
    "business_timezone": "UTC",
    "rfm_bins": 5,
    "rfm_segment_grid": "classic",
    "pyramid_top_share": "0.01",
    "pyramid_big_share": "0.05",
    "pyramid_medium_share": "0.20",
    "abc_a_share": "0.80",
    "abc_b_share": "0.95",
    "dormant_after_days": 90,
    "churned_after_days": 365,
    "loyal_min_purchase_days": 3,
    "loyal_value_tier": "high_value",
    "churn_overdue_factor": "2.0",
    "churn_single_purchase_overdue_days": 60,
    "churn_visit_drop_ratio": "0.5",
    "churn_visit_min_previous": 2,
    "churn_complaints_threshold": 1,
    "churn_spend_drop_ratio": "0.5",
    "churn_high_min_signals": 2,
    "playbook_scheme": "rfm_segment",
    "control_group_share": "0.10",
    "control_group_salt": "custseg-v1",
}

MONEY_PLACES = Decimal("0.0001")
MONEY_SCALE = 10_000  # money as integer ten-thousandths, for exact ranking
MONEY_LIMIT = Decimal(10**12)  # one amount, converted at its highest rate, stays below this
SCORE_SCALE = 10_000  # scores rounded to 4 decimals
ZERO = Decimal("0.0000")

TIMESTAMP_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:\.(?P<f>\d+))?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?$"
)
DECIMAL_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")

SCHEMES: tuple[str, ...] = (
    "rfm_segment",
    "pyramid_tier",
    "abc_class",
    "value_tier",
    "lifecycle_stage",
)
CHURN_SIGNALS: tuple[str, ...] = ("overdue", "falling_visits", "recent_complaints", "falling_spend")


# ---------------------------------------------------------------------------
# Small parsers
# ---------------------------------------------------------------------------


def parse_timestamp(text: str | None) -> pd.Timestamp | None:
    """ISO-8601 text -> naive UTC timestamp; None when missing or not parseable."""
    if not isinstance(text, str):
        return None
    match = TIMESTAMP_RE.match(text)
    if match is None:
        return None
    parts = match.groupdict()
    fraction = (parts["f"] or "")[:6].ljust(6, "0")
    try:
        value = dt.datetime(
            int(parts["y"]),
            int(parts["mo"]),
            int(parts["d"]),
            int(parts["h"] or 0),
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
            int(fraction),
        )
    except ValueError:  # 2024-13-45, 25:61:00, ...
        return None
    offset = parts["tz"]
    if offset and offset != "Z":
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 14 or minutes > 59:  # real-world offsets: -12:00 .. +14:00
            return None
        delta = dt.timedelta(hours=hours, minutes=minutes)
        value = value - delta if offset[0] == "+" else value + delta
    return pd.Timestamp(value)


def parse_decimal(text: str | None) -> Decimal | None:
    """Strict dotted decimal -> Decimal with 4 places (half up); None when not a number."""
    if not isinstance(text, str) or DECIMAL_RE.match(text) is None:
        return None
    try:
        return Decimal(text).quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than any amount may have: out of range anyway
        return Decimal(text)


def _not_decimal_text(text: str | None) -> bool:
    """Text given but not of the contract's decimal shape."""
    return isinstance(text, str) and DECIMAL_RE.match(text) is None


def _abs_or_zero(value: Any) -> Decimal:
    return abs(value) if isinstance(value, Decimal) else ZERO


def parse_number(text: str | None) -> Decimal | None:
    """Strict dotted decimal -> exact Decimal (no rounding); None when not a number."""
    if not isinstance(text, str) or DECIMAL_RE.match(text) is None:
        return None
    return Decimal(text)


def round_money(value: Decimal) -> Decimal:
    """Round half away from zero to 4 decimals."""
    return value.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)


def _fraction(value: Any) -> Fraction:
    """Exact fraction of a var (written as text or number)."""
    return Fraction(str(value))


def _dsum(values: pd.Series) -> Decimal:
    """Exact sum of a Series of Decimals (0 when empty)."""
    return sum(values, ZERO)


def _or_zero(value: Any) -> Decimal:
    """A Decimal as is; a missing sum -> 0."""
    return value if isinstance(value, Decimal) else ZERO


def _money_int(values: pd.Series) -> pd.Series:
    """Decimals with <= 4 places as exact Python ints of ten-thousandths (object dtype)."""
    return values.map(lambda v: int(v * MONEY_SCALE))


# ---------------------------------------------------------------------------
# Section 1: reading and validating
# ---------------------------------------------------------------------------


def load_raw(raw_dir: Path, fmt: str = "csv") -> dict[str, pd.DataFrame]:
    """The three raw tables with every column as text; empty text is a missing value (None).

    Values are not trimmed here; validate() trims.
    """
    raw: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        path = Path(raw_dir) / f"{table}.{fmt}"
        if fmt == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
        elif fmt == "parquet":
            frame = pd.read_parquet(path).astype(object)
        else:
            raise ValueError(f"unknown format {fmt!r}")
        for column in COLUMNS[table]:
            if column not in frame.columns:
                frame[column] = None
        frame = frame[list(COLUMNS[table])].astype(object)
        raw[table] = frame.map(_text_or_none).reset_index(drop=True)
    return raw


def _text_or_none(value: Any) -> str | None:
    """Text as is; empty text and missing values -> None."""
    return value if isinstance(value, str) and value != "" else None


def _trimmed(frame: pd.DataFrame) -> pd.DataFrame:
    """Every value stripped of surrounding whitespace; empty -> None."""
    return frame.map(lambda v: _text_or_none(v.strip()) if isinstance(v, str) else None)


def _lower(series: pd.Series) -> pd.Series:
    return series.map(lambda v: v.lower() if isinstance(v, str) else None)


def _upper(series: pd.Series) -> pd.Series:
    return series.map(lambda v: v.upper() if isinstance(v, str) else None)


def _ts_series(series: pd.Series) -> pd.Series:
    """Parsed timestamps (NaT when missing/unparseable), parsing each distinct text once."""
    cache = {text: parse_timestamp(text) for text in series.dropna().unique()}
    return pd.to_datetime(series.map(lambda v: cache.get(v) if isinstance(v, str) else None))


def _ladder(checks: list[tuple[str, str, pd.Series]], index: pd.Index) -> pd.DataFrame:
    """The first failing (column, reason) per row, in the order of ``checks``."""
    column = pd.Series(None, index=index, dtype=object)
    reason = pd.Series(None, index=index, dtype=object)
    for col, code, failed in checks:
        hit = failed.fillna(False).astype(bool) & reason.isna()
        column[hit] = col
        reason[hit] = code
    return pd.DataFrame({"rejected_column": column, "rejection_reason": reason})


def _duplicates(table: str, trimmed: pd.DataFrame, passed: pd.Series) -> pd.DataFrame:
    """duplicate_delivery / conflicting_duplicate_id among the rows that passed the checks."""
    id_column = ID_COLUMN[table]
    result = pd.DataFrame({"rejected_column": None, "rejection_reason": None}, index=trimmed.index)
    rows = trimmed[passed]
    rows = rows[rows[id_column].duplicated(keep=False)]  # ids delivered more than once
    if rows.empty:
        return result
    signature = rows[list(COLUMNS[table])].apply(
        lambda r: "\x1f".join(v if isinstance(v, str) else "\x00" for v in r), axis=1
    )
    ids = rows[id_column]
    distinct = signature.groupby(ids).nunique()
    conflicting = ids.map(distinct) > 1
    redelivered = ~conflicting & ids.duplicated(keep="first")
    result.loc[conflicting[conflicting].index, "rejection_reason"] = "conflicting_duplicate_id"
    result.loc[redelivered[redelivered].index, "rejection_reason"] = "duplicate_delivery"
    result.loc[result["rejection_reason"].notna(), "rejected_column"] = id_column
    return result


def validate(
    raw: Mapping[str, pd.DataFrame],
    fx_rates: pd.DataFrame,
    *,
    reporting_currency: str = "USD",
    run_date: dt.date,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Section 1: typed, normalised valid rows per table, and the quarantine.

    The quarantine has one row per rejected raw row: source_table, raw_row (0-based position
    in the file), record_id, rejected_column, rejection_reason.
    """
    run_day = pd.Timestamp(run_date)
    fx_currencies = set(fx_rates["currency"].astype(str).str.strip().str.upper())
    max_rates = {
        currency: max(Decimal(str(r).strip()) for r in group["rate_to_reporting"])
        for currency, group in fx_rates.assign(
            currency=fx_rates["currency"].astype(str).str.strip().str.upper()
        ).groupby("currency")
    }
    clean: dict[str, pd.DataFrame] = {}
    quarantine: list[pd.DataFrame] = []

    for table in TABLES:
        trimmed = _trimmed(raw[table][list(COLUMNS[table])].reset_index(drop=True))
        typed = trimmed.copy()
        if table == "customers":
            typed["email"] = _lower(typed["email"])
            typed["country"] = _upper(typed["country"])
            typed["acquisition_channel"] = _lower(typed["acquisition_channel"])
            typed["registered_at"] = _ts_series(trimmed["registered_at"])
            checks = [
                ("customer_id", "missing_key", trimmed["customer_id"].isna()),
                ("registered_at", "missing_value", trimmed["registered_at"].isna()),
                ("registered_at", "unparseable_timestamp", typed["registered_at"].isna()),
                (
                    "registered_at",
                    "future_dated",
                    typed["registered_at"].dt.normalize() > run_day,
                ),
            ]
        elif table == "transactions":
            for column in ("transaction_type", "product_category", "channel"):
                typed[column] = _lower(typed[column])
            typed["currency"] = _upper(typed["currency"]).map(
                lambda v: v if isinstance(v, str) else reporting_currency
            )
            typed["transaction_at"] = _ts_series(trimmed["transaction_at"])
            typed["amount"] = trimmed["amount"].map(parse_decimal)
            amount_ok = typed["amount"].map(lambda v: isinstance(v, Decimal))
            max_rate = typed["currency"].map(lambda c: max_rates.get(c, Decimal(1)))
            checks = [
                ("transaction_id", "missing_key", trimmed["transaction_id"].isna()),
                ("customer_id", "missing_key", trimmed["customer_id"].isna()),
                ("transaction_at", "missing_value", trimmed["transaction_at"].isna()),
                ("transaction_at", "unparseable_timestamp", typed["transaction_at"].isna()),
                ("transaction_type", "missing_value", trimmed["transaction_type"].isna()),
                (
                    "transaction_type",
                    "unknown_type",
                    ~typed["transaction_type"].isin(TRANSACTION_TYPES),
                ),
                ("amount", "missing_value", trimmed["amount"].isna()),
                ("amount", "unparseable_amount", trimmed["amount"].map(_not_decimal_text)),
                (
                    "amount",
                    "out_of_range",
                    ~amount_ok | (typed["amount"].map(_abs_or_zero) * max_rate >= MONEY_LIMIT),
                ),
                (
                    "amount",
                    "non_positive_amount",
                    typed["amount"].map(lambda v: isinstance(v, Decimal) and v < 0)
                    | (
                        typed["amount"].map(lambda v: isinstance(v, Decimal) and v == 0)
                        & (typed["transaction_type"] == "refund")
                    ),
                ),
                (
                    "transaction_at",
                    "future_dated",
                    typed["transaction_at"].dt.normalize() > run_day,
                ),
                (
                    "currency",
                    "no_fx_rate",
                    (typed["currency"] != reporting_currency)
                    & ~typed["currency"].isin(fx_currencies),
                ),
            ]
        else:
            typed["interaction_type"] = _lower(typed["interaction_type"])
            typed["channel"] = _lower(typed["channel"])
            typed["occurred_at"] = _ts_series(trimmed["occurred_at"])
            score = trimmed["score"].map(parse_number)
            score_present = trimmed["score"].notna()
            typed["score"] = score.map(
                lambda v: float(v) if isinstance(v, Decimal) else None
            ).astype(float)
            checks = [
                ("interaction_id", "missing_key", trimmed["interaction_id"].isna()),
                ("customer_id", "missing_key", trimmed["customer_id"].isna()),
                ("occurred_at", "missing_value", trimmed["occurred_at"].isna()),
                ("occurred_at", "unparseable_timestamp", typed["occurred_at"].isna()),
                ("interaction_type", "missing_value", trimmed["interaction_type"].isna()),
                (
                    "interaction_type",
                    "unknown_type",
                    ~typed["interaction_type"].isin(INTERACTION_TYPES),
                ),
                (
                    "score",
                    "unparseable_number",
                    score_present & ~score.map(lambda v: isinstance(v, Decimal)),
                ),
                (
                    "score",
                    "out_of_range",
                    score.map(lambda v: isinstance(v, Decimal) and not (1 <= v <= 5)),
                ),
                ("occurred_at", "future_dated", typed["occurred_at"].dt.normalize() > run_day),
            ]

        verdict = _ladder(checks, trimmed.index)
        dup = _duplicates(table, trimmed, verdict["rejection_reason"].isna())
        undecided = verdict["rejection_reason"].isna()
        verdict.loc[undecided] = dup.loc[undecided]
        rejected = verdict["rejection_reason"].notna()
        quarantine.append(
            pd.DataFrame(
                {
                    "source_table": table,
                    "raw_row": trimmed.index[rejected],
                    "record_id": trimmed.loc[rejected, ID_COLUMN[table]].to_numpy(),
                    "rejected_column": verdict.loc[rejected, "rejected_column"].to_numpy(),
                    "rejection_reason": verdict.loc[rejected, "rejection_reason"].to_numpy(),
                }
            )
        )
        clean[table] = typed[~rejected].reset_index(drop=True)

    quarantined = pd.concat(quarantine, ignore_index=True)
    return clean, quarantined


# ---------------------------------------------------------------------------
# Sections 2-4: money, time, customer_features
# ---------------------------------------------------------------------------


def load_fx_rates(seeds_dir: Path) -> pd.DataFrame:
    """Seed fx_rates with rate_date as Timestamp and rate_to_reporting as Decimal."""
    fx = pd.read_csv(Path(seeds_dir) / "fx_rates.csv", dtype=str, keep_default_na=False)
    fx["currency"] = fx["currency"].str.strip().str.upper()
    fx["rate_date"] = pd.to_datetime(fx["rate_date"].str.strip())
    fx["rate_to_reporting"] = fx["rate_to_reporting"].str.strip().map(Decimal)
    return fx


def _business_date(ts: pd.Series, business_timezone: str) -> pd.Series:
    """Calendar date (as midnight Timestamp) of naive-UTC timestamps in the business zone."""
    if business_timezone != "UTC":
        local = ts.dt.tz_localize("UTC").dt.tz_convert(business_timezone).dt.tz_localize(None)
        return local.dt.normalize()
    return ts.dt.normalize()


def convert_amounts(
    transactions: pd.DataFrame, fx_rates: pd.DataFrame, reporting_currency: str
) -> pd.Series:
    """Section 2: amounts in the reporting currency (Decimal, 4 places).

    Needs columns amount, currency, business_date. Rate = latest rate_date on or before the
    business date; before the first rate, the first rate.
    """
    converted = transactions["amount"].copy()
    foreign = transactions["currency"] != reporting_currency
    for currency, rows in transactions[foreign].groupby("currency"):
        rates = fx_rates[fx_rates["currency"] == currency].sort_values("rate_date")
        dates = rates["rate_date"].to_numpy()
        position = np.searchsorted(dates, rows["business_date"].to_numpy(), side="right") - 1
        rate = rates["rate_to_reporting"].to_numpy()[np.maximum(position, 0)]
        converted.loc[rows.index] = [
            round_money(a * r) for a, r in zip(rows["amount"], rate, strict=True)
        ]
    return converted


def resolve_as_of_date(
    clean: Mapping[str, pd.DataFrame], as_of_date: dt.date | None, business_timezone: str = "UTC"
) -> pd.Timestamp:
    """Section 3: the var, else the latest business date of any valid transaction."""
    if as_of_date is not None:
        return pd.Timestamp(as_of_date)
    dates = _business_date(clean["transactions"]["transaction_at"], business_timezone)
    return dates.max()


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days between two date Series (nullable Int64)."""
    return (later - earlier).dt.days.astype("Int64")


def customer_features(
    clean: Mapping[str, pd.DataFrame],
    fx_rates: pd.DataFrame,
    *,
    as_of_date: dt.date | None,
    reporting_currency: str = "USD",
    business_timezone: str = "UTC",
) -> pd.DataFrame:
    """Sections 2-4: one row per known customer."""
    as_of = resolve_as_of_date(clean, as_of_date, business_timezone)

    tx = clean["transactions"].copy()
    tx["business_date"] = _business_date(tx["transaction_at"], business_timezone)
    tx = tx[tx["business_date"] <= as_of].copy()
    tx["amount_converted"] = convert_amounts(tx, fx_rates, reporting_currency)
    tx["days_ago"] = (as_of - tx["business_date"]).dt.days
    purchases = tx[tx["transaction_type"] == "purchase"]
    refunds = tx[tx["transaction_type"] == "refund"]

    ix = clean["interactions"].copy()
    ix["business_date"] = _business_date(ix["occurred_at"], business_timezone)
    ix = ix[ix["business_date"] <= as_of].copy()
    ix["days_ago"] = (as_of - ix["business_date"]).dt.days

    cust = clean["customers"].copy()
    cust["registered_date"] = _business_date(cust["registered_at"], business_timezone)

    # Known customers: registered on/before as_of, or with a counted transaction.
    first_tx = tx.groupby("customer_id")["transaction_at"].min().rename("first_transaction_at")
    known_ids = sorted(
        set(cust.loc[cust["registered_date"] <= as_of, "customer_id"]) | set(first_tx.index)
    )
    out = pd.DataFrame(index=pd.Index(known_ids, name="customer_id"))
    record = cust.set_index("customer_id")
    out["has_customer_record"] = out.index.isin(record.index)
    out["country"] = record["country"].reindex(out.index)
    out["acquisition_channel"] = record["acquisition_channel"].reindex(out.index)
    out["as_of_date"] = as_of

    # registered_at
    reg_at = record["registered_at"].reindex(out.index)
    reg_date = record["registered_date"].reindex(out.index)
    first_at = first_tx.reindex(out.index)
    keep_registration = (
        reg_at.notna() & (reg_date <= as_of) & (first_at.isna() | (reg_at <= first_at))
    )
    out["registered_at"] = reg_at.where(keep_registration, first_at)
    registered_date = _business_date(out["registered_at"], business_timezone)

    # Purchases and refunds (section 2 money, section 4 counts)
    by_p = purchases.groupby("customer_id")
    out["order_count"] = by_p.size().reindex(out.index, fill_value=0).astype("int64")
    out["refund_count"] = (
        refunds.groupby("customer_id").size().reindex(out.index, fill_value=0).astype("int64")
    )
    out["gross_revenue"] = by_p["amount_converted"].agg(_dsum).reindex(out.index).map(_or_zero)
    out["refunded_amount"] = (
        refunds.groupby("customer_id")["amount_converted"]
        .agg(_dsum)
        .reindex(out.index)
        .map(_or_zero)
    )
    out["net_revenue"] = [
        g - r for g, r in zip(out["gross_revenue"], out["refunded_amount"], strict=True)
    ]

    days = (
        purchases.groupby(["customer_id", "business_date"])["amount_converted"]
        .agg(_dsum)
        .rename("day_total")
        .reset_index()
        .sort_values(["customer_id", "business_date"])
    )
    days["day_number"] = days.groupby("customer_id").cumcount()
    by_day = days.groupby("customer_id")
    out["purchase_days"] = by_day.size().reindex(out.index, fill_value=0).astype("int64")
    out["first_purchase_date"] = by_day["business_date"].min().reindex(out.index)
    out["last_purchase_date"] = by_day["business_date"].max().reindex(out.index)
    out["first_purchase_at"] = by_p["transaction_at"].min().reindex(out.index)
    out["last_purchase_at"] = by_p["transaction_at"].max().reindex(out.index)
    buyer = out["purchase_days"] > 0

    as_of_series = pd.Series(as_of, index=out.index)
    out["recency_days"] = _days(as_of_series, out["last_purchase_date"])
    out["repeat_purchase_days"] = (out["purchase_days"] - 1).astype("Int64").where(buyer)
    out["btyd_recency_days"] = _days(out["last_purchase_date"], out["first_purchase_date"])
    out["customer_age_days"] = _days(as_of_series, out["first_purchase_date"])

    repeat_days = days[days["day_number"] > 0].groupby("customer_id")["day_total"]
    repeat_sum = repeat_days.agg(_dsum).reindex(out.index)
    repeat_n = repeat_days.size().reindex(out.index, fill_value=0)
    out["avg_repeat_purchase_value"] = [
        None if not b else (ZERO if n == 0 else s / n)
        for b, s, n in zip(buyer, repeat_sum, repeat_n, strict=True)
    ]
    out["avg_order_value"] = [
        g / n if n > 0 else None
        for g, n in zip(out["gross_revenue"], out["order_count"], strict=True)
    ]
    out["tenure_days"] = _days(as_of_series, registered_date)
    out["days_to_first_purchase"] = _days(out["first_purchase_date"], registered_date)

    previous_day = (
        days[days["day_number"] == days.groupby("customer_id")["day_number"].transform("max") - 1]
        .set_index("customer_id")["business_date"]
        .reindex(out.index)
    )
    several = out["purchase_days"] >= 2
    out["last_purchase_gap_days"] = _days(out["last_purchase_date"], previous_day).where(several)
    out["mean_purchase_gap_days"] = (
        out["btyd_recency_days"].astype(float) / out["repeat_purchase_days"].astype(float)
    ).where(several)

    def window_sum(frame: pd.DataFrame, low: int, high: int) -> pd.Series:
        rows = frame[(frame["days_ago"] >= low) & (frame["days_ago"] < high)]
        sums = rows.groupby("customer_id")["amount_converted"].agg(_dsum).reindex(out.index)
        return sums.map(_or_zero)

    out["spend_last_90_days"] = window_sum(purchases, 0, 90)
    out["spend_previous_90_days"] = window_sum(purchases, 90, 180)
    out["distinct_categories"] = (
        purchases.dropna(subset=["product_category"])
        .groupby("customer_id")["product_category"]
        .nunique()
        .reindex(out.index, fill_value=0)
        .astype("int64")
    )
    channel_counts = (
        purchases.dropna(subset=["channel"])
        .groupby(["customer_id", "channel"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["customer_id", "n", "channel"], ascending=[True, False, True])
        .drop_duplicates("customer_id")
        .set_index("customer_id")["channel"]
    )
    out["preferred_channel"] = channel_counts.reindex(out.index)

    # Interactions
    def count(kind: str, low: int = 0, high: int | None = None) -> pd.Series:
        rows = ix[ix["interaction_type"] == kind]
        rows = rows[rows["days_ago"] >= low]
        if high is not None:
            rows = rows[rows["days_ago"] < high]
        return rows.groupby("customer_id").size().reindex(out.index, fill_value=0).astype("int64")

    out["visits_last_30_days"] = count("visit", 0, 30)
    out["visits_last_90_days"] = count("visit", 0, 90)
    out["visits_previous_60_days"] = count("visit", 30, 90)
    out["email_opens_last_90_days"] = count("email_open", 0, 90)
    out["email_clicks_last_90_days"] = count("email_click", 0, 90)
    out["support_tickets"] = count("support_ticket")
    out["support_tickets_last_90_days"] = count("support_ticket", 0, 90)
    out["complaints"] = count("complaint")
    out["complaints_last_90_days"] = count("complaint", 0, 90)
    out["referrals"] = count("referral")
    reviews = ix[(ix["interaction_type"] == "review") & ix["score"].notna()]
    out["review_count"] = (
        reviews.groupby("customer_id").size().reindex(out.index, fill_value=0).astype("int64")
    )
    out["avg_review_score"] = reviews.groupby("customer_id")["score"].mean().reindex(out.index)
    by_ix = ix.groupby("customer_id")
    out["last_interaction_at"] = by_ix["occurred_at"].max().reindex(out.index)
    out["days_since_last_interaction"] = _days(
        as_of_series, by_ix["business_date"].max().reindex(out.index)
    )
    out["is_buyer"] = buyer
    # email_hash needs env var CUSTSEG_PII_SALT (not a RULES.md rule); null without salt.
    out["email_hash"] = None
    return out.reset_index()


# ---------------------------------------------------------------------------
# Sections 5-11: customer_segments
# ---------------------------------------------------------------------------


def _read_seed(seeds_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(Path(seeds_dir) / f"{name}.csv", dtype=str, keep_default_na=False)


def _count_not_better(values: pd.Series, higher_is_better: bool) -> pd.Series:
    """Per row: how many rows have a value no better than this one (ties included)."""
    ranked = values.astype(object).rank(method="max", ascending=higher_is_better)
    return ranked.astype("int64")


def _count_strictly_worse(values: pd.Series, higher_is_better: bool) -> pd.Series:
    """Per row: how many rows have a strictly worse value."""
    ranked = values.astype(object).rank(method="min", ascending=higher_is_better)
    return ranked.astype("int64") - 1


def rfm_scores(buyers: pd.DataFrame, bins: int) -> pd.DataFrame:
    """Section 5: ceil(n * c / N) per dimension, c = buyers no better than this one."""
    n_buyers = len(buyers)
    measures = {
        "recency_score": (buyers["recency_days"].astype("int64"), False),
        "frequency_score": (buyers["order_count"].astype("int64"), True),
        "monetary_score": (_money_int(buyers["net_revenue"]), True),
    }
    scores = pd.DataFrame(index=buyers.index)
    for name, (values, higher) in measures.items():
        c = _count_not_better(values, higher)
        scores[name] = (bins * c + n_buyers - 1) // n_buyers  # integer ceil
    return scores


def _round_ratio(numerator: pd.Series, denominator: int) -> pd.Series:
    """round(numerator / denominator, 4 decimals) half up, as integer ten-thousandths.

    numerator/denominator are exact Python ints (object dtype); the values are >= 0.
    """
    return (numerator * (2 * SCORE_SCALE) + denominator) // (2 * denominator)


def value_scores(buyers: pd.DataFrame, seeds_dir: Path) -> pd.DataFrame:
    """Section 7: dimension scores and value_score (4 decimals) for the buyers."""
    components = _read_seed(seeds_dir, "value_score_components")
    dimension_weights = _read_seed(seeds_dir, "value_score_weights")
    n_buyers = len(buyers)
    measures: dict[str, pd.Series] = {
        "net_revenue": _money_int(buyers["net_revenue"]),
        "order_count": buyers["order_count"].astype("int64"),
        "recency_days": buyers["recency_days"].astype("int64"),
        "visits_last_30_days": buyers["visits_last_30_days"].astype("int64"),
        "email_engagement_last_90_days": (
            buyers["email_opens_last_90_days"] + buyers["email_clicks_last_90_days"]
        ).astype("int64"),
        "tenure_days": buyers["tenure_days"].astype("int64"),
        "repeat_purchase_days": buyers["repeat_purchase_days"].astype("int64"),
        "complaints": buyers["complaints"].astype("int64"),
        "spend_growth_90_days": _money_int(buyers["spend_last_90_days"])
        - _money_int(buyers["spend_previous_90_days"]),
        "distinct_categories": buyers["distinct_categories"].astype("int64"),
        "referrals": buyers["referrals"].astype("int64"),
        "customer_age_days": buyers["customer_age_days"].astype("int64"),
    }
    # p = 100 * worse / (N - 1) is carried as the exact ratio (100 * worse) / p_den.
    p_den = max(n_buyers - 1, 1)
    scores = pd.DataFrame(index=buyers.index)
    weight_scale = 10**6
    for dimension, rows in components.groupby("dimension", sort=False):
        numerator = pd.Series(0, index=buyers.index, dtype=object)
        weight_total = 0
        for row in rows.itertuples():
            weight = int(Fraction(row.weight) * weight_scale)
            higher = row.higher_is_better.strip().lower() == "true"
            if n_buyers == 1:
                p_times_den = pd.Series(100 * p_den, index=buyers.index, dtype=object)
            else:
                worse = _count_strictly_worse(measures[row.measure], higher)
                p_times_den = worse.astype(object) * 100
            numerator = numerator + p_times_den * weight
            weight_total += weight
        scores[f"{dimension}_score"] = _round_ratio(numerator, weight_total * p_den)
    numerator = pd.Series(0, index=buyers.index, dtype=object)
    weight_total = 0
    for row in dimension_weights.itertuples():
        weight = int(Fraction(row.weight) * weight_scale)
        numerator = numerator + scores[f"{row.dimension}_score"].astype(object) * weight
        weight_total += weight
    # value = sum(W * s) / sum(W) with s in ten-thousandths -> divide by SCORE_SCALE too.
    scores["value_score"] = _round_ratio(numerator, weight_total * SCORE_SCALE)
    return scores  # integer ten-thousandths


def _pyramid_and_abc(features: pd.DataFrame, v: Mapping[str, Any]) -> pd.DataFrame:
    """Section 6."""
    net = _money_int(features["net_revenue"])
    positive = net > 0
    m = int(positive.sum())
    total = int(net[positive].sum()) if m else 0
    tier = pd.Series("Inactive", index=features.index, dtype=object)
    abc = pd.Series("none", index=features.index, dtype=object)
    if m:
        pos = net[positive].astype("int64")
        rank = pos.rank(method="min", ascending=False).astype("int64")
        top, big, medium = (
            _fraction(v["pyramid_top_share"]),
            _fraction(v["pyramid_big_share"]),
            _fraction(v["pyramid_medium_share"]),
        )
        tier[positive] = [
            "Top"
            if r - 1 < top * m
            else "Big"
            if r - 1 < big * m
            else "Medium"
            if r - 1 < medium * m
            else "Small"
            for r in rank
        ]
        # before = sum of net revenue of customers with strictly higher net revenue
        per_value = pos.groupby(pos).sum().sort_index(ascending=False)
        higher_sum = per_value.cumsum() - per_value
        before = pos.map(higher_sum)
        a_share, b_share = _fraction(v["abc_a_share"]), _fraction(v["abc_b_share"])
        abc[positive] = [
            "A" if b < a_share * total else "B" if b < b_share * total else "C"
            for b in before.astype(object)
        ]
    return pd.DataFrame({"pyramid_tier": tier, "abc_class": abc})


def _churn(features: pd.DataFrame, v: Mapping[str, Any]) -> pd.DataFrame:
    """Section 8 (exact comparisons)."""
    factor = _fraction(v["churn_overdue_factor"])
    pdays = features["purchase_days"]
    recency = features["recency_days"]
    btyd = features["btyd_recency_days"]
    repeat = features["repeat_purchase_days"]
    overdue_repeat = [
        bool(p >= 2 and r * rp > factor * b)  # recency > factor * btyd / repeat
        for p, r, b, rp in zip(pdays, recency, btyd, repeat, strict=True)
    ]
    overdue = pd.Series(overdue_repeat, index=features.index) | (
        (pdays == 1) & (recency > int(v["churn_single_purchase_overdue_days"])).fillna(False)
    )
    ratio = _fraction(v["churn_visit_drop_ratio"])
    v30, v60 = features["visits_last_30_days"], features["visits_previous_60_days"]
    falling_visits = pd.Series(
        [
            bool(p >= int(v["churn_visit_min_previous"]) and 2 * a < ratio * p)
            for a, p in zip(v30, v60, strict=True)
        ],
        index=features.index,
    )
    complaints = features["complaints_last_90_days"] >= int(v["churn_complaints_threshold"])
    spend_ratio = _fraction(v["churn_spend_drop_ratio"])
    falling_spend = pd.Series(
        [
            bool(prev > 0 and Fraction(last) < spend_ratio * Fraction(prev))
            for last, prev in zip(
                features["spend_last_90_days"], features["spend_previous_90_days"], strict=True
            )
        ],
        index=features.index,
    )
    signals = pd.DataFrame(
        {
            "overdue": overdue.astype(bool),
            "falling_visits": falling_visits,
            "recent_complaints": complaints.astype(bool),
            "falling_spend": falling_spend,
        }
    )
    fired = signals.sum(axis=1)
    high = int(v["churn_high_min_signals"])
    risk = np.where(fired >= high, "high", np.where(fired >= 1, "medium", "low"))
    reasons = signals.apply(
        lambda r: ",".join(name for name in CHURN_SIGNALS if r[name]) or "none", axis=1
    )
    return pd.DataFrame({"churn_risk": risk, "churn_risk_reasons": reasons}, index=features.index)


RISK_ORDER = {"low": 0, "medium": 1, "high": 2}


def _value_tier(seg: pd.DataFrame, seeds_dir: Path) -> pd.Series:
    """Section 9: first matching rule of seed value_tier_rules."""
    rules = _read_seed(seeds_dir, "value_tier_rules")
    rules["rule_order"] = rules["rule_order"].astype(int)
    rules = rules.sort_values("rule_order")
    tier = pd.Series(None, index=seg.index, dtype=object)
    buyer = seg["is_buyer"].astype(bool)
    risk = seg["churn_risk"].map(RISK_ORDER)
    growth = _money_int(seg["spend_last_90_days"]) > _money_int(seg["spend_previous_90_days"])
    for rule in rules.itertuples():
        kind = rule.customer_type.strip()
        match = buyer.copy() if kind == "buyer" else ~buyer if kind == "prospect" else buyer | True
        for column, score in (
            ("min_contribution_score", "contribution_score"),
            ("min_activity_score", "activity_score"),
            ("min_loyalty_score", "loyalty_score"),
            ("min_potential_score", "potential_score"),
        ):
            bound = getattr(rule, column).strip()
            if bound:
                limit = Fraction(bound) * SCORE_SCALE
                match &= seg[f"_{score}_int"].map(
                    lambda s, lim=limit: isinstance(s, int) and s >= lim
                )
        max_age = rule.max_customer_age_days.strip()
        if max_age:
            match &= (seg["customer_age_days"] <= int(max_age)).fillna(False).astype(bool)
        if rule.requires_spend_growth.strip().lower() == "true":
            match &= growth
        max_risk = rule.max_churn_risk.strip()
        if max_risk:
            match &= risk <= RISK_ORDER[max_risk]
        hit = match & tier.isna()
        tier[hit] = rule.value_tier
    return tier


def _lifecycle(seg: pd.DataFrame, v: Mapping[str, Any]) -> pd.Series:
    """Section 10."""
    pdays = seg["purchase_days"]
    recency = seg["recency_days"].astype(float)
    gap = seg["last_purchase_gap_days"].astype(float)
    dormant = int(v["dormant_after_days"])
    conditions = [
        pdays == 0,
        recency >= int(v["churned_after_days"]),
        recency >= dormant,
        (pdays >= 2) & (gap >= dormant),
        pdays == 1,
        (pdays >= int(v["loyal_min_purchase_days"])) & (seg["value_tier"] == v["loyal_value_tier"]),
    ]
    stages = ["prospect", "churned", "dormant", "reactivated", "new", "loyal"]
    return pd.Series(np.select(conditions, stages, default="active"), index=seg.index)


def control_group(customer_ids: pd.Series, salt: str, share: Any) -> pd.Series:
    """Section 11: first 8 hex digits of md5(salt || id) < round(share * 2^32)."""
    limit = round(_fraction(share) * 2**32)
    return customer_ids.map(
        lambda cid: int(hashlib.md5((salt + cid).encode()).hexdigest()[:8], 16) < limit
    )


def customer_segments(
    features: pd.DataFrame, seeds_dir: Path, *, vars: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Sections 5-11: one row per known customer."""
    v = {**DEFAULT_VARS, **(vars or {})}
    seg = features.reset_index(drop=True).copy()
    buyer = seg["is_buyer"].astype(bool)
    buyers = seg[buyer]

    # Section 5: RFM
    rfm = rfm_scores(buyers, int(v["rfm_bins"])) if len(buyers) else pd.DataFrame()
    for column in ("recency_score", "frequency_score", "monetary_score"):
        seg[column] = (rfm[column] if len(buyers) else pd.Series(dtype="int64")).reindex(seg.index)
        seg[column] = seg[column].astype("Int64")
    seg["rfm_cell"] = None
    seg.loc[buyer, "rfm_cell"] = (
        seg.loc[buyer, "recency_score"].astype(str)
        + seg.loc[buyer, "frequency_score"].astype(str)
        + seg.loc[buyer, "monetary_score"].astype(str)
    )
    grid = _read_seed(seeds_dir, "rfm_segment_grid")
    grid = grid[grid["grid"] == v["rfm_segment_grid"]]
    cell_segment = dict(
        zip(
            grid["recency_score"] + grid["frequency_score"] + grid["monetary_score"],
            grid["rfm_segment"],
            strict=True,
        )
    )
    seg["rfm_segment"] = seg["rfm_cell"].map(cell_segment).where(buyer, "Prospect")

    # Section 6
    seg = seg.join(_pyramid_and_abc(seg, v))

    # Section 7
    dims = ("contribution", "activity", "loyalty", "potential")
    scores = value_scores(buyers, seeds_dir) if len(buyers) else pd.DataFrame()
    for name in [*(f"{d}_score" for d in dims), "value_score"]:
        ints = scores[name] if len(buyers) else pd.Series(dtype=object)
        seg[f"_{name}_int"] = ints.reindex(seg.index).astype(object).where(buyer, None)
        seg[name] = seg[f"_{name}_int"].map(
            lambda s: s / SCORE_SCALE if isinstance(s, int) else None
        )
        seg[name] = seg[name].astype(float)

    # Section 8-10
    seg = seg.join(_churn(seg, v))
    seg["value_tier"] = _value_tier(seg, seeds_dir)
    seg["lifecycle_stage"] = _lifecycle(seg, v)

    # Section 11
    seg["is_control_group"] = control_group(
        seg["customer_id"], str(v["control_group_salt"]), v["control_group_share"]
    )
    playbook = _read_seed(seeds_dir, "segment_playbook")
    playbook = playbook[playbook["scheme"] == v["playbook_scheme"]].set_index("segment")
    key = seg[v["playbook_scheme"]]
    seg["segment_goal"] = key.map(playbook["goal"])
    seg["recommended_action"] = key.map(playbook["recommended_action"])
    seg["target_kpi"] = key.map(playbook["target_kpi"])
    seg["action_channel"] = key.map(playbook["channel"])

    columns = [
        "customer_id",
        "rfm_cell",
        "rfm_segment",
        "pyramid_tier",
        "abc_class",
        "value_tier",
        "lifecycle_stage",
        "churn_risk",
        "churn_risk_reasons",
        "segment_goal",
        "recommended_action",
        "target_kpi",
        "action_channel",
        "recency_score",
        "frequency_score",
        "monetary_score",
        "contribution_score",
        "activity_score",
        "loyalty_score",
        "potential_score",
        "value_score",
        "purchase_days",
        "order_count",
        "recency_days",
        "gross_revenue",
        "net_revenue",
        "is_buyer",
        "is_control_group",
        "as_of_date",
        # helpers for segment_summary
        "repeat_purchase_days",
    ]
    return seg[columns].copy()


# ---------------------------------------------------------------------------
# Section 12: segment_summary
# ---------------------------------------------------------------------------


def segment_summary(segments: pd.DataFrame, seeds_dir: Path | None = None) -> pd.DataFrame:
    """Section 12: one row per scheme and segment present.

    Ratios are floats; net_revenue is an exact Decimal; segment_rank/goal/kpi/action come
    from seed segment_playbook when ``seeds_dir`` is given.
    """
    total_customers = len(segments)
    total_net = _dsum(segments["net_revenue"])
    rows: list[dict[str, Any]] = []
    for scheme in SCHEMES:
        for segment, group in segments.groupby(scheme, sort=True):
            n = len(group)
            net = _dsum(group["net_revenue"])
            gross = _dsum(group["gross_revenue"])
            orders = int(group["order_count"].sum())
            buyers = group[group["is_buyer"].astype(bool)]
            n_buyers = len(buyers)
            rows.append(
                {
                    "segmentation_scheme": scheme,
                    "segment": segment,
                    "customers": n,
                    "share_of_customers": n / total_customers,
                    "net_revenue": net,
                    "share_of_revenue": float(net / total_net) if total_net != 0 else None,
                    "avg_order_value": float(gross / orders) if orders else None,
                    "avg_recency_days": (
                        float(buyers["recency_days"].astype(float).mean()) if n_buyers else None
                    ),
                    "repurchase_rate": (
                        float((buyers["purchase_days"] >= 2).sum() / n_buyers) if n_buyers else None
                    ),
                    "churn_rate": float((group["lifecycle_stage"] == "churned").sum() / n),
                    "dormant_or_churned_share": float(
                        group["lifecycle_stage"].isin(["dormant", "churned"]).sum() / n
                    ),
                    "high_churn_risk_share": float((group["churn_risk"] == "high").sum() / n),
                    "avg_historic_clv": float(net / n),
                    "control_group_customers": int(group["is_control_group"].sum()),
                }
            )
    summary = pd.DataFrame(rows)
    if seeds_dir is not None:
        playbook = _read_seed(seeds_dir, "segment_playbook").rename(
            columns={"scheme": "segmentation_scheme", "goal": "segment_goal"}
        )
        playbook["segment_rank"] = playbook["segment_rank"].astype(int)
        summary = summary.merge(
            playbook[
                [
                    "segmentation_scheme",
                    "segment",
                    "segment_rank",
                    "segment_goal",
                    "target_kpi",
                    "recommended_action",
                ]
            ],
            on=["segmentation_scheme", "segment"],
            how="left",
        )
    return summary


# ---------------------------------------------------------------------------
# Everything
# ---------------------------------------------------------------------------


def compute_all(
    raw_dir: Path,
    seeds_dir: Path,
    *,
    as_of_date: dt.date | None = None,
    run_date: dt.date | None = None,
    fmt: str = "csv",
    vars: Mapping[str, Any] | None = None,
) -> dict[str, pd.DataFrame]:
    """All oracle marts for one raw data set (default vars unless ``vars`` overrides them)."""
    v = {**DEFAULT_VARS, **(vars or {})}
    if v["business_timezone"] != "UTC":
        raise NotImplementedError("the oracle implements business_timezone UTC only")
    run_date = run_date or dt.datetime.now(dt.UTC).date()
    fx = load_fx_rates(seeds_dir)
    raw = load_raw(raw_dir, fmt)
    clean, quarantined = validate(
        raw, fx, reporting_currency=v["reporting_currency"], run_date=run_date
    )
    features = customer_features(
        clean,
        fx,
        as_of_date=as_of_date,
        reporting_currency=v["reporting_currency"],
        business_timezone=v["business_timezone"],
    )
    segments = customer_segments(features, seeds_dir, vars=v)
    summary = segment_summary(segments, seeds_dir)
    return {
        "customer_features": features,
        "customer_segments": segments,
        "segment_summary": summary,
        "quarantined_rows": quarantined,
    }

"""Section 1 of docs/RULES.md: typed, normalised valid rows and the quarantine of rejected rows.

Each rejected raw row gets the first failing (column, reason) of its table's check ladder;
rows passing every check can still be duplicates (duplicate_delivery / conflicting_duplicate_id).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import pandas as pd

from custseg.contract import COLUMNS, TABLES
from custseg.oracle.defaults import DEFAULT_VARS
from custseg.oracle.reading import _text_or_none
from custseg.oracle.values import (
    MONEY_LIMIT,
    _abs_or_zero,
    _not_decimal_text,
    parse_decimal,
    parse_number,
    parse_timestamp,
)

ID_COLUMN: dict[str, str] = {
    "customers": "customer_id",
    "transactions": "transaction_id",
    "interactions": "interaction_id",
}
TRANSACTION_TYPES: frozenset[str] = frozenset({"purchase", "refund"})
INTERACTION_TYPES: frozenset[str] = frozenset(
    {"visit", "email_open", "email_click", "support_ticket", "complaint", "referral", "review"}
)


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
    reporting_currency: str = DEFAULT_VARS["reporting_currency"],
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

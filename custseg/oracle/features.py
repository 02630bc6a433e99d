"""Sections 2-4 of docs/RULES.md: money conversion, the as-of date and customer_features."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from custseg.oracle.defaults import DEFAULT_VARS
from custseg.oracle.values import ZERO, _dsum, _or_zero, round_money


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
    clean: Mapping[str, pd.DataFrame],
    as_of_date: dt.date | None,
    business_timezone: str = DEFAULT_VARS["business_timezone"],
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
    reporting_currency: str = DEFAULT_VARS["reporting_currency"],
    business_timezone: str = DEFAULT_VARS["business_timezone"],
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
    # identity_resolution none (the oracle's rules): every row is one customer id.
    out["merged_customer_ids"] = 1
    return out.reset_index()

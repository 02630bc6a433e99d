"""System (c), pandas (pyarrow strings): the cleaning of the raw contract shared with
lifetimes, and the core outputs (the timed process ``_pandas``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from custseg.benchmark.common import (
    CORE_COLUMNS,
    CUSTOMER_COLUMNS,
    DECIMAL_PATTERN,
    MONEY_SCALE,
    RATE_SCALE,
    REPORTING_CURRENCY,
    RFM_BINS,
    RFM_GRID,
    TX_COLUMNS,
)
from custseg.benchmark.system_args import _leg_arguments


def _pandas_clean(data_dir: Path, seeds_dir: Path, run_date: str, as_of_date: str) -> Any:
    """Accepted transactions (as of as_of_date, converted) and known-customer ids, in pandas.

    Returns (transactions, registered_ids): transactions with customer_id, is_purchase,
    business_date (datetime64) and amount_e4 (int64, 1/10000 of the reporting currency).
    """
    import pandas as pd

    run_day = pd.Timestamp(run_date)
    as_of = pd.Timestamp(as_of_date)

    fx = pd.read_csv(seeds_dir / "fx_rates.csv", dtype=str)
    fx["currency"] = fx["currency"].str.strip().str.upper()
    fx["rate_date"] = pd.to_datetime(fx["rate_date"].str.strip()).astype("datetime64[ns]")
    fx["rate_e6"] = (fx["rate_to_reporting"].astype(float) * RATE_SCALE).round().astype("int64")
    fx = fx.sort_values("rate_date")

    def trimmed(frame: pd.DataFrame) -> pd.DataFrame:
        for column in frame.columns:
            text = frame[column].str.strip()
            frame[column] = text.mask(text == "")
        return frame

    def utc(text: pd.Series) -> pd.Series:
        parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
        return parsed.dt.tz_localize(None).astype("datetime64[ns]")

    def dedupe(frame: pd.DataFrame, id_column: str, columns: Sequence[str]) -> pd.DataFrame:
        """Identical re-deliveries kept once; ids whose rows differ dropped entirely."""
        repeated = frame[id_column].duplicated(keep=False)
        if not repeated.any():
            return frame
        distinct = frame.loc[repeated, list(columns)].drop_duplicates()
        conflicting = distinct[id_column][distinct[id_column].duplicated()].unique()
        keep = ~repeated | (frame.index.isin(distinct.index) & ~frame[id_column].isin(conflicting))
        return frame[keep]

    # transactions
    tx = trimmed(pd.read_parquet(data_dir / "transactions.parquet", columns=list(TX_COLUMNS)))
    at = utc(tx["transaction_at"])
    kind = tx["transaction_type"].str.lower()
    currency = tx["currency"].str.upper().fillna(REPORTING_CURRENCY)
    amount_text = tx["amount"].where(tx["amount"].str.fullmatch(DECIMAL_PATTERN, na=False))
    amount_e4 = (pd.to_numeric(amount_text) * MONEY_SCALE).round()
    valid = (
        tx["transaction_id"].notna()
        & tx["customer_id"].notna()
        & at.notna()
        & kind.isin(["purchase", "refund"])
        & ((amount_e4 > 0) | ((amount_e4 == 0) & (kind == "purchase")))  # free orders count
        & (at.dt.normalize() <= run_day)
        & ((currency == REPORTING_CURRENCY) | currency.isin(fx["currency"]))
    )
    tx = tx.assign(
        is_purchase=kind == "purchase",
        currency_code=currency,
        business_date=at.dt.normalize(),
        amount_e4=amount_e4.fillna(0).astype("int64"),
    )[valid.to_numpy()]
    tx = dedupe(tx, "transaction_id", TX_COLUMNS)
    tx = tx.loc[
        tx["business_date"] <= as_of,
        ["customer_id", "is_purchase", "currency_code", "business_date", "amount_e4"],
    ]

    # FX: the latest rate on or before the business date; before the first rate, the first
    foreign = tx["currency_code"] != REPORTING_CURRENCY
    if foreign.any():
        rows = tx.loc[foreign, ["currency_code", "business_date", "amount_e4"]]
        rows = rows.reset_index().sort_values("business_date")
        matched = pd.merge_asof(
            rows,
            fx[["currency", "rate_date", "rate_e6"]],
            left_on="business_date",
            right_on="rate_date",
            left_by="currency_code",
            right_by="currency",
            direction="backward",
        )
        first_rate = fx.groupby("currency")["rate_e6"].first()
        rate = matched["rate_e6"].fillna(matched["currency_code"].map(first_rate))
        product = matched["amount_e4"].to_numpy() * rate.astype("int64").to_numpy()
        converted = (product + RATE_SCALE // 2) // RATE_SCALE  # half away from zero (> 0)
        tx.loc[matched["index"].to_numpy(), "amount_e4"] = converted

    # customers: registered (valid, deduplicated) on or before as_of_date
    cust = trimmed(pd.read_parquet(data_dir / "customers.parquet", columns=list(CUSTOMER_COLUMNS)))
    registered = utc(cust["registered_at"])
    valid = cust["customer_id"].notna() & registered.notna()
    valid &= registered.dt.normalize() <= run_day
    cust = cust.assign(registered_date=registered.dt.normalize())[valid.to_numpy()]
    cust = dedupe(cust, "customer_id", CUSTOMER_COLUMNS)
    registered_ids = cust.loc[cust["registered_date"] <= as_of, "customer_id"]
    return tx, registered_ids


def _pandas_main(argv: Sequence[str]) -> int:
    """Timed process (c): the core outputs in pandas."""
    import numpy as np
    import pandas as pd

    args = _leg_arguments("benchmark _pandas", argv)
    tx, registered_ids = _pandas_clean(
        args.data_dir, args.seeds_dir, args.run_date, args.as_of_date
    )
    as_of = pd.Timestamp(args.as_of_date)

    amount = tx["amount_e4"].to_numpy()
    purchase = tx["is_purchase"].to_numpy()
    money = (
        pd.DataFrame(
            {
                "customer_id": tx["customer_id"].to_numpy(),
                "order_count": purchase.astype("int64"),
                "gross_revenue": np.where(purchase, amount, 0),
                "refunded_amount": np.where(purchase, 0, amount),
            }
        )
        .groupby("customer_id", sort=False)[["order_count", "gross_revenue", "refunded_amount"]]
        .sum()
    )
    days = (
        tx.loc[tx["is_purchase"], ["customer_id", "business_date"]]
        .drop_duplicates()
        .groupby("customer_id", sort=False)["business_date"]
        .agg(["size", "min", "max"])
    )

    known = pd.Index(registered_ids.unique()).union(money.index)
    out = money.reindex(known, fill_value=0)
    out.index.name = "customer_id"
    days = days.reindex(known)
    out["purchase_days"] = days["size"].fillna(0).astype("int64")
    out["net_revenue"] = out["gross_revenue"] - out["refunded_amount"]
    buyer = out["purchase_days"] > 0
    out["recency_days"] = (as_of - days["max"]).dt.days.astype("Int64")
    out["repeat_purchase_days"] = (out["purchase_days"] - 1).astype("Int64").where(buyer)
    out["btyd_recency_days"] = (days["max"] - days["min"]).dt.days.astype("Int64")
    out["customer_age_days"] = (as_of - days["min"]).dt.days.astype("Int64")

    # RFM: c = buyers no better than this one (ties included); score = ceil(5 c / N)
    buyers = out[buyer]
    n_buyers = len(buyers)
    for name, values, ascending in (
        ("recency_score", buyers["recency_days"], False),
        ("frequency_score", buyers["order_count"], True),
        ("monetary_score", buyers["net_revenue"], True),
    ):
        c = values.rank(method="max", ascending=ascending).astype("int64")
        out[name] = ((RFM_BINS * c + n_buyers - 1) // n_buyers).reindex(out.index).astype("Int64")

    grid = pd.read_csv(args.seeds_dir / "rfm_segment_grid.csv")
    grid = grid[grid["grid"] == RFM_GRID].drop(columns="grid")
    out = out.reset_index().merge(
        grid, on=["recency_score", "frequency_score", "monetary_score"], how="left"
    )
    out["rfm_segment"] = out["rfm_segment"].where(out["purchase_days"] > 0, "Prospect")
    out[list(CORE_COLUMNS)].sort_values("customer_id").to_parquet(args.out, index=False)
    return 0

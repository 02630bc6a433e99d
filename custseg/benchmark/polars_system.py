"""System (d), polars: the core outputs with one lazy query (the timed process ``_polars``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

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


def _polars_main(argv: Sequence[str]) -> int:
    """Timed process (d): the core outputs with a polars lazy query."""
    import polars as pl

    args = _leg_arguments("benchmark _polars", argv)
    run_day = dt.date.fromisoformat(args.run_date)
    as_of = dt.date.fromisoformat(args.as_of_date)

    def trimmed(columns: Sequence[str]) -> list[pl.Expr]:
        return [
            pl.col(c).str.strip_chars().replace("", None).alias(c) for c in columns
        ]  # blank = missing

    def utc(column: str) -> pl.Expr:
        """ISO-8601 text (space or T, optional Z/±HH:MM) -> naive UTC datetime; null if not."""
        text = pl.col(column).str.replace("T", " ", literal=True).str.replace(r"Z$", "+00:00")
        text = (
            pl.when(text.str.len_chars() == 10)
            .then(text + " 00:00:00")
            .otherwise(text)
            .str.replace(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?)$", "${1}+00:00")
        )
        return (
            text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%:z", time_zone="UTC", strict=False)
            .dt.replace_time_zone(None)
            .alias(f"{column}_utc")
        )

    def dedupe(frame: pl.LazyFrame, id_column: str, columns: Sequence[str]) -> pl.LazyFrame:
        """Identical re-deliveries kept once; ids whose rows differ dropped entirely."""
        counted = frame.with_columns(pl.len().over(id_column).alias("_deliveries"))
        repeated = (
            counted.filter(pl.col("_deliveries") > 1)
            .unique(subset=list(columns), keep="first", maintain_order=True)
            .filter(pl.len().over(id_column) == 1)
        )
        single = counted.filter(pl.col("_deliveries") == 1)
        return pl.concat([single, repeated]).drop("_deliveries")

    fx = (
        pl.scan_csv(args.seeds_dir / "fx_rates.csv", infer_schema=False)
        .select(
            pl.col("currency").str.strip_chars().str.to_uppercase(),
            pl.col("rate_date").str.strip_chars().str.to_date("%Y-%m-%d"),
            (pl.col("rate_to_reporting").cast(pl.Float64) * RATE_SCALE)
            .round()
            .cast(pl.Int64)
            .alias("rate_e6"),
        )
        .sort("rate_date")
        .collect()
    )
    currencies = [*fx["currency"].unique().to_list(), REPORTING_CURRENCY]
    first_rate = fx.group_by("currency").agg(pl.col("rate_e6").first().alias("first_rate"))

    tx = (
        pl.scan_parquet(args.data_dir / "transactions.parquet")
        .select(trimmed(TX_COLUMNS))
        .with_columns(
            utc("transaction_at"),
            pl.col("transaction_type").str.to_lowercase().alias("kind"),
            pl.col("currency").str.to_uppercase().fill_null(REPORTING_CURRENCY).alias("code"),
            pl.when(pl.col("amount").str.contains(f"^{DECIMAL_PATTERN}$"))
            .then(pl.col("amount").cast(pl.Float64, strict=False) * MONEY_SCALE)
            .round()
            .cast(pl.Int64)
            .alias("amount_e4"),
        )
        .filter(
            pl.col("transaction_id").is_not_null(),
            pl.col("customer_id").is_not_null(),
            pl.col("transaction_at_utc").is_not_null(),
            pl.col("kind").is_in(["purchase", "refund"]),
            (pl.col("amount_e4") > 0)
            | ((pl.col("amount_e4") == 0) & (pl.col("kind") == "purchase")),
            pl.col("transaction_at_utc").dt.date() <= run_day,
            pl.col("code").is_in(currencies),
        )
    )
    tx = (
        dedupe(tx, "transaction_id", TX_COLUMNS)
        .select(
            "customer_id",
            "code",
            "amount_e4",
            (pl.col("kind") == "purchase").alias("is_purchase"),
            pl.col("transaction_at_utc").dt.date().alias("business_date"),
        )
        .filter(pl.col("business_date") <= as_of)
        .sort("business_date")
        .join_asof(
            fx.lazy(),
            left_on="business_date",
            right_on="rate_date",
            by_left="code",
            by_right="currency",
            strategy="backward",
        )
        .join(first_rate.lazy(), left_on="code", right_on="currency", how="left")
        .with_columns(
            pl.when(pl.col("code") == REPORTING_CURRENCY)
            .then(pl.col("amount_e4"))
            .otherwise(
                (
                    pl.col("amount_e4") * pl.coalesce("rate_e6", "first_rate")
                    + RATE_SCALE // 2  # half away from zero (amounts > 0)
                )
                // RATE_SCALE
            )
            .alias("amount_e4")
        )
    )
    purchase = pl.col("is_purchase")
    per_customer = tx.group_by("customer_id").agg(
        purchase.sum().cast(pl.Int64).alias("order_count"),
        pl.col("amount_e4").filter(purchase).sum().alias("gross_revenue"),
        pl.col("amount_e4").filter(~purchase).sum().alias("refunded_amount"),
        pl.col("business_date").filter(purchase).n_unique().alias("purchase_days"),
        pl.col("business_date").filter(purchase).min().alias("first_purchase_date"),
        pl.col("business_date").filter(purchase).max().alias("last_purchase_date"),
    )

    customers = pl.scan_parquet(args.data_dir / "customers.parquet").select(
        trimmed(CUSTOMER_COLUMNS)
    )
    customers = customers.with_columns(utc("registered_at")).filter(
        pl.col("customer_id").is_not_null(),
        pl.col("registered_at_utc").is_not_null(),
        pl.col("registered_at_utc").dt.date() <= run_day,
    )
    registered = (
        dedupe(customers, "customer_id", CUSTOMER_COLUMNS)
        .filter(pl.col("registered_at_utc").dt.date() <= as_of)
        .select("customer_id")
    )
    known = pl.concat([registered, per_customer.select("customer_id")]).unique()

    as_of_lit = pl.lit(as_of)
    buyer = pl.col("purchase_days") > 0
    features = (
        known.join(per_customer, on="customer_id", how="left")
        .with_columns(
            pl.col("order_count", "gross_revenue", "refunded_amount", "purchase_days").fill_null(0)
        )
        .with_columns(
            (pl.col("gross_revenue") - pl.col("refunded_amount")).alias("net_revenue"),
            (as_of_lit - pl.col("last_purchase_date")).dt.total_days().alias("recency_days"),
            pl.when(buyer).then(pl.col("purchase_days") - 1).alias("repeat_purchase_days"),
            (pl.col("last_purchase_date") - pl.col("first_purchase_date"))
            .dt.total_days()
            .alias("btyd_recency_days"),
            (as_of_lit - pl.col("first_purchase_date")).dt.total_days().alias("customer_age_days"),
        )
    )

    def score(measure: str, descending: bool) -> pl.Expr:
        c = pl.col(measure).rank("max", descending=descending).cast(pl.Int64)
        return ((RFM_BINS * c + pl.len() - 1) // pl.len()).alias(measure)

    scores = features.filter(buyer).select(
        "customer_id",
        score("recency_days", True).alias("recency_score"),
        score("order_count", False).alias("frequency_score"),
        score("net_revenue", False).alias("monetary_score"),
    )
    grid = (
        pl.scan_csv(args.seeds_dir / "rfm_segment_grid.csv")
        .filter(pl.col("grid") == RFM_GRID)
        .select(
            pl.col("recency_score", "frequency_score", "monetary_score").cast(pl.Int64),
            "rfm_segment",
        )
    )
    result = (
        features.join(scores, on="customer_id", how="left")
        .join(grid, on=["recency_score", "frequency_score", "monetary_score"], how="left")
        .with_columns(pl.when(buyer).then(pl.col("rfm_segment")).otherwise(pl.lit("Prospect")))
        .select(CORE_COLUMNS)
        .sort("customer_id")
    )
    result.collect().write_parquet(args.out)
    return 0

"""Shared definitions of the benchmark: paths, systems and labels, output columns, the SQL that
reads the project's output, and the error a failed or mismatching system raises."""

from __future__ import annotations

from pathlib import Path

from custseg.contract import COLUMNS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BENCH_ROOT = Path("/tmp/bench")
DEFAULT_AS_OF = "2025-12-31"  # the generator's default --end
REPORTING_CURRENCY = "USD"
RFM_BINS = 5
RFM_GRID = "classic"
CATALOG = "bench"  # every DuckDB file is named bench.duckdb, so compiled SQL is portable
MONEY_SCALE = 10_000
RATE_SCALE = 1_000_000  # seed fx_rates.rate_to_reporting is decimal(18, 6)
DECIMAL_PATTERN = r"[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)"

DBT_SYSTEMS: tuple[str, ...] = ("dbt_build", "dbt_rebuild", "dbt_incremental", "dbt_run")
ALL_SYSTEMS: tuple[str, ...] = (
    *DBT_SYSTEMS,
    "floor",
    "expert",
    "pandas",
    "polars",
    "lifetimes",
)
OPTIONAL_MODULES = {"polars": "polars", "lifetimes": "lifetimes"}
LABELS = {
    "dbt_build": "(a) dbt build",
    "dbt_rebuild": "no-op rebuild: dbt build again, same DB",
    "dbt_incremental": "incremental: dbt build after a 1% increment",
    "dbt_run": "dbt run (models only)",
    "floor": "(b) engine floor",
    "expert": "(f) expert DuckDB script (raw contract, features, RFM)",
    "pandas": "(c) pandas + pyarrow",
    "polars": "(d) polars lazy",
    "lifetimes": "(e) lifetimes (BTYD only)",
}

CORE_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "order_count",
    "purchase_days",
    "recency_days",
    "repeat_purchase_days",
    "btyd_recency_days",
    "customer_age_days",
    "gross_revenue",
    "refunded_amount",
    "net_revenue",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "rfm_segment",
)
MONEY_COLUMNS = ("gross_revenue", "refunded_amount", "net_revenue")
STRING_COLUMNS = ("customer_id", "rfm_segment")
# lifetimes' names for the BTYD columns of customer_features (buyers only).
LIFETIMES_COLUMNS = {
    "frequency": "repeat_purchase_days",
    "recency": "btyd_recency_days",
    "T": "customer_age_days",
}
TX_COLUMNS = COLUMNS["transactions"]
CUSTOMER_COLUMNS = COLUMNS["customers"]

DBT_EXTRACT_SQL = f"""
select
    f.customer_id,
    f.order_count,
    f.purchase_days,
    f.recency_days,
    f.repeat_purchase_days,
    f.btyd_recency_days,
    f.customer_age_days,
    cast(f.gross_revenue * {MONEY_SCALE} as bigint) as gross_revenue,
    cast(f.refunded_amount * {MONEY_SCALE} as bigint) as refunded_amount,
    cast(f.net_revenue * {MONEY_SCALE} as bigint) as net_revenue,
    s.recency_score,
    s.frequency_score,
    s.monetary_score,
    s.rfm_segment
from marts.customer_features as f
left join marts.customer_segments as s on f.customer_id = s.customer_id
order by f.customer_id
"""


class BenchmarkError(RuntimeError):
    """A system failed or produced output different from the project's."""

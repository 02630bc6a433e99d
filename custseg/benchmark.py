"""Performance benchmark: the dbt project versus its engine floor, pandas, polars and lifetimes.

For one data set (Parquet files of the raw contract), every system runs as its own
subprocess on the same files and produces the same per-customer output: the core
``customer_features`` columns (counts, BTYD days, money), the three RFM scores
(``ceil(5·c/N)``, ties counted, docs/RULES.md §5) and ``rfm_segment`` (seed grid ``classic``).
Every output is checked against the project's own build (exact: money as integers of
1/10000) and a mismatch fails the run.

Systems (``--systems``, comma-separated; ``dbt`` = the three dbt ones):

- ``dbt_build``    (a) ``dbt build`` (seeds, models, unit and data tests) into a fresh DuckDB file
- ``dbt_rebuild``  ``dbt build`` a second time on the same file (no fresh database)
- ``dbt_run``      ``dbt run`` (models only) into a fresh file that ``dbt seed`` filled untimed
- ``floor``        (b) the compiled SQL of every model executed in one DuckDB connection, no dbt
- ``pandas``       (c) pandas (pyarrow strings), vectorised groupby
- ``polars``       (d) polars lazy scan, group_by, rank (optional dependency)
- ``lifetimes``    (e) lifetimes' ``summary_data_from_transaction_data`` for the BTYD columns

Each timed process is launched from a fresh helper process that reads
``getrusage(RUSAGE_CHILDREN)`` after it: wall time, CPU time and peak RSS of the system alone.

Usage::

    python -m custseg.benchmark --transactions 1000000 --repeats 3
    python -m custseg.benchmark --data-dir /tmp/bench/1000000 --systems dbt_build,floor,pandas

Writes JSON (``--out``) and a markdown report (``--markdown``). Not part of the unit tests
(``tests/pytest/test_benchmark_smoke.py`` runs a tiny smoke version).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from custseg.contract import COLUMNS

PROJECT_ROOT = Path(__file__).resolve().parents[1]
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
ALL_SYSTEMS: tuple[str, ...] = (*DBT_SYSTEMS, "floor", "pandas", "polars", "lifetimes")
OPTIONAL_MODULES = {"polars": "polars", "lifetimes": "lifetimes"}
LABELS = {
    "dbt_build": "(a) dbt build",
    "dbt_rebuild": "no-op rebuild: dbt build again, same DB",
    "dbt_incremental": "incremental: dbt build after a 1% increment",
    "dbt_run": "dbt run (models only)",
    "floor": "(b) engine floor",
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


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _log(message: str) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
    print(f"[bench {stamp}] {message}", file=sys.stderr, flush=True)


def _self_command(*args: str) -> list[str]:
    """Run this file as a script (works whatever the working directory)."""
    return [sys.executable, str(Path(__file__).resolve()), *args]


def _dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _importable(module: str) -> tuple[bool, str]:
    """Whether `module` imports in a fresh interpreter (and the error if not)."""
    completed = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = completed.stderr.strip().splitlines()
    return completed.returncode == 0, lines[-1] if lines else ""


def _remove_db(path: Path) -> None:
    for suffix in ("", ".wal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def machine_info() -> dict[str, Any]:
    """Cores, RAM, CPU model, OS and the versions of everything measured."""
    info: dict[str, Any] = {
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "recorded_at_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram_gib"] = round(int(line.split()[1]) / 1024**2, 1)
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info["versions"] = {
        name: _version(name)
        for name in (
            "dbt-core",
            "dbt-duckdb",
            "duckdb",
            "pandas",
            "pyarrow",
            "numpy",
            "polars",
            "lifetimes",
        )
    }
    return info


# ---------------------------------------------------------------------------
# Measuring one process
# ---------------------------------------------------------------------------


def _measure_main(argv: Sequence[str]) -> int:
    """Helper process: run the command after ``--``, write wall/CPU/peak RSS as JSON."""
    import resource

    parser = argparse.ArgumentParser(prog="benchmark _measure")
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    with args.log.open("w") as log:
        start = time.perf_counter()
        completed = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
        wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    args.result.write_text(
        json.dumps(
            {
                "returncode": completed.returncode,
                "wall_s": wall,
                "user_s": usage.ru_utime,
                "sys_s": usage.ru_stime,
                "peak_rss_mib": usage.ru_maxrss / 1024,  # Linux: KiB
            }
        )
    )
    return 0


def measure(command: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> dict[str, Any]:
    """Run `command` under a fresh helper process; its wall time, CPU time and peak RSS."""
    result = log.with_suffix(".measure.json")
    helper = _self_command("_measure", "--result", str(result), "--log", str(log), "--", *command)
    subprocess.run(helper, env=env, cwd=cwd, check=True)
    measured = json.loads(result.read_text())
    if measured["returncode"] != 0:
        tail = log.read_text(errors="replace")[-4000:]
        raise BenchmarkError(
            f"{' '.join(command[:4])} … failed ({measured['returncode']}):\n{tail}"
        )
    return measured


# ---------------------------------------------------------------------------
# (b) the engine floor: compiled SQL in one DuckDB connection
# ---------------------------------------------------------------------------


def duckdb_config() -> dict[str, Any]:
    """The settings of profiles/profiles.yml (dev target), so the floor runs like dbt-duckdb."""
    return {
        "threads": int(os.environ.get("DBT_DUCKDB_THREADS", "2")),
        "memory_limit": os.environ.get("DBT_DUCKDB_MEMORY_LIMIT", "8GB"),
        "preserve_insertion_order": False,
        "storage_compatibility_version": "v1.4.0",
    }


def floor_plan(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The project's seeds and models in dependency order, as dbt would build them."""
    from graphlib import TopologicalSorter

    project = manifest["metadata"]["project_name"]
    nodes = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed") and node["package_name"] == project
    }
    graph = {
        uid: [dep for dep in node["depends_on"].get("nodes", []) if dep in nodes]
        for uid, node in nodes.items()
    }
    plan = []
    for uid in TopologicalSorter(graph).static_order():
        node = nodes[uid]
        materialized = node["config"]["materialized"]
        if node["resource_type"] == "model" and not node.get("compiled_code"):
            raise BenchmarkError(f"{uid} has no compiled_code: run `dbt compile` first")
        plan.append(
            {
                "unique_id": uid,
                "resource_type": node["resource_type"],
                # incremental is built as a table (a fresh database has nothing to merge into)
                "materialized": "table" if materialized == "incremental" else materialized,
                "database": node["database"],
                "schema": node["schema"],
                "relation": node["relation_name"],
                "sql": node.get("compiled_code"),
                "seed_path": node["original_file_path"]
                if node["resource_type"] == "seed"
                else None,
                "column_types": node["config"].get("column_types") or {},
            }
        )
    return plan


def _floor_main(argv: Sequence[str]) -> int:
    """Timed process (b): execute the plan from manifest.json in one DuckDB connection."""
    import duckdb

    parser = argparse.ArgumentParser(prog="benchmark _floor")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--project-dir", type=Path, required=True)
    parser.add_argument("--timings", type=Path)
    args = parser.parse_args(argv)
    plan = floor_plan(json.loads(args.manifest.read_text()))
    con = duckdb.connect(str(args.db), config=duckdb_config())
    con.execute("set TimeZone = 'UTC'")  # needs the icu extension: after connecting
    timings = []
    schemas: set[tuple[str, str]] = set()
    for step in plan:
        start = time.perf_counter()
        if (step["database"], step["schema"]) not in schemas:
            con.execute(f'create schema if not exists "{step["database"]}"."{step["schema"]}"')
            schemas.add((step["database"], step["schema"]))
        if step["resource_type"] == "seed":
            path = str(args.project_dir / step["seed_path"]).replace("'", "''")
            reader = f"read_csv('{path}', header = true, all_varchar = true)"
            names = [d[0] for d in con.execute(f"select * from {reader} limit 0").description]
            columns = ", ".join(
                f"cast(nullif(trim(\"{name}\"), '') as {step['column_types'].get(name, 'varchar')})"
                f' as "{name}"'
                for name in names
            )
            con.execute(
                f"create or replace table {step['relation']} as select {columns} from {reader}"
            )
        elif step["materialized"] == "view":
            con.execute(f"create or replace view {step['relation']} as (\n{step['sql']}\n)")
        elif step["materialized"] == "table":
            con.execute(f"create or replace table {step['relation']} as (\n{step['sql']}\n)")
        elif step["materialized"] != "ephemeral":  # ephemeral SQL is inlined by dbt
            raise BenchmarkError(f"unsupported materialization {step['materialized']!r}")
        timings.append({"unique_id": step["unique_id"], "seconds": time.perf_counter() - start})
    con.close()
    if args.timings:
        args.timings.write_text(json.dumps(timings, indent=1))
    return 0


# ---------------------------------------------------------------------------
# (c) pandas
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# (d) polars
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# (e) lifetimes
# ---------------------------------------------------------------------------


def _lifetimes_main(argv: Sequence[str]) -> int:
    """Timed process (e): pandas cleaning, then lifetimes' summary_data_from_transaction_data."""
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    args = _leg_arguments("benchmark _lifetimes", argv)
    tx, _registered = _pandas_clean(args.data_dir, args.seeds_dir, args.run_date, args.as_of_date)
    purchases = tx.loc[tx["is_purchase"], ["customer_id", "business_date", "amount_e4"]]
    purchases = purchases.assign(amount=purchases["amount_e4"] / MONEY_SCALE)
    summary = summary_data_from_transaction_data(
        purchases,
        "customer_id",
        "business_date",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(args.as_of_date),
        freq="D",
    )
    summary = summary.rename(columns=LIFETIMES_COLUMNS).astype(
        dict.fromkeys(LIFETIMES_COLUMNS.values(), "int64")
    )
    summary.index.name = "customer_id"
    summary.reset_index().sort_values("customer_id").to_parquet(args.out, index=False)
    return 0


def _leg_arguments(prog: str, argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seeds-dir", type=Path, required=True)
    parser.add_argument("--run-date", required=True)
    parser.add_argument("--as-of-date", required=True)
    parser.add_argument("--out", type=Path, required=True)
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------
# Comparing outputs
# ---------------------------------------------------------------------------


def canonical(frame: Any, columns: Iterable[str] = CORE_COLUMNS) -> Any:
    """A pandas frame with fixed dtypes (Int64 / str), sorted by customer_id."""
    import pandas as pd

    columns = list(columns)
    frame = frame[columns].copy()
    for column in columns:
        if column in STRING_COLUMNS:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
        else:
            frame[column] = pd.array(frame[column], dtype="Int64")
    return frame.sort_values("customer_id").reset_index(drop=True)


def compare(reference: Any, candidate: Any, system: str, columns: Sequence[str]) -> None:
    """Raise BenchmarkError unless both frames hold exactly the same rows and values."""
    reference = canonical(reference, columns)
    candidate = canonical(candidate, columns)
    problems: list[str] = []
    ref_ids, cand_ids = set(reference["customer_id"]), set(candidate["customer_id"])
    if ref_ids != cand_ids or len(reference) != len(candidate):
        problems.append(
            f"customers: {len(reference)} in the project, {len(candidate)} in {system}; "
            f"only in project e.g. {sorted(ref_ids - cand_ids)[:5]}, "
            f"only in {system} e.g. {sorted(cand_ids - ref_ids)[:5]}"
        )
    merged = reference.merge(candidate, on="customer_id", suffixes=("_ref", "_got"))
    for column in columns:
        if column == "customer_id":
            continue
        left, right = merged[f"{column}_ref"], merged[f"{column}_got"]
        same = (left == right).fillna(False).astype(bool) | (left.isna() & right.isna())
        if not same.all():
            bad = merged.loc[~same, ["customer_id", f"{column}_ref", f"{column}_got"]]
            problems.append(f"{column}: {len(bad)} rows differ, e.g.\n{bad.head(5).to_string()}")
    if problems:
        raise BenchmarkError(f"{system} output differs from the project's:\n" + "\n".join(problems))


def read_dbt_output(db_path: Path) -> Any:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(DBT_EXTRACT_SQL).df()
    finally:
        con.close()


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


class Bench:
    """State of one benchmark invocation."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.project_dir: Path = args.project_dir.resolve()
        self.data_dir: Path = args.data_dir.resolve()
        self.work: Path = args.work_dir.resolve()
        self.seeds_dir = self.project_dir / "seeds"
        self.run_date = dt.datetime.now(dt.UTC).date().isoformat()
        self.target = self.work / "target"
        self.reference: Any = None
        self.results: dict[str, list[dict[str, Any]]] = {}
        self.node_timings: dict[str, list[list[dict[str, Any]]]] = {}
        self.checks: dict[str, str] = {}
        self.incremental_reference: Any = None

    # -- dbt -----------------------------------------------------------------

    def dbt_vars(self, data_dir: Path | None = None) -> str:
        return json.dumps(
            {
                "raw_path": str(data_dir or self.data_dir),
                "raw_format": "parquet",
                "as_of_date": self.args.as_of_date,
            }
        )

    def dbt_env(self, db_path: Path) -> dict[str, str]:
        return {
            **os.environ,
            "DBT_PROFILES_DIR": str(self.project_dir / "profiles"),
            "DBT_DUCKDB_PATH": str(db_path),
            "DBT_LOG_PATH": str(self.work / "dbt-logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    def dbt_command(self, verb: str, data_dir: Path | None = None) -> list[str]:
        return [
            _dbt_executable(),
            verb,
            "--vars",
            self.dbt_vars(data_dir),
            "--target-path",
            str(self.target),
        ]

    def dbt_untimed(self, verb: str, db_path: Path, data_dir: Path | None = None) -> None:
        log = self.work / "logs" / f"untimed-{verb}.log"
        completed = subprocess.run(
            self.dbt_command(verb, data_dir),
            env=self.dbt_env(db_path),
            cwd=self.project_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        log.write_text(completed.stdout + completed.stderr)
        if completed.returncode != 0:
            raise BenchmarkError(f"dbt {verb} failed:\n{completed.stdout[-4000:]}")

    def db(self, system: str) -> Path:
        """The DuckDB file of a system. The dbt systems share one path: dbt's partial-parse
        cache is invalidated when the profile (DBT_DUCKDB_PATH) changes."""
        return self.work / ("floor" if system == "floor" else "dbt") / f"{CATALOG}.duckdb"

    # -- the incremental scenario ------------------------------------------------

    def incremental_dir(self) -> Path:
        """A data directory holding the benchmark's files (hard links: same file times) and,
        while a timed incremental run goes, the increment (custseg.increment, 1%)."""
        from custseg.increment import write_increment

        data = self.work / "incremental-data"
        increment = self.work / "increment" / "transactions__increment.parquet"
        if increment.exists():
            return data
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        for source in sorted(self.data_dir.glob("*.parquet")):
            try:
                os.link(source, data / source.name)
            except OSError:
                shutil.copy2(source, data / source.name)
        written = write_increment(data, share=0.01, seed=1)
        increment.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(written, increment)
        # the reference: a full build with the increment present
        shutil.copy2(increment, data / increment.name)
        db = self.work / "incremental-reference" / f"{CATALOG}.duckdb"
        db.parent.mkdir(exist_ok=True)
        _remove_db(db)
        _log("dbt build (untimed) with the increment: the incremental run's reference output")
        self.dbt_untimed("build", db, data)
        self.incremental_reference = read_dbt_output(db)
        (data / increment.name).unlink()
        return data

    def run_incremental(self, log: Path) -> tuple[dict[str, Any], Path]:
        """Untimed: a full build without the increment. Timed: `dbt build` after it arrives."""
        data = self.incremental_dir()
        increment = self.work / "increment" / "transactions__increment.parquet"
        (data / increment.name).unlink(missing_ok=True)
        db = self.db("dbt_incremental")
        _remove_db(db)
        self.dbt_untimed("build", db, data)
        shutil.copy2(increment, data / increment.name)  # keeps its later file time
        try:
            measured = measure(
                self.dbt_command("build", data),
                env=self.dbt_env(db),
                cwd=self.project_dir,
                log=log,
            )
        finally:
            (data / increment.name).unlink(missing_ok=True)
        return measured, db

    # -- steps -----------------------------------------------------------------

    def prepare(self, systems: Sequence[str]) -> None:
        for sub in ("logs", "outputs", "dbt", "floor"):
            (self.work / sub).mkdir(parents=True, exist_ok=True)
        # dbt compile parses the project (so every timed dbt command reuses the partial-parse
        # cache, as a user's repeated builds do) and gives the floor its compiled SQL. It runs
        # on a fresh database, so the incremental model compiles to its full-refresh SQL.
        db = self.db("dbt_build")
        _remove_db(db)
        _log(f"dbt compile (untimed: parse cache and the floor's SQL) in {self.project_dir}")
        self.dbt_untimed("compile", db)
        shutil.copy(self.target / "manifest.json", self.work / "floor-manifest.json")
        _remove_db(db)

    def run_system(self, system: str, repeat: int) -> dict[str, Any]:
        log = self.work / "logs" / f"{system}-{repeat}.log"
        if system in DBT_SYSTEMS:
            db = self.db(system)
            if system == "dbt_incremental":
                measured, db = self.run_incremental(log)
            else:
                if system == "dbt_rebuild" and not db.exists():
                    self.dbt_untimed("build", db)
                if system != "dbt_rebuild":
                    _remove_db(db)
                if system == "dbt_run":
                    self.dbt_untimed("seed", db)
                verb = "run" if system == "dbt_run" else "build"
                measured = measure(
                    self.dbt_command(verb), env=self.dbt_env(db), cwd=self.project_dir, log=log
                )
            run_results = json.loads((self.target / "run_results.json").read_text())
            self.node_timings.setdefault(system, []).append(
                [
                    {
                        "unique_id": r["unique_id"],
                        "status": r["status"],
                        "seconds": r["execution_time"],
                    }
                    for r in run_results["results"]
                ]
            )
            output = read_dbt_output(db)
        elif system == "floor":
            db = self.db("floor")
            _remove_db(db)
            timings = self.work / "floor" / f"timings-{repeat}.json"
            command = _self_command(
                "_floor",
                "--manifest",
                str(self.work / "floor-manifest.json"),
                "--db",
                str(db),
                "--project-dir",
                str(self.project_dir),
                "--timings",
                str(timings),
            )
            measured = measure(command, env=dict(os.environ), cwd=self.project_dir, log=log)
            self.node_timings.setdefault(system, []).append(json.loads(timings.read_text()))
            output = read_dbt_output(db)
        else:
            import pandas as pd

            out = self.work / "outputs" / f"{system}-{repeat}.parquet"
            out.unlink(missing_ok=True)
            command = _self_command(
                f"_{system}",
                "--data-dir",
                str(self.data_dir),
                "--seeds-dir",
                str(self.seeds_dir),
                "--run-date",
                self.run_date,
                "--as-of-date",
                self.args.as_of_date,
                "--out",
                str(out),
            )
            measured = measure(command, env=dict(os.environ), cwd=self.project_dir, log=log)
            output = pd.read_parquet(out)
        self.check(system, output)
        return measured

    def check(self, system: str, output: Any) -> None:
        if system == "dbt_incremental":
            compare(self.incremental_reference, output, system, CORE_COLUMNS)
            self.checks[system] = "equal to a full build with the increment"
            return
        if self.reference is None:
            if system not in (*DBT_SYSTEMS, "floor"):
                db = self.db("dbt_build")
                _log("dbt build (untimed) for the reference output")
                _remove_db(db)
                self.dbt_untimed("build", db)
                self.reference = read_dbt_output(db)
            else:
                self.reference = output
                self.checks[system] = "reference (the project's output)"
                return
        if self.checks.get(system, "").startswith("reference"):
            compare(self.reference, output, system, CORE_COLUMNS)
            self.checks[system] = "reference (the project's output); repeats identical"
            return
        if system == "lifetimes":
            buyers = self.reference[self.reference["purchase_days"] > 0]
            compare(buyers, output, system, ["customer_id", *LIFETIMES_COLUMNS.values()])
            self.checks[system] = "equal (BTYD columns, buyers)"
        else:
            compare(self.reference, output, system, CORE_COLUMNS)
            self.checks[system] = "equal"


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------


def summarise(runs: list[dict[str, Any]], rows: int, cores: int) -> dict[str, Any]:
    walls = [r["wall_s"] for r in runs]
    median = statistics.median(walls)
    return {
        "repeats": len(runs),
        "wall_s_median": median,
        "wall_s_min": min(walls),
        "wall_s_max": max(walls),
        "cpu_s_median": statistics.median(r["user_s"] + r["sys_s"] for r in runs),
        "peak_rss_mib_max": max(r["peak_rss_mib"] for r in runs),
        "rows_per_s_per_core": rows / median / cores,
        "runs": runs,
    }


def targets(summary: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The issue's targets: dbt build ≤ 1.5x floor, ≥ 5x faster than pandas, faster than polars;
    the incremental refresh after a 1% increment ≥ 5x faster than the full build."""

    def ratio(system: str) -> float | None:
        if system in summary and "dbt_build" in summary:
            return summary[system]["wall_s_median"] / summary["dbt_build"]["wall_s_median"]
        return None

    out: dict[str, Any] = {}
    for key, system, goal, met in (
        (
            "floor_over_dbt",
            "floor",
            "≥ 0.667 (dbt build within 1.5x of floor)",
            lambda r: r >= 2 / 3,
        ),
        ("pandas_over_dbt", "pandas", "≥ 5 (dbt ≥ 5x faster than pandas)", lambda r: r >= 5),
        ("polars_over_dbt", "polars", "> 1 (dbt faster than polars)", lambda r: r > 1),
        (
            "incremental_over_dbt",
            "dbt_incremental",
            "≤ 0.2 (incremental ≥ 5x faster than the full build)",
            lambda r: r <= 0.2,
        ),
    ):
        value = ratio(system)
        out[key] = {
            "ratio": value,
            "target": goal,
            "met": None if value is None else bool(met(value)),
        }
    return out


def top_nodes(timings: list[list[dict[str, Any]]], summary: dict[str, Any], n: int = 0) -> Any:
    """Node timings (the n slowest; 0 = all) of the repeat whose wall time is the median one."""
    walls = [r["wall_s"] for r in summary["runs"]]
    index = walls.index(sorted(walls)[(len(walls) - 1) // 2])
    nodes = sorted(timings[index], key=lambda r: r["seconds"], reverse=True)
    n = n or len(nodes)
    by_type: dict[str, float] = {}
    counts: dict[str, int] = {}
    for node in timings[index]:
        kind = node["unique_id"].split(".", 1)[0]
        by_type[kind] = by_type.get(kind, 0.0) + node["seconds"]
        counts[kind] = counts.get(kind, 0) + 1
    return nodes[:n], by_type, counts


def render_markdown(report: dict[str, Any]) -> str:
    data, summary = report["data"], report["systems"]
    cores = report["machine"]["usable_cores"] or report["machine"]["logical_cores"]
    lines = [
        f"### {data['transactions_rows']:,} transaction rows ({data['dir']})",
        "",
        f"customers rows {data['customers_rows']:,}, interactions rows "
        f"{data['interactions_rows']:,}; as_of_date {report['as_of_date']}; "
        f"{cores} cores; rows/s per core = transaction rows / median seconds / cores.",
        "",
        "| system | median s | min-max s | CPU s | rows/s per core | peak RSS MiB "
        "| ÷ (a) | output check |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    base = summary.get("dbt_build", {}).get("wall_s_median")
    for system in ALL_SYSTEMS:
        if system not in summary:
            continue
        s = summary[system]
        ratio = f"{s['wall_s_median'] / base:.2f}" if base else "-"
        lines.append(
            f"| {LABELS[system]} | {s['wall_s_median']:.1f} | {s['wall_s_min']:.1f}-"
            f"{s['wall_s_max']:.1f} | {s['cpu_s_median']:.1f} | {s['rows_per_s_per_core']:,.0f} "
            f"| {s['peak_rss_mib_max']:,.0f} | {ratio} | {report['checks'].get(system, '-')} |"
        )
    lines += ["", "| ratio | value | target | met |", "|---|---:|---|---|"]
    for key, t in report["targets"].items():
        value = "-" if t["ratio"] is None else f"{t['ratio']:.2f}"
        met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        lines.append(f"| {key.replace('_over_', ' / ')} | {value} | {t['target']} | {met} |")
    medians = {system: s["wall_s_median"] for system, s in summary.items()}
    derived = []
    if "dbt_build" in medians and "floor" in medians:
        derived.append(
            f"dbt build - floor = {medians['dbt_build'] - medians['floor']:.1f} s "
            "(dbt start-up, parsing, tests, per-node overhead)"
        )
    if "dbt_build" in medians and "dbt_run" in medians:
        derived.append(
            f"dbt build - dbt run = {medians['dbt_build'] - medians['dbt_run']:.1f} s "
            "(seeds, unit and data tests)"
        )
    if "dbt_run" in medians and "floor" in medians:
        derived.append(f"dbt run - floor = {medians['dbt_run'] - medians['floor']:.1f} s")
    if derived:
        lines += ["", "Derived: " + "; ".join(derived) + "."]
    for system, note in report.get("skipped", {}).items():
        lines.append(f"\nNot measured: {LABELS[system]}: {note}")
    for system, text in (report.get("failures") or {}).items():
        first = text.strip().splitlines()[0] if text.strip() else ""
        lines.append(f"\n**FAILED: {LABELS.get(system, system)}**: {first}")
    for system, title in (
        ("dbt_build", "dbt build, slowest nodes (run_results.json, median repeat)"),
        ("floor", "engine floor, slowest statements (median repeat)"),
    ):
        nodes = report.get(f"{system}_nodes")
        if not nodes:
            continue
        lines += ["", f"{title}:", "", "| node | s |", "|---|---:|"]
        lines += [f"| {n['unique_id']} | {n['seconds']:.2f} |" for n in nodes["top"][:10]]
        per_type = ", ".join(
            f"{k} {v:.1f} s ({nodes.get('count_by_type', {}).get(k, '?')} nodes)"
            for k, v in sorted(nodes["by_type"].items())
        )
        lines += ["", f"Sum of node times by type: {per_type}."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Data and main
# ---------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str | None:
    completed = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() if completed.returncode == 0 else None


def export_project(repo: Path, rev: str, dest: Path) -> dict[str, Any]:
    """`git archive <rev>` of the repo into dest: a fixed project state, whatever is being
    edited in the working tree meanwhile (nothing in the repo is written)."""
    import io
    import tarfile

    commit = _git(repo, "rev-parse", "--verify", f"{rev}^{{commit}}")
    if commit is None:
        raise SystemExit(f"--project-rev {rev!r} is not a commit of {repo}")
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", commit], capture_output=True, check=True
    ).stdout
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return {"dir": str(dest), "git_commit": commit, "source": f"git archive {rev} of {repo}"}


def project_info(project_dir: Path) -> dict[str, Any]:
    """The project state measured: commit, and files differing from it (working tree)."""
    commit = _git(project_dir, "rev-parse", "HEAD")
    changed = _git(
        project_dir,
        "status",
        "--porcelain",
        "--",
        "models",
        "macros",
        "seeds",
        "tests/data_tests",
        "dbt_project.yml",
        "profiles",
    )
    return {
        "dir": str(project_dir),
        "git_commit": commit,
        "uncommitted_project_files": changed.splitlines() if changed else [],
    }


def ensure_data(transactions: int) -> Path:
    """/tmp/bench/<N>: generated (Parquet) unless the three files are already there."""
    target = BENCH_ROOT / str(transactions)
    if all(
        (target / f"{t}.parquet").exists() for t in ("customers", "transactions", "interactions")
    ):
        return target
    partial = BENCH_ROOT / f"{transactions}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    _log(f"generating {transactions:,} transactions into {target} (untimed)")
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "custseg.generate",
            "--transactions",
            str(transactions),
            "--format",
            "parquet",
            "--out",
            str(partial),
            "--quiet",
        ],
        cwd=PROJECT_ROOT,
        check=True,
    )
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    _log(f"generated in {time.perf_counter() - start:.0f} s")
    return target


def parse_systems(text: str) -> list[str]:
    systems: list[str] = []
    for name in (part.strip() for part in text.split(",") if part.strip()):
        expanded = (
            list(DBT_SYSTEMS) if name == "dbt" else list(ALL_SYSTEMS) if name == "all" else [name]
        )
        for system in expanded:
            if system not in ALL_SYSTEMS:
                raise SystemExit(f"unknown system {system!r}; choose from {', '.join(ALL_SYSTEMS)}")
            if system not in systems:
                systems.append(system)
    return [s for s in ALL_SYSTEMS if s in systems]  # a fixed order within each repeat


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m custseg.benchmark",
        description=(
            "Benchmark the dbt project against its engine floor (compiled SQL in DuckDB), "
            "pandas, polars and lifetimes on the same Parquet files; every output is checked "
            "against the project's."
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--transactions",
        type=int,
        metavar="N",
        help="data size; generates Parquet data into /tmp/bench/N unless it is there",
    )
    source.add_argument(
        "--data-dir",
        type=Path,
        help="existing directory of customers/transactions/interactions.parquet",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per system (median; default 3)"
    )
    parser.add_argument(
        "--systems",
        default="all",
        help=f"comma-separated: {', '.join(ALL_SYSTEMS)}, or dbt (= the three dbt ones), all",
    )
    parser.add_argument("--out", type=Path, help="JSON results (default <work-dir>/results.json)")
    parser.add_argument(
        "--markdown", type=Path, help="markdown table (default <work-dir>/results.md)"
    )
    parser.add_argument(
        "--work-dir", type=Path, help="scratch: databases, logs, outputs (default <data-dir>-work)"
    )
    parser.add_argument("--as-of-date", default=DEFAULT_AS_OF, help=f"default {DEFAULT_AS_OF}")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=PROJECT_ROOT,
        help="the dbt project (default: this repo)",
    )
    parser.add_argument(
        "--project-rev",
        metavar="REV",
        help="benchmark this git revision of the project (exported with git archive into "
        "<work-dir>/project) instead of the working tree",
    )
    parser.add_argument(
        "--lifetimes-max-rows",
        type=int,
        default=12_000_000,
        help="skip lifetimes above this many transaction rows (default 12M: the 10M data set)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    internal = {
        "_measure": _measure_main,
        "_floor": _floor_main,
        "_pandas": _pandas_main,
        "_polars": _polars_main,
        "_lifetimes": _lifetimes_main,
    }
    if argv and argv[0] in internal:
        return internal[argv[0]](argv[1:])

    args = build_parser().parse_args(argv)
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")
    if args.transactions is not None:
        args.data_dir = ensure_data(args.transactions)
    args.data_dir = args.data_dir.resolve()
    args.work_dir = args.work_dir or args.data_dir.with_name(args.data_dir.name + "-work")
    out = args.out or args.work_dir / "results.json"
    markdown = args.markdown or args.work_dir / "results.md"

    rows = {
        t: _parquet_rows(args.data_dir / f"{t}.parquet")
        for t in ("customers", "transactions", "interactions")
    }
    systems = parse_systems(args.systems)
    skipped: dict[str, str] = {}
    for system in list(systems):
        module = OPTIONAL_MODULES.get(system)
        if module:
            ok, error = _importable(module)
            if not ok:
                skipped[system] = f"`import {module}` fails here: {error}"
                systems.remove(system)
        if (
            system == "lifetimes"
            and system in systems
            and rows["transactions"] > args.lifetimes_max_rows
        ):
            skipped[system] = f"more than {args.lifetimes_max_rows:,} transaction rows"
            systems.remove(system)
    for system, note in skipped.items():
        _log(f"skipping {system}: {note}")

    if args.project_rev:
        project = export_project(args.project_dir, args.project_rev, args.work_dir / "project")
        args.project_dir = Path(project["dir"])
    else:
        project = project_info(args.project_dir.resolve())

    machine = machine_info()
    cores = machine["usable_cores"] or machine["logical_cores"] or 1
    bench = Bench(args)
    report: dict[str, Any] = {
        "issue": "performance benchmark (dbt vs engine floor, pandas, polars, lifetimes)",
        "machine": machine,
        "data": {
            "dir": str(args.data_dir),
            "transactions_rows": rows["transactions"],
            "customers_rows": rows["customers"],
            "interactions_rows": rows["interactions"],
        },
        "project": project,
        "as_of_date": args.as_of_date,
        "run_date": bench.run_date,
        "repeats": args.repeats,
        "systems": {},
        "skipped": skipped,
        "checks": bench.checks,
    }
    failures: dict[str, str] = {}
    try:
        bench.prepare(systems)
        for repeat in range(args.repeats):
            for system in systems:
                if system in failures:
                    continue
                _log(f"repeat {repeat + 1}/{args.repeats}: {system}")
                try:
                    measured = bench.run_system(system, repeat)
                except BenchmarkError as error:
                    # recorded, reported and the exit code is 1; the other systems go on
                    failures[system] = str(error)
                    bench.checks[system] = "FAILED"
                    _log(f"FAILED: {system}: {error}")
                    continue
                bench.results.setdefault(system, []).append(measured)
                _log(
                    f"  {system}: {measured['wall_s']:.1f} s, peak RSS "
                    f"{measured['peak_rss_mib']:.0f} MiB, output {bench.checks[system]}"
                )
    except BenchmarkError as error:
        failures["prepare"] = str(error)
        _log(f"FAILED: {error}")
    failure = "\n\n".join(f"{name}: {text}" for name, text in failures.items()) or None
    report["systems"] = {
        system: summarise(runs, rows["transactions"], cores)
        for system, runs in bench.results.items()
        if system not in failures
    }
    report["targets"] = targets(report["systems"])
    for system in ("dbt_build", "dbt_run", "floor"):
        if system in bench.node_timings and system in report["systems"]:
            top, by_type, counts = top_nodes(bench.node_timings[system], report["systems"][system])
            report[f"{system}_nodes"] = {"top": top, "by_type": by_type, "count_by_type": counts}
    report["failure"] = failure
    report["failures"] = failures
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(render_markdown(report))
    _log(f"wrote {out} and {markdown}")
    print(render_markdown(report))
    if failure:
        print(f"BENCHMARK FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

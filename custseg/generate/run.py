"""Orchestration of a run: chunk by chunk, draw the good rows (own random stream), add the
bad rows (separate stream), append both to the sinks, and count what was written.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from custseg.contract import TABLES
from custseg.generate.constants import BAD_STREAM, ENGAGEMENT_LIMITS, GOOD_STREAM
from custseg.generate.customers import customers_table, draw_traits, plan_customers
from custseg.generate.dirty import _bad_row_count, bad_rows, with_bad_rows
from custseg.generate.interactions import build_interactions, interactions_table
from custseg.generate.sampling import _rng
from custseg.generate.settings import Settings, make_settings
from custseg.generate.transactions import build_transactions, transactions_table
from custseg.generate.writers import _open_sink

logger = logging.getLogger(__name__)


@dataclass
class GenerationStats:
    """Rows written per table, and how many of them are deliberately bad."""

    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    bad_rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))

    def summary(self, out_dir: Path, fmt: str) -> str:
        """One line with the counts."""
        counts = ", ".join(f"{self.rows[t]:,} {t}" for t in TABLES)
        bad = "/".join(f"{self.bad_rows[t]:,}" for t in TABLES)
        return f"wrote {counts} to {out_dir} ({fmt}; bad rows included: {bad})"


@dataclass
class _Counters:
    """Running id numbers across chunks (chunks are processed in order)."""

    transaction: int = 1
    interaction: int = 1
    bad: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 1))


def _chunk_size(settings: Settings, chunk: int) -> int:
    """Customers in chunk number ``chunk``."""
    return min(settings.chunk_customers, settings.customers - chunk * settings.chunk_customers)


def _chunk_tables(settings: Settings, chunk: int, counters: _Counters) -> dict[str, pa.Table]:
    """Good rows of one chunk (its own random stream)."""
    rng = _rng(settings.seed, GOOD_STREAM, chunk)
    first_index = chunk * settings.chunk_customers
    n = _chunk_size(settings, chunk)
    cal = settings.cal
    plan = plan_customers(rng, cal, n, settings.intensity)
    traits = draw_traits(rng, plan)
    txn = build_transactions(rng, cal, plan, traits)
    engagement = float(np.clip(settings.intensity, *ENGAGEMENT_LIMITS))
    events = build_interactions(rng, cal, plan, traits, txn, engagement)
    tables = {
        "customers": customers_table(plan, traits, first_index, settings.id_width),
        "transactions": transactions_table(
            rng, txn, first_index, counters.transaction, settings.id_width
        ),
        "interactions": interactions_table(
            events, first_index, counters.interaction, settings.id_width
        ),
    }
    counters.transaction += tables["transactions"].num_rows
    counters.interaction += tables["interactions"].num_rows
    return tables


def _add_bad_rows(
    settings: Settings, chunk: int, tables: dict[str, pa.Table], counters: _Counters
) -> dict[str, int]:
    """Insert the chunk's bad rows (separate random stream); returns bad rows per table."""
    rng = _rng(settings.seed, BAD_STREAM, chunk)
    added = {}
    for name in TABLES:
        good = tables[name]
        count = _bad_row_count(rng, name, good.num_rows, settings.bad_row_share, chunk == 0)
        if count:
            bad, position = bad_rows(rng, name, good, count, counters.bad[name])
            counters.bad[name] += count
            tables[name] = with_bad_rows(good, bad, position)
        added[name] = count
    return added


def _run(settings: Settings) -> GenerationStats:
    """Generate all chunks, append them to the output files, and log the summary line."""
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    stats = GenerationStats()
    counters = _Counters()
    n_chunks = -(-settings.customers // settings.chunk_customers)
    with ExitStack() as stack:
        sinks = {}
        for name in TABLES:
            sinks[name] = _open_sink(settings.out_dir, name, settings.fmt)
            stack.callback(sinks[name].close)
        progress = stack.enter_context(
            tqdm(
                total=settings.customers,
                unit="customer",
                desc="generating",
                file=sys.stderr,
                disable=settings.quiet,
            )
        )
        for chunk in range(n_chunks):
            tables = _chunk_tables(settings, chunk, counters)
            added = _add_bad_rows(settings, chunk, tables, counters)
            for name in TABLES:
                sinks[name].write(tables[name])
                stats.rows[name] += tables[name].num_rows
                stats.bad_rows[name] += added[name]
            progress.update(_chunk_size(settings, chunk))
    if not settings.quiet:
        logger.info("%s", stats.summary(settings.out_dir, settings.fmt))
    return stats


def generate(
    out_dir: str | Path,
    *,
    customers: int = 2000,
    start: str | dt.date = "2023-01-01",
    end: str | dt.date = "2025-12-31",
    seed: int = 42,
    fmt: str = "csv",
    bad_row_share: float = 0.01,
    transactions: int | None = None,
    chunk_customers: int = 50_000,
    quiet: bool = False,
) -> dict[str, int]:
    """Write customers, transactions and interactions files into ``out_dir``.

    Args:
        out_dir: Output directory (created if missing); files are ``<table>.<fmt>``.
        customers: Number of customers (ignored when ``transactions`` is given).
        start: First day of the span (``YYYY-MM-DD``, inclusive).
        end: Last day of the span (``YYYY-MM-DD``, inclusive).
        seed: Seed of all random streams; same arguments give byte-identical files.
        fmt: ``csv`` or ``parquet``.
        bad_row_share: Share of deliberately bad rows added to each table (0 = none).
        transactions: Approximate number of (good) transactions to generate; sets the
            customer count to about transactions / 20 and tunes the purchase rates.
        chunk_customers: Customers generated and written per chunk (bounds memory).
        quiet: Hide the progress bar and log no summary line.

    Returns:
        Rows written per table (bad rows included).
    """
    settings = make_settings(
        out_dir,
        customers=customers,
        start=start,
        end=end,
        seed=seed,
        fmt=fmt,
        bad_row_share=bad_row_share,
        transactions=transactions,
        chunk_customers=chunk_customers,
        quiet=quiet,
    )
    return dict(_run(settings).rows)

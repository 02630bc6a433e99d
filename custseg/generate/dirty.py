"""Deliberately bad rows (the quarantine cases): which problems each table gets, how many
per chunk, how a copy of a good row is corrupted into each problem, and where the bad rows
are inserted among the good ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from custseg.generate.constants import (
    BAD_ID_WIDTH,
    COUNTRIES,
    ID_COLUMN,
    SCHEMAS,
    TIME_COLUMN,
    TYPE_COLUMN,
    IntArray,
)

BAD_KINDS: dict[str, tuple[str, ...]] = {
    "customers": (
        "missing_key",
        "missing_value",
        "unparseable_timestamp",
        "future_dated",
        "duplicate_delivery",
        "conflicting_duplicate",
    ),
    "transactions": (
        "missing_key",
        "missing_customer_id",
        "missing_value",
        "unparseable_timestamp",
        "unparseable_amount",
        "unknown_type",
        "non_positive_amount",
        "future_dated",
        "no_fx_rate",
        "duplicate_delivery",
        "conflicting_duplicate",
    ),
    "interactions": (
        "missing_key",
        "missing_customer_id",
        "missing_value",
        "unparseable_timestamp",
        "unknown_type",
        "unparseable_number",
        "out_of_range",
        "future_dated",
        "duplicate_delivery",
        "conflicting_duplicate",
    ),
}
BAD_ID_PREFIX = {"customers": "CX", "transactions": "TX", "interactions": "IX"}
KEEPS_ID = ("missing_key", "duplicate_delivery", "conflicting_duplicate")
BAD_TIMESTAMPS = ("2024-13-45 25:61:00", "yesterday", "31/12/2024 10:00", "n/a")
BAD_AMOUNTS = ("12,5O", "abc", "n/a", "1O.00")
NON_POSITIVE_AMOUNTS = ("0", "-5.00", "0.00", "-19.99")
BAD_SCORES = ("four", "4,5", "*****")
OUT_OF_RANGE_SCORES = ("0", "6", "7", "10", "-1")


def _bad_row_count(
    rng: np.random.Generator, table: str, n_good: int, share: float, first: bool
) -> int:
    """Bad rows for a chunk: ~share x good rows; the first chunk covers every problem."""
    if share <= 0 or n_good == 0:
        return 0
    count = int(np.floor(share * n_good + rng.random()))
    return max(count, len(BAD_KINDS[table])) if first else count


def _future_timestamp(rng: np.random.Generator) -> str:
    """A valid timestamp in 2099."""
    month, day = rng.integers(1, 13), rng.integers(1, 29)
    hour, minute, second = rng.integers(0, 24), rng.integers(0, 60), rng.integers(0, 60)
    return f"2099-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    """One of ``options`` at random."""
    return options[int(rng.integers(0, len(options)))]


def _conflict(rng: np.random.Generator, table: str, row: dict[str, Any]) -> None:
    """Change a row so that it differs from the original with the same id."""
    if table == "transactions":
        amount = Decimal(row["amount"]) + Decimal(int(rng.integers(1, 20)))
        row["amount"] = f"{amount:.2f}"
    elif table == "interactions":
        shifted = dt.datetime.fromisoformat(row["occurred_at"]) + dt.timedelta(
            hours=int(rng.integers(1, 7))
        )
        row["occurred_at"] = shifted.strftime("%Y-%m-%d %H:%M:%S")
    else:
        others = [code for code in COUNTRIES if code != row["country"]]
        row["country"] = _pick(rng, others)


def _corrupt(rng: np.random.Generator, table: str, kind: str, row: dict[str, Any]) -> None:
    """Apply the problem ``kind`` to a copy of a good row (in place)."""
    time_column = TIME_COLUMN[table]
    if kind == "missing_key":
        row[ID_COLUMN[table]] = None
    elif kind == "missing_customer_id":
        row["customer_id"] = None
    elif kind == "missing_value":
        row[time_column] = None
    elif kind == "unparseable_timestamp":
        row[time_column] = _pick(rng, BAD_TIMESTAMPS)
    elif kind == "future_dated":
        row[time_column] = _future_timestamp(rng)
    elif kind == "unparseable_amount":
        row["amount"] = _pick(rng, BAD_AMOUNTS)
    elif kind == "non_positive_amount":
        row["amount"] = _pick(rng, NON_POSITIVE_AMOUNTS)
    elif kind == "unknown_type":
        row[TYPE_COLUMN[table]] = "exchange" if table == "transactions" else "chat"
        if table == "interactions":
            row["score"] = None
    elif kind == "no_fx_rate":
        row["currency"] = "XYZ"
    elif kind in ("unparseable_number", "out_of_range"):
        row["interaction_type"] = "review"
        row["score"] = _pick(
            rng, BAD_SCORES if kind == "unparseable_number" else OUT_OF_RANGE_SCORES
        )
    elif kind == "conflicting_duplicate":
        _conflict(rng, table, row)


def bad_rows(
    rng: np.random.Generator, table: str, good: pa.Table, count: int, first_number: int
) -> tuple[pa.Table, IntArray]:
    """``count`` bad rows made from good rows, and the good-row position each follows.

    Kinds cycle so every problem occurs; rows that are not duplicates get fresh ids
    (``TX00000001`` ...) so they never collide with good ids.
    """
    kinds = BAD_KINDS[table]
    kind_index = rng.permutation(np.arange(count) % len(kinds))
    base = rng.choice(good.num_rows, size=count, replace=count > good.num_rows)
    rows = good.take(pa.array(base)).to_pylist()
    position = np.empty(count, dtype=np.int64)
    fresh = first_number
    for i, row in enumerate(rows):
        kind = kinds[kind_index[i]]
        if kind not in KEEPS_ID:
            row[ID_COLUMN[table]] = f"{BAD_ID_PREFIX[table]}{fresh:0{BAD_ID_WIDTH}d}"
            fresh += 1
        _corrupt(rng, table, kind, row)
        # A re-delivered or conflicting row arrives after the original.
        low = base[i] if kind in ("duplicate_delivery", "conflicting_duplicate") else 0
        position[i] = rng.integers(low, good.num_rows)
    return pa.Table.from_pylist(rows, schema=SCHEMAS[table]), position


def with_bad_rows(good: pa.Table, bad: pa.Table, position: IntArray) -> pa.Table:
    """Good rows in their order with each bad row inserted after the good row it follows."""
    if bad.num_rows == 0:
        return good
    pos = np.concatenate([np.arange(good.num_rows), position])
    is_bad = np.concatenate([np.zeros(good.num_rows), np.ones(bad.num_rows)])
    sequence = np.arange(good.num_rows + bad.num_rows)
    order = np.lexsort((sequence, is_bad, pos))
    return pa.concat_tables([good, bad]).take(pa.array(order))

"""The validated arguments of a run: checking them, deriving the customer count, and
calibrating the purchase intensity on a fixed pilot sample (deterministic bisection).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from custseg.generate.archetypes import _param
from custseg.generate.constants import (
    DEFAULT_TRANSACTIONS_PER_BUYER,
    INTENSITY_LIMITS,
    PILOT_CUSTOMERS,
    PILOT_STREAM,
    TRANSACTIONS_PER_CUSTOMER_WHEN_TARGETED,
)
from custseg.generate.customers import plan_customers
from custseg.generate.sampling import Calendar, _rng, build_calendar
from custseg.generate.writers import FORMATS


@dataclass(frozen=True)
class Settings:
    """Validated arguments of a generation run."""

    out_dir: Path
    customers: int
    cal: Calendar
    seed: int
    fmt: str
    bad_row_share: float
    chunk_customers: int
    intensity: float
    quiet: bool

    @property
    def id_width(self) -> int:
        """Digits of customer ids (at least 6)."""
        return max(6, len(str(self.customers)))


def _pilot_rates(seed: int, cal: Calendar, intensity: float) -> tuple[float, float]:
    """Expected transactions per customer and per buying customer at ``intensity``."""
    plan = plan_customers(_rng(seed, PILOT_STREAM), cal, PILOT_CUSTOMERS, intensity)
    refund_rate = _param("refund_rate")[plan.archetype[plan.seg_customer]]
    transactions = float(np.sum(plan.seg_count * (1 + refund_rate)))
    buyers = int(np.count_nonzero(plan.purchases_per_customer))
    return transactions / PILOT_CUSTOMERS, transactions / max(buyers, 1)


def calibrate_intensity(seed: int, cal: Calendar, per_customer: float | None) -> float:
    """Purchase-rate multiplier giving ``per_customer`` transactions per customer.

    ``None`` aims at DEFAULT_TRANSACTIONS_PER_BUYER per buying customer instead.
    Found by bisection on a fixed pilot sample, so it is deterministic.
    """
    by_buyer = per_customer is None
    target = DEFAULT_TRANSACTIONS_PER_BUYER if per_customer is None else per_customer
    lo, hi = INTENSITY_LIMITS
    for _ in range(30):
        mid = (lo * hi) ** 0.5
        per_all, per_buyer = _pilot_rates(seed, cal, mid)
        reached = (per_buyer if by_buyer else per_all) >= target
        lo, hi = (lo, mid) if reached else (mid, hi)
    return (lo * hi) ** 0.5


def _parse_date(value: str | dt.date) -> dt.date:
    """A date from ``YYYY-MM-DD`` text (or a date)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def make_settings(
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
) -> Settings:
    """Validate the arguments and derive customer count and purchase intensity."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    if not 0 <= bad_row_share < 1:
        raise ValueError(f"bad_row_share must be in [0, 1), got {bad_row_share}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    if chunk_customers < 1:
        raise ValueError(f"chunk_customers must be positive, got {chunk_customers}")
    if transactions is not None and transactions < 1:
        raise ValueError(f"transactions must be positive, got {transactions}")
    if transactions is None and customers < 1:
        raise ValueError(f"customers must be positive, got {customers}")
    cal = build_calendar(_parse_date(start), _parse_date(end))
    if transactions is not None:
        customers = max(1, round(transactions / TRANSACTIONS_PER_CUSTOMER_WHEN_TARGETED))
        intensity = calibrate_intensity(seed, cal, transactions / customers)
    else:
        intensity = calibrate_intensity(seed, cal, None)
    return Settings(
        out_dir=Path(out_dir),
        customers=customers,
        cal=cal,
        seed=seed,
        fmt=fmt,
        bad_row_share=bad_row_share,
        chunk_customers=chunk_customers,
        intensity=intensity,
        quiet=quiet,
    )

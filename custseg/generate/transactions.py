"""Purchases and refunds of a chunk (seasonal dates, same-day repeat orders, baskets,
categories, channels, currencies, full and partial refunds) and the ``transactions`` table
with its mix of UTC, offset and ``Z`` timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg.generate.archetypes import _param
from custseg.generate.constants import (
    CATEGORIES,
    CATEGORY_PRICE_FACTOR,
    CATEGORY_WEIGHTS,
    CURRENCIES,
    EUR_PER_USD,
    SALES_CHANNEL_WEIGHTS,
    SALES_CHANNELS,
    SCHEMAS,
    SECONDS_PER_DAY,
    SHARE_WITH_OFFSET,
    SHARE_WITH_Z,
    TRANSACTION_ID_WIDTH,
    TRANSACTION_TYPES,
    UTC_OFFSETS_MINUTES,
    BoolArray,
    IntArray,
)
from custseg.generate.customers import CustomerPlan, CustomerTraits
from custseg.generate.formatting import _decode, _format_ids, _format_money, _format_utc
from custseg.generate.sampling import (
    Calendar,
    _day_start,
    _normalised,
    _sample_days,
    _sample_time_of_day,
    _uniform_int,
    _with_missing,
)


@dataclass
class Transactions:
    """Transactions of a chunk as arrays (sorted by customer, then time)."""

    customer: IntArray
    ts: IntArray
    kind: IntArray  # 0 purchase, 1 refund
    cents: IntArray  # amount in the transaction's currency
    currency: IntArray  # 0 empty, 1 USD, 2 EUR
    category: IntArray  # -1 = missing
    channel: IntArray  # -1 = missing
    purchase: BoolArray = field(init=False)

    def __post_init__(self) -> None:
        self.purchase = self.kind == 0

    def take(self, index: IntArray) -> Transactions:
        """The rows at ``index``."""
        return Transactions(
            self.customer[index],
            self.ts[index],
            self.kind[index],
            self.cents[index],
            self.currency[index],
            self.category[index],
            self.channel[index],
        )


def _purchase_times(
    rng: np.random.Generator, cal: Calendar, plan: CustomerPlan
) -> tuple[IntArray, IntArray, BoolArray]:
    """Customer, timestamp and pinned flag of every purchase (seasonally weighted days)."""
    counts = plan.seg_count
    total = int(counts.sum())
    segment = np.repeat(np.arange(len(counts)), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    lo, hi = plan.seg_lo[segment], plan.seg_hi[segment]
    pinned = plan.seg_pinned[segment] & (offset == 0)
    day = np.where(pinned, hi, _sample_days(rng, cal.season_cum, lo, hi))
    customer = plan.seg_customer[segment]
    ts = _day_start(cal, day) + _sample_time_of_day(rng, total)
    reg_ts = plan.reg_ts[customer]
    after_registration = reg_ts + rng.integers(120, 4 * 3600, size=total)
    ts = np.minimum(np.where(ts < reg_ts, after_registration, ts), cal.end_ts)
    return customer, ts, pinned


def _same_day_orders(
    rng: np.random.Generator,
    plan: CustomerPlan,
    customer: IntArray,
    ts: IntArray,
    pinned: BoolArray,
) -> IntArray:
    """Move some repeat orders onto the day of the customer's previous order."""
    order = np.lexsort((ts, customer))
    customer, ts, pinned = customer[order], ts[order], pinned[order]
    prev_ts = np.concatenate([[0], ts[:-1]]).astype(np.int64)
    same_customer = np.concatenate([[False], customer[1:] == customer[:-1]])
    rate = _param("same_day_rate")[plan.archetype[customer]]
    move = same_customer & ~pinned & (rng.random(len(ts)) < rate)
    day_end = prev_ts - prev_ts % SECONDS_PER_DAY + SECONDS_PER_DAY - 1
    moved = np.minimum(prev_ts + rng.integers(300, 5 * 3600, size=len(ts)), day_end)
    ts = np.where(move, np.maximum(moved, prev_ts), ts)
    # Undo the sort so the caller's customer array still lines up.
    restored = np.empty_like(ts)
    restored[order] = ts
    return restored


def _purchases(
    rng: np.random.Generator, cal: Calendar, plan: CustomerPlan, traits: CustomerTraits
) -> Transactions:
    """All purchases of a chunk: dates, basket values, categories, channels, currencies."""
    customer, ts, pinned = _purchase_times(rng, cal, plan)
    ts = _same_day_orders(rng, plan, customer, ts, pinned)
    n = len(customer)
    category = np.where(
        rng.random(n) < 0.55,
        traits.category[customer],
        rng.choice(len(CATEGORIES), size=n, p=_normalised(CATEGORY_WEIGHTS)),
    )
    channel = np.where(
        rng.random(n) < 0.8,
        traits.channel[customer],
        rng.choice(len(SALES_CHANNELS), size=n, p=_normalised(SALES_CHANNEL_WEIGHTS)),
    )
    usd = (
        traits.basket_usd[customer]
        * rng.lognormal(0.0, 0.45, size=n)
        * np.array(CATEGORY_PRICE_FACTOR)[category]
    )
    cents_usd = np.maximum(np.rint(usd * 100), 100).astype(np.int64)
    eur = traits.pays_eur[customer]
    cents = np.where(eur, np.maximum(np.rint(cents_usd * EUR_PER_USD), 100), cents_usd)
    currency = np.where(eur, 2, (rng.random(n) < 0.45).astype(np.int64))
    return Transactions(
        customer=customer,
        ts=ts,
        kind=np.zeros(n, dtype=np.int64),
        cents=cents.astype(np.int64),
        currency=currency.astype(np.int64),
        category=_with_missing(rng, category, 0.02),
        channel=_with_missing(rng, channel, 0.04),
    )


def _refunds(
    rng: np.random.Generator, cal: Calendar, plan: CustomerPlan, purchases: Transactions
) -> Transactions:
    """Refunds of ~6% of purchases, 1-30 days later (never after the end), some partial."""
    n = len(purchases.ts)
    room = np.minimum(30 * SECONDS_PER_DAY, cal.end_ts - purchases.ts)
    rate = _param("refund_rate")[plan.archetype[purchases.customer]]
    refunded = np.flatnonzero((rng.random(n) < rate) & (room >= SECONDS_PER_DAY))
    refunds = purchases.take(refunded)
    delay = _uniform_int(rng, np.full(len(refunded), SECONDS_PER_DAY), room[refunded])
    partial = rng.random(len(refunded)) < 0.25
    share = rng.uniform(0.1, 0.9, size=len(refunded))
    partial_cents = np.clip(np.rint(refunds.cents * share), 1, refunds.cents - 1)
    refunds.ts = refunds.ts + delay
    refunds.cents = np.where(partial, partial_cents, refunds.cents).astype(np.int64)
    refunds.kind = np.ones(len(refunded), dtype=np.int64)
    refunds.purchase = np.zeros(len(refunded), dtype=bool)
    return refunds


def build_transactions(
    rng: np.random.Generator, cal: Calendar, plan: CustomerPlan, traits: CustomerTraits
) -> Transactions:
    """Purchases and refunds of a chunk, sorted by customer, time and type."""
    purchases = _purchases(rng, cal, plan, traits)
    refunds = _refunds(rng, cal, plan, purchases)
    both = Transactions(
        *(
            np.concatenate([getattr(purchases, name), getattr(refunds, name)])
            for name in ("customer", "ts", "kind", "cents", "currency", "category", "channel")
        )
    )
    return both.take(np.lexsort((both.kind, both.ts, both.customer)))


def _offset_text(minutes: int) -> str:
    """``+02:00`` style text of a UTC offset in minutes."""
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _format_transaction_times(rng: np.random.Generator, ts: IntArray) -> pa.Array:
    """Mostly ``YYYY-MM-DD HH:MM:SS`` UTC; ~5% local time with an offset, ~2% with ``Z``.

    An offset row shows the same instant: the UTC time shifted into the offset's local time.
    """
    n = len(ts)
    u = rng.random(n)
    offset_index = rng.integers(0, len(UTC_OFFSETS_MINUTES), size=n)
    with_offset = u < SHARE_WITH_OFFSET
    with_z = (u >= SHARE_WITH_OFFSET) & (u < SHARE_WITH_OFFSET + SHARE_WITH_Z)
    offset_seconds = np.where(with_offset, np.array(UTC_OFFSETS_MINUTES)[offset_index] * 60, 0)
    suffixes = [_offset_text(m) for m in UTC_OFFSETS_MINUTES] + ["Z"]
    suffix = _decode(np.where(with_offset, offset_index, len(UTC_OFFSETS_MINUTES)), suffixes)
    local = pc.strftime(
        pa.array(ts + offset_seconds, type=pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%S"
    )
    iso = pc.binary_join_element_wise(local, suffix, "")
    return pc.if_else(pa.array(with_offset | with_z), iso, _format_utc(ts))


def transactions_table(
    rng: np.random.Generator,
    txn: Transactions,
    first_index: int,
    first_number: int,
    id_width: int,
) -> pa.Table:
    """The transactions rows of a chunk; ids numbered from ``first_number``."""
    n = len(txn.ts)
    columns = [
        _format_ids("T", first_number + np.arange(n), TRANSACTION_ID_WIDTH),
        _format_ids("C", first_index + txn.customer + 1, id_width),
        _format_transaction_times(rng, txn.ts),
        _decode(txn.kind, TRANSACTION_TYPES),
        _format_money(txn.cents),
        _decode(txn.currency - 1, CURRENCIES),
        _decode(txn.category, CATEGORIES),
        _decode(txn.channel, SALES_CHANNELS),
    ]
    return pa.Table.from_arrays(columns, schema=SCHEMAS["transactions"])

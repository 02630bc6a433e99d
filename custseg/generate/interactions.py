"""Interactions of a chunk (visits before purchases and browsing, e-mail opens and clicks,
support tickets and complaints before churn, referrals, reviews with scores) and the
``interactions`` table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from custseg.generate.archetypes import LAPSED, PROSPECT, REVIEW_SCORE_CUM, _param
from custseg.generate.constants import (
    APP,
    COMPLAINT,
    DAYS_PER_MONTH,
    EMAIL,
    EMAIL_CLICK,
    EMAIL_OPEN,
    INTERACTION_CHANNELS,
    INTERACTION_ID_WIDTH,
    INTERACTION_TYPES,
    PHONE,
    REFERRAL,
    REVIEW,
    SCHEMAS,
    SECONDS_PER_DAY,
    STORE,
    SUPPORT_TICKET,
    VISIT,
    WEB,
    FloatArray,
    IntArray,
)
from custseg.generate.customers import CustomerPlan, CustomerTraits
from custseg.generate.formatting import _decode, _format_ids, _format_utc
from custseg.generate.sampling import Calendar, _day_start, _uniform_int, _with_missing
from custseg.generate.transactions import Transactions


@dataclass
class EventBuffer:
    """Collects interaction events as arrays before they are combined."""

    parts: list[tuple[IntArray, IntArray, IntArray, IntArray, IntArray]] = field(
        default_factory=list
    )

    def add(
        self,
        customer: IntArray,
        ts: IntArray,
        kind: int,
        channel: IntArray,
        score: IntArray | None = None,
    ) -> None:
        """Add events of one interaction type (channel -1 = missing, score 0 = none)."""
        n = len(customer)
        kinds = np.full(n, kind, dtype=np.int64)
        scores = np.zeros(n, dtype=np.int64) if score is None else score
        self.parts.append((customer, ts, kinds, channel.astype(np.int64), scores))

    def combined(self) -> tuple[IntArray, ...]:
        """Customer, ts, kind, channel and score of all events."""
        return tuple(np.concatenate([part[i] for part in self.parts]) for i in range(5))


def _pick_channel(rng: np.random.Generator, n: int, options: Sequence[int]) -> IntArray:
    """A random channel code out of ``options`` for each of ``n`` events."""
    return np.asarray(options, dtype=np.int64)[rng.integers(0, len(options), size=n)]


def _repeat_by_counts(counts: IntArray) -> IntArray:
    """Row index repeated ``counts`` times each."""
    return np.repeat(np.arange(len(counts)), counts)


def _engaged_window(cal: Calendar, plan: CustomerPlan, tail_days: int) -> tuple[IntArray, IntArray]:
    """Timestamps from registration to the end of engagement (+ ``tail_days`` for lapsed)."""
    last_day = np.where(
        plan.stop_day < cal.last_day,
        np.minimum(plan.stop_day + tail_days, cal.last_day),
        cal.last_day,
    )
    prospect = plan.archetype == PROSPECT
    last_day = np.where(prospect, np.minimum(plan.reg_day + 90, cal.last_day), last_day)
    hi = _day_start(cal, last_day) + SECONDS_PER_DAY - 1
    return plan.reg_ts, np.maximum(hi, plan.reg_ts)


def _per_customer_events(
    rng: np.random.Generator,
    cal: Calendar,
    plan: CustomerPlan,
    per_month: FloatArray,
    tail_days: int,
) -> tuple[IntArray, IntArray]:
    """Poisson-many events per customer, uniform over the engaged window."""
    lo, hi = _engaged_window(cal, plan, tail_days)
    months = (hi - lo) / (SECONDS_PER_DAY * DAYS_PER_MONTH)
    counts = rng.poisson(per_month * months)
    customer = _repeat_by_counts(counts)
    return customer, _uniform_int(rng, lo[customer], hi[customer])


def _visits(
    rng: np.random.Generator,
    cal: Calendar,
    plan: CustomerPlan,
    purchases: Transactions,
    buffer: EventBuffer,
    engagement: float,
) -> None:
    """Visits clustered in the days before purchases, plus background browsing."""
    per_purchase = rng.poisson(1.1, size=len(purchases.ts))
    source = _repeat_by_counts(per_purchase)
    lead = np.minimum(rng.exponential(1.2 * SECONDS_PER_DAY, size=len(source)), 7 * 86_400)
    channel = purchases.channel[source]
    channel = np.where((channel == WEB) | (channel == APP), channel, WEB)
    buffer.add(
        purchases.customer[source],
        purchases.ts[source] - 60 - lead.astype(np.int64),
        VISIT,
        channel,
    )
    per_month = _param("visits_per_month")[plan.archetype] * engagement
    customer, ts = _per_customer_events(rng, cal, plan, per_month, tail_days=0)
    buffer.add(customer, ts, VISIT, _pick_channel(rng, len(customer), (WEB, WEB, APP)))


def _emails(
    rng: np.random.Generator,
    cal: Calendar,
    plan: CustomerPlan,
    buffer: EventBuffer,
    engagement: float,
) -> None:
    """Newsletter opens while engaged (lapsed customers stop a month after they stop buying)."""
    per_month = _param("opens_per_month")[plan.archetype] * engagement
    customer, ts = _per_customer_events(rng, cal, plan, per_month, tail_days=30)
    buffer.add(customer, ts, EMAIL_OPEN, np.full(len(customer), EMAIL))
    clicked = rng.random(len(customer)) < _param("click_rate")[plan.archetype[customer]]
    click_ts = ts[clicked] + rng.integers(20, 3600, size=int(clicked.sum()))
    buffer.add(customer[clicked], click_ts, EMAIL_CLICK, np.full(int(clicked.sum()), EMAIL))


def _lapsing_events(
    rng: np.random.Generator,
    cal: Calendar,
    plan: CustomerPlan,
    probability: float,
    extra: float,
    days_before: int,
) -> tuple[IntArray, IntArray]:
    """Events of lapsed customers in their last ``days_before`` days before they stop."""
    lapsed = np.isin(plan.archetype, LAPSED)
    n = len(plan.archetype)
    counts = (lapsed & (rng.random(n) < probability)) * (1 + rng.binomial(2, extra, size=n))
    customer = _repeat_by_counts(counts)
    stop = plan.stop_day[customer]
    lo = np.maximum(_day_start(cal, stop - days_before), plan.reg_ts[customer])
    hi = _day_start(cal, stop) + SECONDS_PER_DAY - 1
    return customer, _uniform_int(rng, lo, np.maximum(hi, lo))


def _after_purchases(
    rng: np.random.Generator, purchases: Transactions, probability: FloatArray | float, days: int
) -> tuple[IntArray, IntArray]:
    """Index of purchases followed by an event, and the event times (1 h .. ``days`` later)."""
    chosen = np.flatnonzero(rng.random(len(purchases.ts)) < probability)
    delay = rng.integers(3600, days * SECONDS_PER_DAY, size=len(chosen))
    return chosen, purchases.ts[chosen] + delay


def _service(
    rng: np.random.Generator,
    cal: Calendar,
    plan: CustomerPlan,
    purchases: Transactions,
    buffer: EventBuffer,
) -> None:
    """Support tickets and complaints: a few after purchases, many before churn."""
    chosen, ts = _after_purchases(rng, purchases, 0.02, days=14)
    customer = purchases.customer[chosen]
    buffer.add(customer, ts, SUPPORT_TICKET, _pick_channel(rng, len(chosen), (EMAIL, PHONE, WEB)))
    customer, ts = _lapsing_events(rng, cal, plan, 0.8, 0.4, days_before=90)
    buffer.add(customer, ts, SUPPORT_TICKET, _pick_channel(rng, len(customer), (EMAIL, PHONE, WEB)))
    chosen, ts = _after_purchases(rng, purchases, 0.004, days=20)
    customer = purchases.customer[chosen]
    buffer.add(customer, ts, COMPLAINT, _pick_channel(rng, len(chosen), (PHONE, EMAIL, STORE)))
    customer, ts = _lapsing_events(rng, cal, plan, 0.7, 0.2, days_before=60)
    buffer.add(customer, ts, COMPLAINT, _pick_channel(rng, len(customer), (PHONE, EMAIL, STORE)))


def _referrals_and_reviews(
    rng: np.random.Generator,
    cal: Calendar,
    plan: CustomerPlan,
    purchases: Transactions,
    buffer: EventBuffer,
    engagement: float,
) -> None:
    """Referrals (mostly loyal customers) and reviews with a 1-5 score after purchases."""
    per_month = _param("referrals_per_month")[plan.archetype] * engagement
    customer, ts = _per_customer_events(rng, cal, plan, per_month, tail_days=0)
    buffer.add(customer, ts, REFERRAL, _pick_channel(rng, len(customer), (WEB, APP)))
    archetype = plan.archetype[purchases.customer]
    chosen, ts = _after_purchases(rng, purchases, _param("review_rate")[archetype], days=21)
    cum = REVIEW_SCORE_CUM[archetype[chosen]]
    score = (rng.random(len(chosen))[:, None] > cum[:, :-1]).sum(axis=1) + 1
    buffer.add(
        purchases.customer[chosen],
        ts,
        REVIEW,
        _pick_channel(rng, len(chosen), (WEB, APP, APP)),
        score.astype(np.int64),
    )


def build_interactions(
    rng: np.random.Generator,
    cal: Calendar,
    plan: CustomerPlan,
    traits: CustomerTraits,
    txn: Transactions,
    engagement: float,
) -> tuple[IntArray, ...]:
    """All interactions of a chunk, sorted by customer, time and type.

    ``engagement`` multiplies the visit, e-mail and referral rates. Returns customer,
    ts, kind, channel and score arrays (orphans and events outside registration .. end
    dropped).
    """
    purchases = txn.take(np.flatnonzero(txn.purchase))
    buffer = EventBuffer()
    _visits(rng, cal, plan, purchases, buffer, engagement)
    _emails(rng, cal, plan, buffer, engagement)
    _service(rng, cal, plan, purchases, buffer)
    _referrals_and_reviews(rng, cal, plan, purchases, buffer, engagement)
    customer, ts, kind, channel, score = buffer.combined()
    channel = _with_missing(rng, channel, 0.03)
    keep = (ts >= plan.reg_ts[customer]) & (ts <= cal.end_ts) & ~traits.orphan[customer]
    customer, ts, kind, channel, score = (a[keep] for a in (customer, ts, kind, channel, score))
    order = np.lexsort((kind, ts, customer))
    return tuple(a[order] for a in (customer, ts, kind, channel, score))


def interactions_table(
    events: tuple[IntArray, ...], first_index: int, first_number: int, id_width: int
) -> pa.Table:
    """The interactions rows of a chunk; ids numbered from ``first_number``."""
    customer, ts, kind, channel, score = events
    n = len(ts)
    columns = [
        _format_ids("I", first_number + np.arange(n), INTERACTION_ID_WIDTH),
        _format_ids("C", first_index + customer + 1, id_width),
        _format_utc(ts),
        _decode(kind, INTERACTION_TYPES),
        _decode(channel, INTERACTION_CHANNELS),
        pa.array(score, type=pa.int64(), mask=score <= 0).cast(pa.string()),
    ]
    return pa.Table.from_arrays(columns, schema=SCHEMAS["interactions"])

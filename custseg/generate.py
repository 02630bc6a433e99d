"""Deterministic, seeded generator of demo raw data for the customer-segmentation project.

Writes the three tables of the raw-data contract, ``customers``, ``transactions``
and ``interactions``, as CSV or Parquet (every column text) into one directory.

The data imitates a real shop so that every segment of the project is populated:
customer archetypes (loyal high spenders, steady repeaters, occasional and one-time
buyers, dormant and churned customers, reactivated customers, new customers and
prospects who never buy), heavy-tailed order counts, seasonal peaks (November and
December, a mid-year sale), several orders on one day, full and partial refunds,
orders in EUR, timestamps with offsets, visits before purchases, e-mail opens and
clicks, support tickets and complaints before churn, referrals and reviews. A small,
configurable share of deliberately bad rows (one of each problem the project
quarantines, at least) is added on top of the good rows.

Customers are generated in chunks. Each chunk draws its good rows from its own random
stream derived from ``(seed, chunk index)`` and its bad rows from a second, separate
stream, and is appended to the output files before the next chunk starts. So memory
stays bounded, the output is byte-identical for the same arguments, and the good rows
are the same whatever ``--bad-row-share`` is.

Usage::

    python -m custseg.generate --out data/demo
    python -m custseg.generate --transactions 1000000 --format parquet --quiet
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from custseg.contract import COLUMNS, TABLES

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# ---------------------------------------------------------------------------
# The raw-data contract
# ---------------------------------------------------------------------------

FORMATS: tuple[str, ...] = ("csv", "parquet")
# Rows per Parquet row group (DuckDB's default row group size).
PARQUET_ROW_GROUP_ROWS = 122_880

SCHEMAS: dict[str, pa.Schema] = {
    table: pa.schema([pa.field(name, pa.string()) for name in columns])
    for table, columns in COLUMNS.items()
}
ID_COLUMN = {
    "customers": "customer_id",
    "transactions": "transaction_id",
    "interactions": "interaction_id",
}
TYPE_COLUMN = {"transactions": "transaction_type", "interactions": "interaction_type"}
TIME_COLUMN = {
    "customers": "registered_at",
    "transactions": "transaction_at",
    "interactions": "occurred_at",
}

# ---------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------

COUNTRIES = ("US", "DE", "FR", "GB", "NL", "ES", "IT")
COUNTRY_WEIGHTS = (0.46, 0.13, 0.09, 0.11, 0.05, 0.07, 0.06)
COUNTRY_CALLING_CODES = (1, 49, 33, 44, 31, 34, 39)
EURO_COUNTRIES = ("DE", "FR", "NL", "ES", "IT")
ACQUISITION_CHANNELS = ("organic", "paid_search", "social", "referral", "email", "affiliate")
ACQUISITION_WEIGHTS = (0.32, 0.22, 0.18, 0.12, 0.08, 0.08)
CATEGORIES = ("apparel", "electronics", "home", "beauty", "books", "sports", "toys", "grocery")
CATEGORY_WEIGHTS = (0.22, 0.12, 0.14, 0.12, 0.10, 0.10, 0.08, 0.12)
CATEGORY_PRICE_FACTOR = (1.0, 2.6, 1.5, 0.6, 0.35, 1.2, 0.7, 0.45)
SALES_CHANNELS = ("web", "app", "store")
SALES_CHANNEL_WEIGHTS = (0.55, 0.33, 0.12)
TRANSACTION_TYPES = ("purchase", "refund")
CURRENCIES = ("USD", "EUR")  # code 0 = empty (reporting currency), 1 = USD, 2 = EUR
EUR_PER_USD = 1 / 1.09
INTERACTION_TYPES = (
    "visit",
    "email_open",
    "email_click",
    "support_ticket",
    "complaint",
    "referral",
    "review",
)
VISIT, EMAIL_OPEN, EMAIL_CLICK, SUPPORT_TICKET, COMPLAINT, REFERRAL, REVIEW = range(7)
INTERACTION_CHANNELS = ("web", "app", "store", "email", "phone")
WEB, APP, STORE, EMAIL, PHONE = range(5)
FIRST_NAMES = (
    "anna", "ben", "carla", "david", "emma", "felix", "grace", "hugo", "ines", "jonas",
    "karin", "leo", "maria", "noah", "olivia", "paul", "quinn", "rosa", "sam", "tara",
    "umar", "vera", "will", "xenia", "yusuf", "zoe", "lucas", "mia", "elena", "marco",
)  # fmt: skip
LAST_NAMES = (
    "smith", "mueller", "martin", "jones", "garcia", "rossi", "dubois", "jansen", "brown",
    "schmidt", "bernard", "taylor", "lopez", "bianchi", "visser", "wilson", "fischer",
    "moreau", "evans", "romero", "ricci", "dekker", "clark", "weber", "laurent", "walker",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")
# Hour-of-day weights (UTC) for events: quiet nights, evening peak.
HOUR_WEIGHTS = (
    1.0, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.2, 2.8, 3.2, 3.4,
    3.6, 3.4, 3.2, 3.2, 3.4, 3.8, 4.4, 5.0, 5.2, 4.6, 3.4, 2.0,
)  # fmt: skip
# Offsets (minutes) of the transactions written with an explicit UTC offset.
UTC_OFFSETS_MINUTES = (120, 60, -300, -240, 330, 540, -480, 0)
SHARE_WITH_OFFSET = 0.05
SHARE_WITH_Z = 0.02

SECONDS_PER_DAY = 86_400
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = 30.44
TRANSACTION_ID_WIDTH = 9
INTERACTION_ID_WIDTH = 9
BAD_ID_WIDTH = 8
DEFAULT_TRANSACTIONS_PER_BUYER = 10.0
TRANSACTIONS_PER_CUSTOMER_WHEN_TARGETED = 20.0
PILOT_CUSTOMERS = 20_000
# Bounds of the purchase-rate multiplier found by calibration, and of the multiplier
# applied to engagement (visits, e-mails, referrals) so short spans stay plausible.
INTENSITY_LIMITS = (0.05, 20.0)
ENGAGEMENT_LIMITS = (0.5, 3.0)

# Random streams: spawn_key (STREAM, chunk index) of the SeedSequence.
GOOD_STREAM, BAD_STREAM, PILOT_STREAM = 0, 1, 2

# ---------------------------------------------------------------------------
# Customer archetypes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Archetype:
    """Behaviour of one kind of customer; rates are medians before per-customer noise."""

    name: str
    share: float  # share of all customers
    orders_per_year: float  # purchase rate while active (0: fixed count)
    rate_sigma: float  # log-normal spread of the purchase rate between customers
    min_orders: int  # purchases in the main buying window, at least
    basket_usd: float  # median basket value
    refund_rate: float  # share of purchases refunded
    same_day_rate: float  # share of repeat orders placed on the day of the previous one
    visits_per_month: float  # visits besides those just before a purchase
    opens_per_month: float  # newsletter opens while engaged
    click_rate: float  # share of opens followed by a click
    referrals_per_month: float
    review_rate: float  # share of purchases reviewed
    review_scores: tuple[float, float, float, float, float]  # P(score = 1 .. 5)


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype("loyal", 0.05, 24.0, 0.55, 8, 110.0, 0.04, 0.10, 1.1, 1.2, 0.45, 0.10, 0.20,
              (0.01, 0.02, 0.07, 0.30, 0.60)),
    Archetype("steady", 0.20, 9.0, 0.50, 3, 65.0, 0.055, 0.05, 0.45, 0.7, 0.30, 0.01, 0.12,
              (0.04, 0.06, 0.18, 0.40, 0.32)),
    Archetype("occasional", 0.20, 2.0, 0.50, 2, 50.0, 0.06, 0.03, 0.25, 0.38, 0.25, 0.003, 0.10,
              (0.06, 0.08, 0.22, 0.38, 0.26)),
    Archetype("one_time", 0.22, 0.0, 0.0, 1, 45.0, 0.07, 0.0, 0.10, 0.19, 0.20, 0.001, 0.10,
              (0.10, 0.10, 0.25, 0.30, 0.25)),
    Archetype("dormant", 0.075, 7.0, 0.55, 2, 55.0, 0.09, 0.04, 0.38, 0.45, 0.25, 0.003, 0.12,
              (0.25, 0.25, 0.22, 0.16, 0.12)),
    Archetype("churned", 0.075, 7.0, 0.55, 2, 55.0, 0.10, 0.04, 0.38, 0.45, 0.25, 0.003, 0.12,
              (0.30, 0.28, 0.20, 0.13, 0.09)),
    Archetype("reactivated", 0.03, 5.0, 0.50, 2, 60.0, 0.06, 0.04, 0.33, 0.45, 0.30, 0.005, 0.10,
              (0.06, 0.08, 0.22, 0.38, 0.26)),
    Archetype("new", 0.05, 0.0, 0.0, 1, 50.0, 0.05, 0.05, 0.85, 0.75, 0.30, 0.0, 0.08,
              (0.05, 0.07, 0.20, 0.38, 0.30)),
    Archetype("prospect", 0.10, 0.0, 0.0, 0, 0.0, 0.0, 0.0, 0.35, 0.3, 0.20, 0.0, 0.0,
              (0.2, 0.2, 0.2, 0.2, 0.2)),
)  # fmt: skip
LOYAL, STEADY, OCCASIONAL, ONE_TIME, DORMANT, CHURNED, REACTIVATED, NEW, PROSPECT = range(
    len(ARCHETYPES)
)
LAPSED = (DORMANT, CHURNED)
# Days an archetype needs between registration and the end of the span; "new"
# customers are exactly those registered in the last NEW_CUSTOMER_DAYS.
MIN_DAYS_AFTER_REGISTRATION = (180, 100, 30, 0, 140, 425, 210, 0, 0)
NEW_CUSTOMER_DAYS = 90


def _param(name: str) -> npt.NDArray[Any]:
    """One archetype attribute as an array indexed by archetype number."""
    return np.array([getattr(archetype, name) for archetype in ARCHETYPES])


ARCHETYPE_SHARES = _param("share").astype(np.float64)
ARCHETYPE_SHARES /= ARCHETYPE_SHARES.sum()
REVIEW_SCORE_CUM = np.cumsum(np.array([a.review_scores for a in ARCHETYPES]), axis=1)

# ---------------------------------------------------------------------------
# Bad rows
# ---------------------------------------------------------------------------

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

# ---------------------------------------------------------------------------
# Calendar and sampling helpers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """The generated date span and the day weights used for sampling."""

    start_ts: int  # epoch seconds of the first day, 00:00:00 UTC
    n_days: int
    season_cum: FloatArray  # cumulative seasonal purchase weights (leading 0)
    growth_cum: FloatArray  # cumulative registration weights (leading 0)
    archetype_tilt: FloatArray  # archetype weights correcting for feasibility

    @property
    def last_day(self) -> int:
        """Index of the last day of the span."""
        return self.n_days - 1

    @property
    def end_ts(self) -> int:
        """Epoch seconds of the last second of the span (23:59:59 UTC of the end date)."""
        return self.start_ts + self.n_days * SECONDS_PER_DAY - 1


def _season_weights(days: npt.NDArray[np.datetime64]) -> FloatArray:
    """Relative purchase volume per day: Nov/Dec peaks, a mid-year sale, busier weekends."""
    months = days.astype("datetime64[M]")
    month = months.astype(np.int64) % 12 + 1
    dom = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    weekday = (days.astype(np.int64) + 3) % 7  # 0 = Monday
    weights = np.ones(len(days))
    weights[month == 1] = 0.8
    weights[month == 2] = 0.85
    weights[month == 11] = 1.35
    weights[(month == 11) & (dom >= 20)] = 2.4  # Black Friday / Cyber week
    weights[(month == 12) & (dom <= 22)] = 1.9
    weights[(month == 12) & (dom > 22)] = 1.1
    weights[((month == 6) & (dom >= 24)) | ((month == 7) & (dom <= 7))] = 1.9  # mid-year sale
    weights *= np.where(weekday >= 5, 1.1, 1.0)
    return weights


def build_calendar(start: dt.date, end: dt.date) -> Calendar:
    """Calendar for the inclusive date span ``start`` .. ``end``."""
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    n_days = len(days)
    growth = 1.0 + 1.5 * np.arange(n_days) / max(n_days - 1, 1)  # 2.5x the rate at the end
    start_ts = int(days[0].astype("datetime64[s]").astype(np.int64))
    growth_cum = np.concatenate([[0.0], np.cumsum(growth)])
    return Calendar(
        start_ts=start_ts,
        n_days=n_days,
        season_cum=np.concatenate([[0.0], np.cumsum(_season_weights(days))]),
        growth_cum=growth_cum,
        archetype_tilt=_archetype_tilt(growth_cum),
    )


def _sample_days(rng: np.random.Generator, cum: FloatArray, lo: IntArray, hi: IntArray) -> IntArray:
    """One day per row in ``lo .. hi`` (inclusive), weighted by the cumulative weights ``cum``."""
    target = cum[lo] + rng.random(len(lo)) * (cum[hi + 1] - cum[lo])
    day = np.searchsorted(cum, target, side="right") - 1
    return np.clip(day, lo, hi).astype(np.int64)


_HOUR_P = np.array(HOUR_WEIGHTS) / np.sum(HOUR_WEIGHTS)


def _sample_time_of_day(rng: np.random.Generator, n: int) -> IntArray:
    """Seconds after midnight, busier in the day and evening."""
    hours = rng.choice(24, size=n, p=_HOUR_P)
    return (hours * 3600 + rng.integers(0, 3600, size=n)).astype(np.int64)


def _uniform_int(rng: np.random.Generator, lo: IntArray, hi: IntArray) -> IntArray:
    """Uniform integers (days or epoch seconds) in ``lo .. hi`` (inclusive), row by row."""
    span = np.maximum(hi - lo, 0)
    return lo + np.floor(rng.random(len(lo)) * (span + 1)).astype(np.int64)


def _day_start(cal: Calendar, day: IntArray) -> IntArray:
    """Epoch seconds of 00:00:00 of each day index."""
    return cal.start_ts + day * SECONDS_PER_DAY


def _stochastic_round(rng: np.random.Generator, x: FloatArray) -> IntArray:
    """Round down or up at random so the mean is kept (monotone in ``x`` for fixed draws)."""
    return np.floor(x + rng.random(len(x))).astype(np.int64)


# ---------------------------------------------------------------------------
# Customer plan: archetypes, registration and buying windows
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerPlan:
    """Who the customers of a chunk are and when they buy.

    Purchases come from "segments": a window of days with a purchase count. Every
    customer has one segment; reactivated customers a second one near the end.
    """

    archetype: IntArray
    reg_day: IntArray
    reg_ts: IntArray
    stop_day: IntArray  # last day of engagement (stop day of lapsed customers)
    seg_customer: IntArray
    seg_lo: IntArray
    seg_hi: IntArray
    seg_count: IntArray
    seg_pinned: BoolArray  # one purchase exactly on seg_hi (sharp last-purchase dates)

    @property
    def purchases_per_customer(self) -> IntArray:
        """Planned purchases of each customer."""
        return np.bincount(self.seg_customer, self.seg_count, len(self.archetype)).astype(np.int64)


def _feasible(before_end: IntArray) -> BoolArray:
    """Which archetypes fit a registration ``before_end`` days before the end (rows x types)."""
    minimum = np.array(MIN_DAYS_AFTER_REGISTRATION)
    feasible = before_end[:, None] >= minimum[None, :]
    feasible[:, NEW] = before_end < NEW_CUSTOMER_DAYS
    return feasible


def _archetype_tilt(growth_cum: FloatArray) -> FloatArray:
    """Weights per archetype so that, given feasibility, the overall shares match.

    Customers register along the growth curve; a registration date rules out some
    archetypes (a churned customer needs a year of history). Re-weighting the rest
    keeps the archetype shares close to ARCHETYPE_SHARES whatever the span.
    """
    day_p = np.diff(growth_cum) / growth_cum[-1]
    n_days = len(day_p)
    feasible = _feasible(n_days - 1 - np.arange(n_days)).astype(np.float64)
    tilt = ARCHETYPE_SHARES.copy()
    for _ in range(100):
        conditional = feasible * tilt
        conditional /= conditional.sum(axis=1, keepdims=True)
        reached = day_p @ conditional
        tilt *= np.where(reached > 0, ARCHETYPE_SHARES / np.maximum(reached, 1e-12), 1.0)
    return tilt


def _draw_archetypes(rng: np.random.Generator, reg_day: IntArray, cal: Calendar) -> IntArray:
    """An archetype per customer that fits the registration day."""
    weights = _feasible(cal.last_day - reg_day) * cal.archetype_tilt
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(reg_day)) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(axis=1), len(ARCHETYPES) - 1).astype(np.int64)


def _stop_days(
    rng: np.random.Generator, archetype: IntArray, reg_day: IntArray, last: int
) -> IntArray:
    """Last active day: 3-11 months before the end (dormant), >12 months (churned)."""
    dormant_lo = np.maximum(reg_day + 45, last - 330)
    dormant_stop = _uniform_int(rng, dormant_lo, np.maximum(last - 95, dormant_lo))
    churn_lo = reg_day + 45
    churn_stop = _uniform_int(rng, churn_lo, np.maximum(last - 380, churn_lo))
    stop = np.full(len(archetype), last, dtype=np.int64)
    stop = np.where(archetype == DORMANT, dormant_stop, stop)
    stop = np.where(archetype == CHURNED, churn_stop, stop)
    return np.clip(stop, 0, last)


def _main_windows(
    rng: np.random.Generator, cal: Calendar, archetype: IntArray, reg_day: IntArray, stop: IntArray
) -> tuple[IntArray, BoolArray]:
    """Last day of each customer's main buying window, and whether it is pinned."""
    n = len(archetype)
    last = cal.last_day
    one_time_delay = np.where(rng.random(n) < 0.6, 0, rng.geometric(0.15, size=n))
    # Reactivated: the first buying period ends 4+ months before the comeback window.
    reactivated_hi = np.full(n, max(last - 190, 0), dtype=np.int64)
    reactivated_lo = np.minimum(reg_day + 20, reactivated_hi)
    reactivated_end = _uniform_int(rng, reactivated_lo, reactivated_hi)
    hi = np.select(
        [
            archetype == LOYAL,
            archetype == STEADY,
            archetype == ONE_TIME,
            np.isin(archetype, LAPSED),
            archetype == REACTIVATED,
            archetype == NEW,
        ],
        [
            last - rng.integers(0, 15, size=n),
            last - rng.integers(0, 61, size=n),
            reg_day + one_time_delay,
            stop,
            reactivated_end,
            reg_day + 45,
        ],
        default=last,
    )
    hi = np.clip(hi, reg_day, last)
    pinned = ~np.isin(archetype, (OCCASIONAL, NEW, PROSPECT))
    return hi.astype(np.int64), pinned


def _main_counts(
    rng: np.random.Generator,
    archetype: IntArray,
    lo: IntArray,
    hi: IntArray,
    intensity: float,
) -> IntArray:
    """Purchases in the main window: a heavy-tailed rate times the window length."""
    n = len(archetype)
    rate = _param("orders_per_year")[archetype] * np.exp(
        _param("rate_sigma")[archetype] * rng.standard_normal(n)
    )
    years = (hi - lo + 1) / DAYS_PER_YEAR
    count = _stochastic_round(rng, intensity * rate * years)
    count = np.maximum(count, _param("min_orders")[archetype])
    count += ((archetype == NEW) & (rng.random(n) < 0.35)).astype(np.int64)
    return count.astype(np.int64)


def plan_customers(
    rng: np.random.Generator, cal: Calendar, n: int, intensity: float
) -> CustomerPlan:
    """Draw archetypes, registration dates and purchase windows for ``n`` customers."""
    last = cal.last_day
    reg_day = _sample_days(rng, cal.growth_cum, np.zeros(n, np.int64), np.full(n, last))
    archetype = _draw_archetypes(rng, reg_day, cal)
    stop = _stop_days(rng, archetype, reg_day, last)
    reg_ts = _day_start(cal, reg_day) + _sample_time_of_day(rng, n)
    main_hi, pinned = _main_windows(rng, cal, archetype, reg_day, stop)
    main_count = _main_counts(rng, archetype, reg_day, main_hi, intensity)
    # Reactivated customers come back in the last ~8 weeks after a gap of 4+ months.
    back = np.flatnonzero(archetype == REACTIVATED)
    back_count = 1 + rng.binomial(2, 0.4, size=len(back))
    back_lo = np.full(len(back), max(last - 55, 0), dtype=np.int64)
    back_lo = np.maximum(back_lo, main_hi[back])
    return CustomerPlan(
        archetype=archetype,
        reg_day=reg_day,
        reg_ts=reg_ts,
        stop_day=stop,
        seg_customer=np.concatenate([np.arange(n), back]).astype(np.int64),
        seg_lo=np.concatenate([reg_day, back_lo]),
        seg_hi=np.concatenate([main_hi, np.full(len(back), last, dtype=np.int64)]),
        seg_count=np.concatenate([main_count, back_count]).astype(np.int64),
        seg_pinned=np.concatenate([pinned, np.zeros(len(back), dtype=bool)]),
    )


# ---------------------------------------------------------------------------
# Customer traits and the customers table
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerTraits:
    """Descriptive attributes of the customers of a chunk (-1 = missing)."""

    country: IntArray
    acquisition: IntArray
    channel: IntArray  # preferred sales channel
    category: IntArray  # favourite product category
    basket_usd: FloatArray
    pays_eur: BoolArray
    first_name: IntArray
    last_name: IntArray
    email_domain: IntArray
    has_email: BoolArray
    phone_number: IntArray  # national number, -1 = no phone
    orphan: BoolArray  # buys, but has no customers row


def _with_missing(rng: np.random.Generator, codes: IntArray, share: float) -> IntArray:
    """Blank out (-1) about ``share`` of the codes."""
    return np.where(rng.random(len(codes)) < share, -1, codes).astype(np.int64)


def draw_traits(rng: np.random.Generator, plan: CustomerPlan) -> CustomerTraits:
    """Countries, channels, tastes, contact data and orphan flags of the plan's customers."""
    n = len(plan.archetype)
    country = rng.choice(len(COUNTRIES), size=n, p=_normalised(COUNTRY_WEIGHTS))
    euro_codes = [COUNTRIES.index(code) for code in EURO_COUNTRIES]
    pays_eur = np.isin(country, euro_codes) & (rng.random(n) < 0.24)
    acquisition = rng.choice(len(ACQUISITION_CHANNELS), size=n, p=_normalised(ACQUISITION_WEIGHTS))
    basket = _param("basket_usd")[plan.archetype] * rng.lognormal(0.0, 0.35, size=n)
    buyer = plan.purchases_per_customer > 0
    return CustomerTraits(
        country=_with_missing(rng, country, 0.03),
        acquisition=_with_missing(rng, acquisition, 0.05),
        channel=rng.choice(len(SALES_CHANNELS), size=n, p=_normalised(SALES_CHANNEL_WEIGHTS)),
        category=rng.choice(len(CATEGORIES), size=n, p=_normalised(CATEGORY_WEIGHTS)),
        basket_usd=basket,
        pays_eur=pays_eur,
        first_name=rng.integers(0, len(FIRST_NAMES), size=n),
        last_name=rng.integers(0, len(LAST_NAMES), size=n),
        email_domain=rng.integers(0, len(EMAIL_DOMAINS), size=n),
        has_email=rng.random(n) >= 0.02,
        phone_number=_with_missing(rng, rng.integers(200_000_000, 999_999_999, size=n), 0.25),
        orphan=buyer & (rng.random(n) < 0.02),
    )


def _normalised(weights: Sequence[float]) -> FloatArray:
    """Weights scaled to probabilities."""
    array = np.asarray(weights, dtype=np.float64)
    return array / array.sum()


def _decode(codes: IntArray, names: Sequence[str]) -> pa.Array:
    """Strings for integer codes; a negative code gives null."""
    indices = pa.array(np.maximum(codes, 0), type=pa.int64(), mask=codes < 0)
    return pa.array(names, type=pa.string()).take(indices)


def _format_ids(prefix: str, numbers: IntArray, width: int) -> pa.Array:
    """Ids like ``C000123``: a prefix and a zero-padded number."""
    digits = pc.utf8_lpad(pa.array(numbers, type=pa.int64()).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _format_utc(ts: IntArray) -> pa.Array:
    """``YYYY-MM-DD HH:MM:SS`` (UTC) for epoch seconds."""
    return pc.strftime(pa.array(ts, type=pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S")


def _format_money(cents: IntArray) -> pa.Array:
    """Decimal text with two decimals (``12.50``) for non-negative cents."""
    whole = pa.array(cents // 100, type=pa.int64()).cast(pa.string())
    fraction = pc.utf8_lpad(pa.array(cents % 100, type=pa.int64()).cast(pa.string()), 2, "0")
    return pc.binary_join_element_wise(whole, fraction, ".")


def customers_table(
    plan: CustomerPlan, traits: CustomerTraits, first_index: int, id_width: int
) -> pa.Table:
    """The customers rows of a chunk (orphans have no row)."""
    keep = np.flatnonzero(~traits.orphan)
    number = first_index + keep + 1
    email = pc.binary_join_element_wise(
        _decode(traits.first_name[keep], FIRST_NAMES),
        ".",
        _decode(traits.last_name[keep], LAST_NAMES),
        pa.array(number, type=pa.int64()).cast(pa.string()),
        "@",
        _decode(traits.email_domain[keep], EMAIL_DOMAINS),
        "",
    )
    email = pc.if_else(pa.array(traits.has_email[keep]), email, pa.scalar(None, pa.string()))
    country = traits.country[keep]
    calling_code = np.array(COUNTRY_CALLING_CODES)[np.maximum(country, 0)]
    phone_number = traits.phone_number[keep]
    phone = pc.binary_join_element_wise(
        "+",
        pa.array(calling_code, type=pa.int64()).cast(pa.string()),
        " ",
        pa.array(phone_number, type=pa.int64(), mask=phone_number < 0).cast(pa.string()),
        "",
    )
    columns = [
        _format_ids("C", number, id_width),
        _format_utc(plan.reg_ts[keep]),
        email,
        phone,
        _decode(country, COUNTRIES),
        _decode(traits.acquisition[keep], ACQUISITION_CHANNELS),
    ]
    return pa.Table.from_arrays(columns, schema=SCHEMAS["customers"])


# ---------------------------------------------------------------------------
# Purchases, refunds and the transactions table
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Interactions
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Bad rows
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Output sinks
# ---------------------------------------------------------------------------


class Sink(Protocol):
    """Destination of one table: written chunk by chunk."""

    def write(self, table: pa.Table) -> None:
        """Append the rows of ``table``."""

    def close(self) -> None:
        """Finish the file."""


class CsvSink:
    """CSV with a header row, comma separated, minimal quoting, empty = missing."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self._file = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(columns)

    def write(self, table: pa.Table) -> None:
        """Append the rows of ``table`` in slices (bounded memory)."""
        for batch in table.to_batches(max_chunksize=100_000):
            columns = [column.to_pylist() for column in batch.columns]
            self._writer.writerows(zip(*columns, strict=True))

    def close(self) -> None:
        """Close the file."""
        self._file.close()


class ParquetSink:
    """Parquet with every column a nullable string; row groups of at most 122,880 rows.

    That is DuckDB's own row group size and what most exporters write; readers
    parallelise a scan by row group, so one group per 50k-customer chunk (about
    3M interaction rows) left a 1M-transaction file to a single thread.
    """

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._writer = pq.ParquetWriter(path, schema)

    def write(self, table: pa.Table) -> None:
        """Append ``table`` in row groups of at most PARQUET_ROW_GROUP_ROWS rows."""
        if table.num_rows:
            self._writer.write_table(table, row_group_size=PARQUET_ROW_GROUP_ROWS)

    def close(self) -> None:
        """Write the footer and close the file."""
        self._writer.close()


def _open_sink(out_dir: Path, table: str, fmt: str) -> Sink:
    """A sink for ``<out_dir>/<table>.<fmt>``."""
    path = out_dir / f"{table}.{fmt}"
    if fmt == "csv":
        return CsvSink(path, COLUMNS[table])
    return ParquetSink(path, SCHEMAS[table])


# ---------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------


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


def _rng(seed: int, stream: int, chunk: int = 0) -> np.random.Generator:
    """Random generator for one stream of one chunk."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, chunk)))


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
    """Generate all chunks and append them to the output files."""
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
    return stats


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
        quiet: Hide the progress bar.

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


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Command-line options of the generator."""
    parser = argparse.ArgumentParser(
        prog="python -m custseg.generate",
        description=(
            "Write deterministic demo data (customers, transactions, interactions) "
            "following the raw-data contract of the customer-segmentation project."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--customers", type=int, default=2000, metavar="N", help="number of customers"
    )
    parser.add_argument(
        "--transactions",
        type=int,
        default=None,
        metavar="N",
        help="approximate number of transactions; overrides --customers (customers ~ N / 20). "
        "Without it, buying customers average about 10 transactions",
    )
    parser.add_argument(
        "--start", default="2023-01-01", metavar="YYYY-MM-DD", help="first day (inclusive)"
    )
    parser.add_argument(
        "--end", default="2025-12-31", metavar="YYYY-MM-DD", help="last day (inclusive)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (non-negative)")
    parser.add_argument(
        "--out", default="data/demo", metavar="DIR", help="output directory (created if missing)"
    )
    parser.add_argument(
        "--format", dest="fmt", choices=FORMATS, default="csv", help="output file format"
    )
    parser.add_argument(
        "--bad-row-share",
        type=float,
        default=0.01,
        metavar="SHARE",
        help="share of deliberately bad rows added to each table (0 disables them)",
    )
    parser.add_argument(
        "--chunk-customers",
        type=int,
        default=50_000,
        metavar="N",
        help="customers generated per chunk (bounds memory; part of the output's identity)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = make_settings(
            args.out,
            customers=args.customers,
            start=args.start,
            end=args.end,
            seed=args.seed,
            fmt=args.fmt,
            bad_row_share=args.bad_row_share,
            transactions=args.transactions,
            chunk_customers=args.chunk_customers,
            quiet=args.quiet,
        )
    except ValueError as error:
        parser.error(str(error))
    stats = _run(settings)
    if not args.quiet:
        print(stats.summary(settings.out_dir, settings.fmt))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

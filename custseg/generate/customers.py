"""Customers of a chunk: the plan (archetype, registration, stop day and buying windows
with purchase counts), their traits (country, channels, tastes, contact data, orphans),
and the ``customers`` table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg.generate.archetypes import (
    ARCHETYPES,
    CHURNED,
    DORMANT,
    LAPSED,
    LOYAL,
    NEW,
    OCCASIONAL,
    ONE_TIME,
    PROSPECT,
    REACTIVATED,
    STEADY,
    _feasible,
    _param,
)
from custseg.generate.constants import (
    ACQUISITION_CHANNELS,
    ACQUISITION_WEIGHTS,
    CATEGORIES,
    CATEGORY_WEIGHTS,
    COUNTRIES,
    COUNTRY_CALLING_CODES,
    COUNTRY_WEIGHTS,
    DAYS_PER_YEAR,
    EMAIL_DOMAINS,
    EURO_COUNTRIES,
    FIRST_NAMES,
    LAST_NAMES,
    SALES_CHANNEL_WEIGHTS,
    SALES_CHANNELS,
    SCHEMAS,
    BoolArray,
    FloatArray,
    IntArray,
)
from custseg.generate.formatting import _decode, _format_ids, _format_utc
from custseg.generate.sampling import (
    Calendar,
    _day_start,
    _normalised,
    _sample_days,
    _sample_time_of_day,
    _stochastic_round,
    _uniform_int,
    _with_missing,
)


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
    email, phone = _plant_identity_cases(number, email, phone, calling_code, phone_number)
    columns = [
        _format_ids("C", number, id_width),
        _format_utc(plan.reg_ts[keep]),
        email,
        phone,
        _decode(country, COUNTRIES),
        _decode(traits.acquisition[keep], ACQUISITION_CHANNELS),
    ]
    return pa.Table.from_arrays(columns, schema=SCHEMAS["customers"])


# Identity cases planted by customer number n (docs/RULES.md section 17): the demo shows
# identity resolution at work. Each refers to an earlier customer of the same chunk.
_PLANTED_PERIOD = 100
_FAMILY_PERIOD = 500
_FAMILY_SIZE = 6  # one more than the default identity_max_ids_per_identifier


def _plant_identity_cases(
    number: IntArray,
    email: pa.Array,
    phone: pa.Array,
    calling_code: IntArray,
    phone_number: IntArray,
) -> tuple[pa.Array, pa.Array]:
    """E-mails and phones with the planted identity cases (no random numbers drawn).

    By n mod 100: 10 re-registered (n-1's e-mail, padded and upper-cased); 20 a guest
    checkout (n-2's e-mail, no phone); 30 the same phone as n-3 written nationally
    with 00 and dashes; 50 and 51 a chain (50 takes 49's e-mail, 51 takes 50's phone);
    70 test@test.com, 80 noreply@example.org, 90 phone 0000000000 (placeholders). By
    n mod 500, 60-65: six ids share one family address (over the cap of 5).
    """
    emails = email.to_pylist()
    phones = phone.to_pylist()
    row_of = {int(n): i for i, n in enumerate(number)}

    def earlier(i: int, back: int) -> int | None:
        return row_of.get(int(number[i]) - back)

    for i, n in enumerate(number.tolist()):
        case = n % _PLANTED_PERIOD
        if n % _FAMILY_PERIOD in range(60, 60 + _FAMILY_SIZE):
            emails[i] = f"family.{n // _FAMILY_PERIOD}@mail.example"
        elif case == 10 and (j := earlier(i, 1)) is not None and emails[j]:
            emails[i] = f"  {emails[j].upper()} "
        elif case == 20 and (j := earlier(i, 2)) is not None and emails[j]:
            emails[i], phones[i] = emails[j], None
        elif case == 30 and (j := earlier(i, 3)) is not None and phone_number[j] >= 0:
            digits = str(int(phone_number[j]))
            phones[i] = f"00{int(calling_code[j])}-{digits[:3]}-{digits[3:]}"
        elif case == 50 and (j := earlier(i, 1)) is not None and emails[j]:
            emails[i] = emails[j]
        elif case == 51 and (j := earlier(i, 1)) is not None and phones[j]:
            phones[i] = phones[j]
        elif case == 70:
            emails[i] = "test@test.com"
        elif case == 80:
            emails[i] = "noreply@example.org"
        elif case == 90:
            phones[i] = "0000000000"
    return pa.array(emails, type=pa.string()), pa.array(phones, type=pa.string())

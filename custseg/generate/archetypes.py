"""Customer archetypes: the behaviour of each kind of customer (purchase rates, baskets,
refunds, engagement, review scores), their target shares, and which archetypes a
registration date allows (the feasibility tilt that keeps the shares right on any span).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from custseg.generate.constants import BoolArray, FloatArray, IntArray


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

"""Sections 5 and 7 of docs/RULES.md: RFM scores and value scores of the buyers, exactly.

Percentile ranks are carried as exact integer ratios; scores are integer ten-thousandths.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd

from custseg.oracle.reading import _read_seed
from custseg.oracle.values import SCORE_SCALE, _money_int


def _count_not_better(values: pd.Series, higher_is_better: bool) -> pd.Series:
    """Per row: how many rows have a value no better than this one (ties included)."""
    ranked = values.astype(object).rank(method="max", ascending=higher_is_better)
    return ranked.astype("int64")


def _count_strictly_worse(values: pd.Series, higher_is_better: bool) -> pd.Series:
    """Per row: how many rows have a strictly worse value."""
    ranked = values.astype(object).rank(method="min", ascending=higher_is_better)
    return ranked.astype("int64") - 1


def rfm_scores(buyers: pd.DataFrame, bins: int) -> pd.DataFrame:
    """Section 5: ceil(n * c / N) per dimension, c = buyers no better than this one."""
    n_buyers = len(buyers)
    measures = {
        "recency_score": (buyers["recency_days"].astype("int64"), False),
        "frequency_score": (buyers["order_count"].astype("int64"), True),
        "monetary_score": (_money_int(buyers["net_revenue"]), True),
    }
    scores = pd.DataFrame(index=buyers.index)
    for name, (values, higher) in measures.items():
        c = _count_not_better(values, higher)
        scores[name] = (bins * c + n_buyers - 1) // n_buyers  # integer ceil
    return scores


def _round_ratio(numerator: pd.Series, denominator: int) -> pd.Series:
    """round(numerator / denominator, 4 decimals) half up, as integer ten-thousandths.

    numerator/denominator are exact Python ints (object dtype); the values are >= 0.
    """
    return (numerator * (2 * SCORE_SCALE) + denominator) // (2 * denominator)


def value_scores(buyers: pd.DataFrame, seeds_dir: Path) -> pd.DataFrame:
    """Section 7: dimension scores and value_score (4 decimals) for the buyers."""
    components = _read_seed(seeds_dir, "value_score_components")
    dimension_weights = _read_seed(seeds_dir, "value_score_weights")
    n_buyers = len(buyers)
    measures: dict[str, pd.Series] = {
        "net_revenue": _money_int(buyers["net_revenue"]),
        "order_count": buyers["order_count"].astype("int64"),
        "recency_days": buyers["recency_days"].astype("int64"),
        "visits_last_30_days": buyers["visits_last_30_days"].astype("int64"),
        "email_engagement_last_90_days": (
            buyers["email_opens_last_90_days"] + buyers["email_clicks_last_90_days"]
        ).astype("int64"),
        "tenure_days": buyers["tenure_days"].astype("int64"),
        "repeat_purchase_days": buyers["repeat_purchase_days"].astype("int64"),
        "complaints": buyers["complaints"].astype("int64"),
        "spend_growth_90_days": _money_int(buyers["spend_last_90_days"])
        - _money_int(buyers["spend_previous_90_days"]),
        "distinct_categories": buyers["distinct_categories"].astype("int64"),
        "referrals": buyers["referrals"].astype("int64"),
        "customer_age_days": buyers["customer_age_days"].astype("int64"),
    }
    # p = 100 * worse / (N - 1) is carried as the exact ratio (100 * worse) / p_den.
    p_den = max(n_buyers - 1, 1)
    scores = pd.DataFrame(index=buyers.index)
    weight_scale = 10**6
    for dimension, rows in components.groupby("dimension", sort=False):
        numerator = pd.Series(0, index=buyers.index, dtype=object)
        weight_total = 0
        for row in rows.itertuples():
            weight = int(Fraction(row.weight) * weight_scale)
            higher = row.higher_is_better.strip().lower() == "true"
            if n_buyers == 1:
                p_times_den = pd.Series(100 * p_den, index=buyers.index, dtype=object)
            else:
                worse = _count_strictly_worse(measures[row.measure], higher)
                p_times_den = worse.astype(object) * 100
            numerator = numerator + p_times_den * weight
            weight_total += weight
        scores[f"{dimension}_score"] = _round_ratio(numerator, weight_total * p_den)
    numerator = pd.Series(0, index=buyers.index, dtype=object)
    weight_total = 0
    for row in dimension_weights.itertuples():
        weight = int(Fraction(row.weight) * weight_scale)
        numerator = numerator + scores[f"{row.dimension}_score"].astype(object) * weight
        weight_total += weight
    # value = sum(W * s) / sum(W) with s in ten-thousandths -> divide by SCORE_SCALE too.
    scores["value_score"] = _round_ratio(numerator, weight_total * SCORE_SCALE)
    return scores  # integer ten-thousandths

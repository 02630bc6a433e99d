"""Sections 6 and 8-11 of docs/RULES.md: the per-customer labels derived from features and scores.

Pyramid tier and ABC class, churn risk, value tier, lifecycle stage and control group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from custseg.oracle.reading import _read_seed
from custseg.oracle.values import SCORE_SCALE, _fraction, _money_int

CHURN_SIGNALS: tuple[str, ...] = ("overdue", "falling_visits", "recent_complaints", "falling_spend")


def _pyramid_and_abc(features: pd.DataFrame, v: Mapping[str, Any]) -> pd.DataFrame:
    """Section 6."""
    net = _money_int(features["net_revenue"])
    positive = net > 0
    m = int(positive.sum())
    total = int(net[positive].sum()) if m else 0
    tier = pd.Series("Inactive", index=features.index, dtype=object)
    abc = pd.Series("none", index=features.index, dtype=object)
    if m:
        pos = net[positive].astype("int64")
        rank = pos.rank(method="min", ascending=False).astype("int64")
        top, big, medium = (
            _fraction(v["pyramid_top_share"]),
            _fraction(v["pyramid_big_share"]),
            _fraction(v["pyramid_medium_share"]),
        )
        tier[positive] = [
            "Top"
            if r - 1 < top * m
            else "Big"
            if r - 1 < big * m
            else "Medium"
            if r - 1 < medium * m
            else "Small"
            for r in rank
        ]
        # before = sum of net revenue of customers with strictly higher net revenue
        per_value = pos.groupby(pos).sum().sort_index(ascending=False)
        higher_sum = per_value.cumsum() - per_value
        before = pos.map(higher_sum)
        a_share, b_share = _fraction(v["abc_a_share"]), _fraction(v["abc_b_share"])
        abc[positive] = [
            "A" if b < a_share * total else "B" if b < b_share * total else "C"
            for b in before.astype(object)
        ]
    return pd.DataFrame({"pyramid_tier": tier, "abc_class": abc})


def _churn(features: pd.DataFrame, v: Mapping[str, Any]) -> pd.DataFrame:
    """Section 8 (exact comparisons)."""
    factor = _fraction(v["churn_overdue_factor"])
    pdays = features["purchase_days"]
    recency = features["recency_days"]
    btyd = features["btyd_recency_days"]
    repeat = features["repeat_purchase_days"]
    overdue_repeat = [
        bool(p >= 2 and r * rp > factor * b)  # recency > factor * btyd / repeat
        for p, r, b, rp in zip(pdays, recency, btyd, repeat, strict=True)
    ]
    overdue = pd.Series(overdue_repeat, index=features.index) | (
        (pdays == 1) & (recency > int(v["churn_single_purchase_overdue_days"])).fillna(False)
    )
    ratio = _fraction(v["churn_visit_drop_ratio"])
    v30, v60 = features["visits_last_30_days"], features["visits_previous_60_days"]
    falling_visits = pd.Series(
        [
            bool(p >= int(v["churn_visit_min_previous"]) and 2 * a < ratio * p)
            for a, p in zip(v30, v60, strict=True)
        ],
        index=features.index,
    )
    complaints = features["complaints_last_90_days"] >= int(v["churn_complaints_threshold"])
    spend_ratio = _fraction(v["churn_spend_drop_ratio"])
    falling_spend = pd.Series(
        [
            bool(prev > 0 and Fraction(last) < spend_ratio * Fraction(prev))
            for last, prev in zip(
                features["spend_last_90_days"], features["spend_previous_90_days"], strict=True
            )
        ],
        index=features.index,
    )
    signals = pd.DataFrame(
        {
            "overdue": overdue.astype(bool),
            "falling_visits": falling_visits,
            "recent_complaints": complaints.astype(bool),
            "falling_spend": falling_spend,
        }
    )
    names = CHURN_SIGNALS
    p_alive_below = float(v["churn_p_alive_below"])
    if p_alive_below > 0:  # section 14's P(alive); none (no prediction) never fires
        p_alive = (
            features["p_alive"] if "p_alive" in features else pd.Series(None, index=features.index)
        )
        signals["unlikely_alive"] = [
            p is not None and not pd.isna(p) and float(p) < p_alive_below for p in p_alive
        ]
        names = (*CHURN_SIGNALS, "unlikely_alive")
    fired = signals.sum(axis=1)
    high = int(v["churn_high_min_signals"])
    risk = np.where(fired >= high, "high", np.where(fired >= 1, "medium", "low"))
    reasons = signals.apply(lambda r: ",".join(name for name in names if r[name]) or "none", axis=1)
    return pd.DataFrame({"churn_risk": risk, "churn_risk_reasons": reasons}, index=features.index)


RISK_ORDER = {"low": 0, "medium": 1, "high": 2}


def _value_tier(seg: pd.DataFrame, seeds_dir: Path) -> pd.Series:
    """Section 9: first matching rule of seed value_tier_rules."""
    rules = _read_seed(seeds_dir, "value_tier_rules")
    rules["rule_order"] = rules["rule_order"].astype(int)
    rules = rules.sort_values("rule_order")
    tier = pd.Series(None, index=seg.index, dtype=object)
    buyer = seg["is_buyer"].astype(bool)
    risk = seg["churn_risk"].map(RISK_ORDER)
    growth = _money_int(seg["spend_last_90_days"]) > _money_int(seg["spend_previous_90_days"])
    for rule in rules.itertuples():
        kind = rule.customer_type.strip()
        match = buyer.copy() if kind == "buyer" else ~buyer if kind == "prospect" else buyer | True
        for column, score in (
            ("min_contribution_score", "contribution_score"),
            ("min_activity_score", "activity_score"),
            ("min_loyalty_score", "loyalty_score"),
            ("min_potential_score", "potential_score"),
        ):
            bound = getattr(rule, column).strip()
            if bound:
                limit = Fraction(bound) * SCORE_SCALE
                match &= seg[f"_{score}_int"].map(
                    lambda s, lim=limit: isinstance(s, int) and s >= lim
                )
        max_age = rule.max_customer_age_days.strip()
        if max_age:
            match &= (seg["customer_age_days"] <= int(max_age)).fillna(False).astype(bool)
        if rule.requires_spend_growth.strip().lower() == "true":
            match &= growth
        max_risk = rule.max_churn_risk.strip()
        if max_risk:
            match &= risk <= RISK_ORDER[max_risk]
        hit = match & tier.isna()
        tier[hit] = rule.value_tier
    return tier


def _lifecycle(seg: pd.DataFrame, v: Mapping[str, Any]) -> pd.Series:
    """Section 10."""
    pdays = seg["purchase_days"]
    recency = seg["recency_days"].astype(float)
    gap = seg["last_purchase_gap_days"].astype(float)
    dormant = int(v["dormant_after_days"])
    conditions = [
        pdays == 0,
        recency >= int(v["churned_after_days"]),
        recency >= dormant,
        (pdays >= 2) & (gap >= dormant),
        pdays == 1,
        (pdays >= int(v["loyal_min_purchase_days"])) & (seg["value_tier"] == v["loyal_value_tier"]),
    ]
    stages = ["prospect", "churned", "dormant", "reactivated", "new", "loyal"]
    return pd.Series(np.select(conditions, stages, default="active"), index=seg.index)


def control_group(customer_ids: pd.Series, salt: str, share: Any) -> pd.Series:
    """Section 11: first 8 hex digits of md5(salt || id) < round(share * 2^32)."""
    limit = round(_fraction(share) * 2**32)
    return customer_ids.map(
        lambda cid: int(hashlib.md5((salt + cid).encode()).hexdigest()[:8], 16) < limit
    )

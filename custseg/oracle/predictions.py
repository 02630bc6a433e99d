"""Section 14 of docs/RULES.md: customer_predictions from given BTYD parameters.

Written from the published formulas (Fader, Hardie & Lee 2005, eqs. 10-11; Fader & Hardie
2013, eq. 5), with scipy's hypergeometric function, not from the SQL (which sums an
Euler-transformed series): two routes to the same numbers. Time is in days.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from scipy.special import hyp2f1

BtydParameters = Mapping[str, Mapping[str, float]]


def p_alive(params: Mapping[str, float], x: int, t_x: float, age: float) -> float:
    """P(alive) of a buyer (FHL 2005, eq. 11)."""
    if x == 0:
        return 1.0
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    log_odds = math.log(a / (b + x - 1)) + (r + x) * math.log((alpha + age) / (alpha + t_x))
    if log_odds > 690:
        return 0.0
    return 1.0 / (1.0 + math.exp(log_odds))


def expected_purchases(
    params: Mapping[str, float], t: float, x: int, t_x: float, age: float
) -> float:
    """Expected purchases in the next t days (FHL 2005, eq. 10)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    z = t / (alpha + age + t)
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
    if_alive = (
        (a + b + x - 1) / (a - 1) * (1 - ((alpha + age) / (alpha + age + t)) ** (r + x) * hyp)
    )
    return if_alive * p_alive(params, x, t_x, age)


def expected_spend(params: Mapping[str, float], x: int, zbar: float) -> float | None:
    """Gamma-Gamma expected mean spend per purchase (FH 2013, eq. 5); None outside the model."""
    p, q, gamma = params["p"], params["q"], params["gamma"]
    if q <= 1 or (x > 0 and zbar <= 0):
        return None
    return p * (gamma + x * zbar) / (p * x + q - 1)


def customer_predictions(
    features: pd.DataFrame,
    parameters: BtydParameters | None,
    *,
    horizons: Sequence[int],
    clv_months: int,
    monthly_discount: float,
    margin: float,
) -> pd.DataFrame:
    """One row per customer of ``features`` (columns as in the mart)."""
    bg = (parameters or {}).get("bg_nbd")
    gg = (parameters or {}).get("gamma_gamma")
    rows: list[dict[str, Any]] = []
    for row in features.itertuples(index=False):
        out: dict[str, Any] = {"customer_id": row.customer_id, "as_of_date": row.as_of_date}
        scored = bool(row.is_buyer) and bg is not None
        x = int(row.repeat_purchase_days) if scored else 0
        t_x = float(row.btyd_recency_days) if scored else 0.0
        age = float(row.customer_age_days) if scored else 0.0
        alive = p_alive(bg, x, t_x, age) if scored else None
        out["p_alive"] = alive
        for days in horizons:
            out[f"expected_purchases_next_{days}_days"] = (
                expected_purchases(bg, days, x, t_x, age) if scored else None
            )
        spend = None
        if scored and gg is not None:
            spend = expected_spend(gg, x, float(row.avg_repeat_purchase_value))
        out["expected_avg_order_value"] = spend
        clv = None
        if spend is not None:
            clv, previous = 0.0, 0.0
            for month in range(1, clv_months + 1):
                cumulative = expected_purchases(bg, 30 * month, x, t_x, age)
                clv += spend * (cumulative - previous) / (1 + monthly_discount) ** month
                previous = cumulative
            clv *= margin
        out["predicted_clv"] = clv
        if not row.is_buyer:
            status = "prospect"
        elif bg is None:
            status = "no_parameters"
        elif gg is None:
            status = "no_spend_parameters"
        elif spend is None:
            status = "spend_not_modelled"
        else:
            status = "scored"
        out["prediction_status"] = status
        rows.append(out)
    return pd.DataFrame(rows)

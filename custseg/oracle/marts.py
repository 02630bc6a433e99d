"""All oracle marts for one raw data set: reading, validation, features, segments, summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from custseg.oracle.defaults import resolve_vars
from custseg.oracle.features import _business_date, convert_amounts, customer_features
from custseg.oracle.membership import customer_membership
from custseg.oracle.predictions import BtydParameters, customer_predictions
from custseg.oracle.reading import load_fx_rates, load_raw
from custseg.oracle.segments import customer_segments
from custseg.oracle.smart import smart_segments
from custseg.oracle.summary import segment_summary
from custseg.oracle.validation import validate


def compute_all(
    raw_dir: Path,
    seeds_dir: Path,
    *,
    as_of_date: dt.date | None = None,
    run_date: dt.date | None = None,
    fmt: str = "csv",
    vars: Mapping[str, Any] | None = None,
    btyd_parameters: BtydParameters | None = None,
    smart_segment_model: list[dict[str, Any]] | None = None,
) -> dict[str, pd.DataFrame]:
    """All oracle marts for one raw data set (default vars unless ``vars`` overrides them).

    ``btyd_parameters`` ({"bg_nbd": {r, alpha, a, b}, "gamma_gamma": {p, q, gamma}}, days) are
    the fitted parameters to score with (the fit itself is checked against published results
    and lifetimes, not re-done here); None = no parameters, as on an engine without a fit.
    ``smart_segment_model``: the k-means model to assign with (cluster_profiles' feature rows;
    the fit is checked against scikit-learn in the tests); None = no model (Unsegmented).
    """
    v = resolve_vars(vars)
    if v["business_timezone"] != "UTC":
        raise NotImplementedError("the oracle implements business_timezone UTC only")
    run_date = run_date or dt.datetime.now(dt.UTC).date()
    fx = load_fx_rates(seeds_dir)
    raw = load_raw(raw_dir, fmt)
    clean, quarantined = validate(
        raw, fx, reporting_currency=v["reporting_currency"], run_date=run_date
    )
    features = customer_features(
        clean,
        fx,
        as_of_date=as_of_date,
        reporting_currency=v["reporting_currency"],
        business_timezone=v["business_timezone"],
    )
    predictions = customer_predictions(
        features,
        btyd_parameters,
        horizons=[int(days) for days in v["prediction_horizons_days"]],
        clv_months=int(v["clv_horizon_months"]),
        monthly_discount=float(v["clv_monthly_discount_rate"]),
        margin=float(v["clv_profit_margin"]),
    )
    as_of = pd.Timestamp(features["as_of_date"].iloc[0])
    tx = clean["transactions"].copy()
    tx["business_date"] = _business_date(tx["transaction_at"], v["business_timezone"])
    tx = tx[tx["business_date"] <= as_of].copy()
    tx["amount_converted"] = convert_amounts(tx, fx, v["reporting_currency"])
    membership = customer_membership(
        tx[["customer_id", "business_date", "transaction_type", "amount_converted"]],
        features["customer_id"],
        pd.read_csv(seeds_dir / "membership_levels.csv", dtype=str),
        as_of=as_of,
        points_per_unit=str(v["membership_points_per_unit"]),
        rounding=str(v["membership_points_rounding"]),
        window=str(v["membership_window"]),
        review=str(v["membership_review"]),
        max_downgrade_levels=int(v["membership_max_downgrade_levels"]),
    )
    smart = smart_segments(
        features, smart_segment_model, seeds_dir, str(v["smart_segment_value_measure"])
    )
    segments = customer_segments(
        features,
        seeds_dir,
        vars=v,
        predictions=predictions,
        membership=membership,
        smart=smart,
    )
    summary = segment_summary(segments, seeds_dir, predictions)
    return {
        "customer_features": features,
        "customer_predictions": predictions,
        "customer_segments": segments,
        "segment_summary": summary,
        "quarantined_rows": quarantined,
    }

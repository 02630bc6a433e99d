"""Sections 5-11 of docs/RULES.md assembled: the customer_segments mart from customer_features."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from custseg.oracle.defaults import resolve_vars
from custseg.oracle.reading import _read_seed
from custseg.oracle.scoring import rfm_scores, value_scores
from custseg.oracle.tiers import _churn, _lifecycle, _pyramid_and_abc, _value_tier, control_group
from custseg.oracle.values import SCORE_SCALE


def customer_segments(
    features: pd.DataFrame,
    seeds_dir: Path,
    *,
    vars: Mapping[str, Any] | None = None,
    predictions: pd.DataFrame | None = None,
    membership: pd.DataFrame | None = None,
    smart: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Sections 5-11, 15 and 16: one row per known customer (``predictions``, section 14,
    give the P(alive) of the optional churn signal; ``membership`` and ``smart`` the
    membership levels and smart segments, one row per customer)."""
    v = resolve_vars(vars)
    seg = features.reset_index(drop=True).copy()
    if predictions is not None and float(v["churn_p_alive_below"]) > 0:
        seg = seg.merge(predictions[["customer_id", "p_alive"]], on="customer_id", how="left")
    buyer = seg["is_buyer"].astype(bool)
    buyers = seg[buyer]

    # Section 5: RFM
    rfm = rfm_scores(buyers, int(v["rfm_bins"])) if len(buyers) else pd.DataFrame()
    for column in ("recency_score", "frequency_score", "monetary_score"):
        seg[column] = (rfm[column] if len(buyers) else pd.Series(dtype="int64")).reindex(seg.index)
        seg[column] = seg[column].astype("Int64")
    seg["rfm_cell"] = None
    seg.loc[buyer, "rfm_cell"] = (
        seg.loc[buyer, "recency_score"].astype(str)
        + seg.loc[buyer, "frequency_score"].astype(str)
        + seg.loc[buyer, "monetary_score"].astype(str)
    )
    grid = _read_seed(seeds_dir, "rfm_segment_grid")
    grid = grid[grid["grid"] == v["rfm_segment_grid"]]
    cell_segment = dict(
        zip(
            grid["recency_score"] + grid["frequency_score"] + grid["monetary_score"],
            grid["rfm_segment"],
            strict=True,
        )
    )
    seg["rfm_segment"] = seg["rfm_cell"].map(cell_segment).where(buyer, "Prospect")

    # Section 6
    seg = seg.join(_pyramid_and_abc(seg, v))

    # Section 7
    dims = ("contribution", "activity", "loyalty", "potential")
    scores = value_scores(buyers, seeds_dir) if len(buyers) else pd.DataFrame()
    for name in [*(f"{d}_score" for d in dims), "value_score"]:
        ints = scores[name] if len(buyers) else pd.Series(dtype=object)
        seg[f"_{name}_int"] = ints.reindex(seg.index).astype(object).where(buyer, None)
        seg[name] = seg[f"_{name}_int"].map(
            lambda s: s / SCORE_SCALE if isinstance(s, int) else None
        )
        seg[name] = seg[name].astype(float)

    # Section 8-10
    seg = seg.join(_churn(seg, v))
    seg["value_tier"] = _value_tier(seg, seeds_dir)
    seg["lifecycle_stage"] = _lifecycle(seg, v)

    # Sections 15 and 16
    membership_columns = [
        "membership_level",
        "membership_rank",
        "qualifying_points",
        "points_to_next_level",
        "membership_level_since",
        "membership_next_review_date",
    ]
    smart_columns = ["smart_segment", "smart_cluster_number"]
    if membership is not None:
        renamed = membership.rename(
            columns={
                "level_since": "membership_level_since",
                "next_review_date": "membership_next_review_date",
            }
        )
        seg = seg.merge(renamed[["customer_id", *membership_columns]], on="customer_id", how="left")
    else:
        for column in membership_columns:
            seg[column] = None
    if smart is not None:
        seg = seg.merge(smart[["customer_id", *smart_columns]], on="customer_id", how="left")
    else:
        seg["smart_segment"] = seg["is_buyer"].map(lambda b: "Unsegmented" if b else "Prospect")
        seg["smart_cluster_number"] = None

    # Section 11
    seg["is_control_group"] = control_group(
        seg["customer_id"], str(v["control_group_salt"]), v["control_group_share"]
    )
    playbook = _read_seed(seeds_dir, "segment_playbook")
    playbook = playbook[playbook["scheme"] == v["playbook_scheme"]].set_index("segment")
    key = seg[v["playbook_scheme"]]
    seg["segment_goal"] = key.map(playbook["goal"])
    seg["recommended_action"] = key.map(playbook["recommended_action"])
    seg["target_kpi"] = key.map(playbook["target_kpi"])
    seg["action_channel"] = key.map(playbook["channel"])

    columns = [
        "customer_id",
        "rfm_cell",
        "rfm_segment",
        "pyramid_tier",
        "abc_class",
        "value_tier",
        "lifecycle_stage",
        "membership_level",
        "smart_segment",
        "churn_risk",
        "churn_risk_reasons",
        "segment_goal",
        "recommended_action",
        "target_kpi",
        "action_channel",
        "recency_score",
        "frequency_score",
        "monetary_score",
        "contribution_score",
        "activity_score",
        "loyalty_score",
        "potential_score",
        "value_score",
        "membership_rank",
        "qualifying_points",
        "points_to_next_level",
        "smart_cluster_number",
        "purchase_days",
        "order_count",
        "recency_days",
        "gross_revenue",
        "net_revenue",
        "is_buyer",
        "is_control_group",
        "membership_level_since",
        "membership_next_review_date",
        "as_of_date",
        # helpers for segment_summary
        "repeat_purchase_days",
    ]
    return seg[columns].copy()

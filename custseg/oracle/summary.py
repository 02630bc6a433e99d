"""Section 12 of docs/RULES.md: the segment_summary mart (one row per scheme and segment)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from custseg.oracle.reading import _read_seed
from custseg.oracle.values import _dsum

SCHEMES: tuple[str, ...] = (
    "rfm_segment",
    "pyramid_tier",
    "abc_class",
    "value_tier",
    "lifecycle_stage",
    "membership_level",
    "smart_segment",
)


def _mean(values: pd.Series) -> float | None:
    present = [float(v) for v in values if v is not None and not pd.isna(v)]
    return sum(present) / len(present) if present else None


def segment_summary(
    segments: pd.DataFrame,
    seeds_dir: Path | None = None,
    predictions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Section 12: one row per scheme and segment present.

    avg_predicted_clv and avg_p_alive average the customers of ``predictions`` (section 14)
    that have a value; None where none has (or without ``predictions``).

    Ratios are floats; net_revenue is an exact Decimal; segment_rank/goal/kpi/action come
    from seed segment_playbook when ``seeds_dir`` is given.
    """
    if predictions is not None:
        segments = segments.merge(
            predictions[["customer_id", "p_alive", "predicted_clv"]], on="customer_id", how="left"
        )
    else:
        segments = segments.assign(p_alive=None, predicted_clv=None)
    total_customers = len(segments)
    total_net = _dsum(segments["net_revenue"])
    rows: list[dict[str, Any]] = []
    for scheme in SCHEMES:
        for segment, group in segments.groupby(scheme, sort=True):
            n = len(group)
            net = _dsum(group["net_revenue"])
            gross = _dsum(group["gross_revenue"])
            orders = int(group["order_count"].sum())
            buyers = group[group["is_buyer"].astype(bool)]
            n_buyers = len(buyers)
            rows.append(
                {
                    "segmentation_scheme": scheme,
                    "segment": segment,
                    "customers": n,
                    "share_of_customers": n / total_customers,
                    "net_revenue": net,
                    "share_of_revenue": float(net / total_net) if total_net != 0 else None,
                    "avg_order_value": float(gross / orders) if orders else None,
                    "avg_recency_days": (
                        float(buyers["recency_days"].astype(float).mean()) if n_buyers else None
                    ),
                    "repurchase_rate": (
                        float((buyers["purchase_days"] >= 2).sum() / n_buyers) if n_buyers else None
                    ),
                    "churn_rate": float((group["lifecycle_stage"] == "churned").sum() / n),
                    "dormant_or_churned_share": float(
                        group["lifecycle_stage"].isin(["dormant", "churned"]).sum() / n
                    ),
                    "high_churn_risk_share": float((group["churn_risk"] == "high").sum() / n),
                    "avg_historic_clv": float(net / n),
                    "control_group_customers": int(group["is_control_group"].sum()),
                    "avg_predicted_clv": _mean(group["predicted_clv"]),
                    "avg_p_alive": _mean(group["p_alive"]),
                }
            )
    summary = pd.DataFrame(rows)
    if seeds_dir is not None:
        playbook = _read_seed(seeds_dir, "segment_playbook").rename(
            columns={"scheme": "segmentation_scheme", "goal": "segment_goal"}
        )
        playbook["segment_rank"] = playbook["segment_rank"].astype(int)
        summary = summary.merge(
            playbook[
                [
                    "segmentation_scheme",
                    "segment",
                    "segment_rank",
                    "segment_goal",
                    "target_kpi",
                    "recommended_action",
                ]
            ],
            on=["segmentation_scheme", "segment"],
            how="left",
        )
    return summary

"""Section 16 of docs/RULES.md: assigning buyers to the smart-segment centroids, and naming them.

The fit itself (k-means) is checked against scikit-learn's own best inertia in the tests; here
the given model (rows of ``cluster_profiles``' feature rows: cluster_number, feature, transform,
weight, center, scale, centroid) is applied to ``customer_features`` with numpy, independently
of the SQL: nearest centroid by weighted squared distance (ties: lower cluster number), clusters
ranked by the exact mean of the value measure (ties: lower number), names from seed
smart_segment_names.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from custseg.oracle.reading import _read_seed


def smart_segments(
    features: pd.DataFrame,
    model: Sequence[dict[str, Any]] | None,
    seeds_dir: Path,
    value_measure: str,
) -> pd.DataFrame:
    """One row per customer of ``features``: smart_segment and smart_cluster_number."""
    out = pd.DataFrame({"customer_id": features["customer_id"].to_numpy()})
    buyer = features["is_buyer"].astype(bool).to_numpy()
    out["smart_segment"] = np.where(buyer, "Unsegmented", "Prospect").astype(object)
    out["smart_cluster_number"] = pd.array([None] * len(out), dtype="Int64")
    if not model or not buyer.any():
        return out
    spec = pd.DataFrame(list(model))
    clusters = sorted(int(c) for c in spec["cluster_number"].unique())
    names = sorted(spec["feature"].unique())
    buyers = features[buyer].reset_index(drop=True)
    distance = np.zeros((len(buyers), len(clusters)))
    for feature in names:
        rows = spec[spec["feature"] == feature].set_index("cluster_number")
        first = rows.iloc[0]
        x = buyers[feature].map(lambda v: float(v) if v is not None else np.nan).to_numpy()
        if first["transform"] == "log1p":
            x = np.log1p(np.maximum(x, 0.0))
        z = (x - float(first["center"])) / float(first["scale"])
        for j, cluster in enumerate(clusters):
            centroid = float(rows.loc[cluster, "centroid"])
            distance[:, j] += float(first["weight"]) * (z - centroid) ** 2
    nearest = np.array(clusters)[np.argmin(distance, axis=1)]  # first minimum: lower number
    value = buyers[value_measure].map(lambda v: Decimal(str(v)))
    means = {
        c: sum(value[nearest == c], Decimal(0)) / int((nearest == c).sum())
        for c in clusters
        if (nearest == c).any()
    }
    ranked = sorted(means, key=lambda c: (-means[c], c))
    seed = _read_seed(seeds_dir, "smart_segment_names")
    seed = seed[seed["k"].astype(int) == len(clusters)]
    name_of_rank = dict(zip(seed["segment_rank"].astype(int), seed["smart_segment"], strict=True))
    name = {c: name_of_rank.get(rank) for rank, c in enumerate(ranked, start=1)}
    out.loc[buyer, "smart_segment"] = [name[c] for c in nearest]
    out.loc[buyer, "smart_cluster_number"] = nearest
    return out

"""K-means centroids of the smart segments, fitted on customer_features (DuckDB only).

docs/RULES.md section 16. One row per (cluster_number, feature): the feature's transform,
weight, center and scale (the standardisation of the fit) and the cluster's centroid in
standardised units. The assignment of customers to the nearest centroid is SQL
(int_customers_smart_segmented), so it runs on every engine; this model is the part SQL
cannot do.

Deterministic and memoryless: buyers are sorted by customer_id, scikit-learn gets a fixed
n_init and random_state and runs on one thread, and nothing of an earlier run is read, so the
same data give the same model (an as-of build reproduces its history snapshot, an incremental
run equals a full refresh). Cluster numbers follow the value rank (1 = the highest mean value
measure), so k-means' arbitrary label order never reaches a number or a name.
"""

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

COLUMNS = [
    "cluster_number",
    "feature",
    "transform",
    "weight",
    "center",
    "scale",
    "centroid",
    "k",
    "inertia",
    "customers_fitted",
    "fit_status",
    "init",
]


def transformed(values, transform):
    """The transform of docs/RULES.md section 16 (log1p of the value floored at 0, or none)."""
    values = values.astype(float)
    if transform == "log1p":
        return np.log1p(np.maximum(values, 0.0))
    return values


def model(dbt, session):
    dbt.config(materialized="table")
    k = int(dbt.config.get("smart_segment_k"))
    n_init = int(dbt.config.get("smart_segment_n_init"))
    random_state = int(dbt.config.get("smart_segment_random_state"))
    min_customers = int(dbt.config.get("smart_segment_min_customers"))
    value_measure = str(dbt.config.get("smart_segment_value_measure"))

    features = dbt.ref("smart_segment_features").df().sort_values("feature", kind="stable")
    features = features.reset_index(drop=True)
    names = list(features.feature)
    columns = ", ".join(dict.fromkeys(["customer_id", value_measure, *names]))
    buyers = (
        dbt.ref("customer_features")
        .filter("is_buyer")
        .project(columns)
        .df()
        .sort_values("customer_id", kind="stable")
        .reset_index(drop=True)
    )
    weights = features.weight.to_numpy(float)

    def rows(status, centers=None, scales=None, centroids=None, inertia=None, init=None):
        out = []
        for cluster in range(len(centroids) if centroids is not None else 0):
            for j, row in enumerate(features.to_dict("records")):
                out.append(
                    {
                        "cluster_number": int(cluster + 1),
                        "feature": row["feature"],
                        "transform": row["transform"],
                        "weight": float(row["weight"]),
                        "center": float(centers[j]),
                        "scale": float(scales[j]),
                        "centroid": float(centroids[cluster][j]),
                        "k": k,
                        "inertia": inertia,
                        "customers_fitted": len(buyers),
                        "fit_status": status,
                        "init": init,
                    }
                )
        if not out:
            out.append(
                {
                    "cluster_number": None,
                    "feature": None,
                    "transform": None,
                    "weight": None,
                    "center": None,
                    "scale": None,
                    "centroid": None,
                    "k": k,
                    "inertia": None,
                    "customers_fitted": len(buyers),
                    "fit_status": status,
                    "init": None,
                }
            )
        frame = pd.DataFrame(out, columns=COLUMNS)
        return frame.astype(
            {
                "cluster_number": "Int64",
                "weight": "float64",
                "center": "float64",
                "scale": "float64",
                "centroid": "float64",
                "inertia": "float64",
            }
        )

    if len(buyers) < max(min_customers, k):
        return rows("insufficient_data")

    values = np.column_stack(
        [
            transformed(buyers[row["feature"]], row["transform"])
            for row in features.to_dict("records")
        ]
    )
    centers = values.mean(axis=0)
    scales = values.std(axis=0)
    scales = np.where(scales > 0, scales, 1.0)
    standardised = (values - centers) / scales
    # k-means on sqrt(w)-scaled features minimises sum of w (z - c)^2
    root_weights = np.sqrt(weights)
    points = standardised * root_weights

    with threadpool_limits(limits=1):
        chosen = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(points)
    # numbers follow the value rank: 1 = highest mean value measure, ties by centroid
    labels = chosen.labels_
    value = buyers[value_measure].astype(float).to_numpy()
    means = [value[labels == c].mean() if (labels == c).any() else -np.inf for c in range(k)]
    order = sorted(range(k), key=lambda c: (-means[c], tuple(chosen.cluster_centers_[c])))
    numbers = np.empty(k, dtype=int)
    for rank, cluster in enumerate(order, start=1):
        numbers[cluster] = rank
    init = "k-means++"

    centroids = np.empty((k, len(names)))
    for cluster in range(k):
        centroids[numbers[cluster] - 1] = chosen.cluster_centers_[cluster] / root_weights
    return rows("fitted", centers, scales, centroids, float(chosen.inertia_), init)

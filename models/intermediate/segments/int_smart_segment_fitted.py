"""K-means centroids of the smart segments, fitted on customer_features (DuckDB only).

docs/RULES.md section 16. One row per (cluster_number, feature): the feature's transform,
weight, center and scale (the standardisation of the fit) and the cluster's centroid in
standardised units. The assignment of customers to the nearest centroid is SQL
(int_customers_smart_segmented), so it runs on every engine; this model is the part SQL
cannot do.

Deterministic: buyers are sorted by customer_id, scikit-learn gets a fixed n_init and
random_state and runs on one thread. Stable: when this model's previous table holds a fit on
the same features and k, a second fit starts from its centroids (re-standardised) and is kept
unless the fresh fit's inertia is lower by more than smart_segment_stickiness (relative); the
new clusters are then matched one to one to the previous ones (least total distance) and keep
their numbers. Without a previous fit, cluster numbers follow the value rank (1 = the highest
mean value measure).
"""

import duckdb
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
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


def previous_fit(session, this, features, k):
    """The previous run's fit (same features, transforms, weights and k), or None."""
    try:
        previous = session.sql(f"select * from {this}").df()
    except duckdb.CatalogException:  # the first run: no previous table
        return None
    if previous.empty or previous["fit_status"].iloc[0] != "fitted":
        return None
    spec = previous.drop_duplicates("feature").set_index("feature")
    if sorted(spec.index) != sorted(features.feature) or int(previous["k"].iloc[0]) != k:
        return None
    for row in features.to_dict("records"):
        if spec.loc[row["feature"], "transform"] != row["transform"]:
            return None
    return previous


def model(dbt, session):
    dbt.config(materialized="table")
    k = int(dbt.config.get("smart_segment_k"))
    n_init = int(dbt.config.get("smart_segment_n_init"))
    random_state = int(dbt.config.get("smart_segment_random_state"))
    min_customers = int(dbt.config.get("smart_segment_min_customers"))
    stickiness = float(dbt.config.get("smart_segment_stickiness"))
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
        fresh = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(points)
        chosen, init = fresh, "k-means++"
        previous = previous_fit(session, dbt.this, features, k)
        if previous is not None:
            spec = previous.drop_duplicates("feature").set_index("feature").loc[names]
            wide = previous.pivot(index="cluster_number", columns="feature", values="centroid")
            wide = wide[names].sort_index()
            # previous centroids in transformed units, re-standardised with this fit's scaling
            original = wide.to_numpy(float) * spec.scale.to_numpy(float) + spec.center.to_numpy(
                float
            )
            start = (original - centers) / scales * root_weights
            warm = KMeans(n_clusters=k, n_init=1, init=start).fit(points)
            if warm.inertia_ <= fresh.inertia_ * (1 + stickiness):
                chosen, init = warm, "previous"
            # match the chosen clusters to the previous ones: they keep their numbers
            cost = ((chosen.cluster_centers_[:, None, :] - start[None, :, :]) ** 2).sum(axis=2)
            new_index, old_index = linear_sum_assignment(cost)
            numbers = np.empty(k, dtype=int)
            numbers[new_index] = wide.index.to_numpy(int)[old_index]
        else:
            # numbers follow the value rank: 1 = highest mean value measure, ties by centroid
            labels = chosen.labels_
            value = buyers[value_measure].astype(float).to_numpy()
            means = [
                value[labels == c].mean() if (labels == c).any() else -np.inf for c in range(k)
            ]
            order = sorted(range(k), key=lambda c: (-means[c], tuple(chosen.cluster_centers_[c])))
            numbers = np.empty(k, dtype=int)
            for rank, cluster in enumerate(order, start=1):
                numbers[cluster] = rank

    centroids = np.empty((k, len(names)))
    for cluster in range(k):
        centroids[numbers[cluster] - 1] = chosen.cluster_centers_[cluster] / root_weights
    return rows("fitted", centers, scales, centroids, float(chosen.inertia_), init)

"""Silhouette and inertia per k for the smart segments (DuckDB only; scikit-learn).

docs/RULES.md section 16. For each k in var smart_segment_diagnostic_ks: k-means (the fit's
n_init and random_state) on a fixed sample of buyers (the smart_segment_diagnostic_sample
buyers with the lowest md5 of customer_id; all of them when fewer), standardised and weighted
as the fit is, and the mean silhouette of that clustering. Silhouette favours small k on real
data, so k is never chosen from it automatically: it is here for people choosing var
smart_segment_k.
"""

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits


def model(dbt, session):
    dbt.config(materialized="table")
    ks = [int(k) for k in dbt.config.get("smart_segment_diagnostic_ks")]
    sample_size = int(dbt.config.get("smart_segment_diagnostic_sample"))
    n_init = int(dbt.config.get("smart_segment_n_init"))
    random_state = int(dbt.config.get("smart_segment_random_state"))
    configured_k = int(dbt.config.get("smart_segment_k"))
    fitted = dbt.ref("int_smart_segment_centroids").df()
    features = fitted.drop_duplicates("feature").sort_values("feature")
    rows = []
    if not features.empty:
        names = list(features.feature)
        buyers = (
            dbt.ref("customer_features")
            .filter("is_buyer")
            .project(", ".join(["customer_id", "md5(customer_id) as sample_key", *names]))
            .order("sample_key, customer_id")
            .limit(sample_size)
            .df()
        )
        columns = []
        for row in features.to_dict("records"):
            values = buyers[row["feature"]].astype(float).to_numpy()
            if row["transform"] == "log1p":
                values = np.log1p(np.maximum(values, 0.0))
            columns.append((values - row["center"]) / row["scale"] * np.sqrt(row["weight"]))
        points = np.column_stack(columns)
        with threadpool_limits(limits=1):
            for k in ks:
                if k < 2 or k >= len(points):
                    continue
                fit = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(points)
                rows.append(
                    {
                        "k": k,
                        "customers_sampled": len(points),
                        "inertia_per_customer": float(fit.inertia_) / len(points),
                        "silhouette": float(silhouette_score(points, fit.labels_)),
                        "is_configured_k": k == configured_k,
                    }
                )
    columns = ["k", "customers_sampled", "inertia_per_customer", "silhouette", "is_configured_k"]
    return pd.DataFrame(rows, columns=columns).astype(
        {
            "k": "int64",
            "customers_sampled": "int64",
            "inertia_per_customer": "float64",
            "silhouette": "float64",
            "is_configured_k": "bool",
        }
    )

"""Smart segments (docs/RULES.md section 16): fit quality against scikit-learn's own best, the
standardisation recomputed independently, stability after a 1% increment, and the profiles.

The assignment itself is compared with the oracle (custseg/oracle/smart.py) in test_oracle.py,
and determinism across thread counts and file orders in test_determinism.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import generate, read_table, run_dbt
from sklearn.cluster import KMeans

from custseg.increment import write_increment

FEATURES = "marts.cluster_profiles"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A generated data set built once, then again (incrementally, same database) after a
    delivery of 1% late transactions; the first build's tables are kept for comparison."""
    work = tmp_path_factory.mktemp("smart")
    raw = generate(work / "raw", customers=4000, seed=11)
    db_path = work / "smart.duckdb"
    run_dbt(
        ["build", "--exclude", "resource_type:unit_test"], db_path, dbt_vars={"raw_path": str(raw)}
    )
    before = {
        "segments": read_table(db_path, "marts.customer_segments"),
        "features": read_table(db_path, "marts.customer_features"),
        "profiles": read_table(db_path, FEATURES),
        "fitted": read_table(db_path, "intermediate.int_smart_segment_fitted"),
        "assigned": read_table(db_path, "intermediate.int_customers_smart_segmented"),
    }

    write_increment(raw, share=0.01, seed=5)
    run_dbt(
        ["build", "--exclude", "resource_type:unit_test"], db_path, dbt_vars={"raw_path": str(raw)}
    )
    after = {
        "segments": read_table(db_path, "marts.customer_segments"),
        "features": read_table(db_path, "marts.customer_features"),
        "fitted": read_table(db_path, "intermediate.int_smart_segment_fitted"),
    }
    return {"before": before, "after": after}


def _points(features: pd.DataFrame, model: pd.DataFrame) -> np.ndarray:
    """Buyers (sorted by id) transformed, standardised and sqrt(weight)-scaled, recomputed from
    the seed's rules with this test's own standardisation (mean, population std)."""
    buyers = features[features["is_buyer"]].sort_values("customer_id")
    spec = model.drop_duplicates("item").sort_values("item")
    columns = []
    for row in spec.itertuples(index=False):
        x = buyers[row.item].astype(float).to_numpy()
        if row.transform == "log1p":
            x = np.log1p(np.maximum(x, 0.0))
        scale = x.std() if x.std() > 0 else 1.0
        assert row.center == pytest.approx(x.mean(), rel=1e-9, abs=1e-9), row.item
        assert row.scale == pytest.approx(scale, rel=1e-9), row.item
        columns.append((x - x.mean()) / scale * np.sqrt(row.weight))
    return np.column_stack(columns)


def test_fit_inertia_within_one_percent_of_scikit_learns_best(builds: dict[str, Any]) -> None:
    before = builds["before"]
    model = before["profiles"][before["profiles"]["profile_kind"] == "feature"]
    points = _points(before["features"], model)
    k = int(before["fitted"]["k"].iloc[0])
    best = min(
        KMeans(n_clusters=k, n_init=10, random_state=seed).fit(points).inertia_
        for seed in (1, 2, 3)
    )
    ours = float(before["assigned"]["smart_segment_distance"].sum())
    assert ours == pytest.approx(float(before["fitted"]["inertia"].iloc[0]), rel=1e-6)
    assert ours <= best * 1.01, (ours, best)


def test_first_fit_numbers_clusters_by_value_rank(builds: dict[str, Any]) -> None:
    assigned = builds["before"]["assigned"]
    assert (assigned["smart_cluster_number"] == assigned["smart_segment_rank"]).all()
    assert set(builds["before"]["fitted"]["init"]) == {"k-means++"}


def test_named_clusters_rank_by_mean_net_revenue(builds: dict[str, Any]) -> None:
    segments = builds["before"]["segments"]
    buyers = segments[segments["is_buyer"]]
    means = buyers.groupby("smart_segment")["net_revenue"].mean().sort_values(ascending=False)
    assert list(means.index) == ["High value", "Growth", "Active", "Potential", "Low value"]
    assert set(segments.loc[~segments["is_buyer"], "smart_segment"]) == {"Prospect"}


def test_stable_after_a_one_percent_increment(builds: dict[str, Any]) -> None:
    """At least 99% of the customers whose features did not change keep their named cluster."""
    before, after = builds["before"], builds["after"]
    columns = [
        "customer_id",
        *sorted(before["profiles"].query("profile_kind == 'feature'")["item"].unique()),
    ]
    unchanged = before["features"][columns].merge(after["features"][columns], how="inner")
    labels = (
        unchanged[["customer_id"]]
        .merge(before["segments"][["customer_id", "smart_segment"]], on="customer_id")
        .merge(
            after["segments"][["customer_id", "smart_segment"]],
            on="customer_id",
            suffixes=("_before", "_after"),
        )
    )
    labels = labels[labels["smart_segment_before"] != "Prospect"]
    assert len(labels) > 1000
    kept = (labels["smart_segment_before"] == labels["smart_segment_after"]).mean()
    assert kept >= 0.99, kept
    assert set(after["fitted"]["init"]) <= {"previous", "k-means++"}


def test_profiles_cross_tab_adds_up(builds: dict[str, Any]) -> None:
    profiles = builds["before"]["profiles"]
    tiers = profiles[profiles["profile_kind"] == "value_tier"]
    sums = tiers.groupby("cluster_number")["item_customers"].sum()
    sizes = tiers.groupby("cluster_number")["customers"].first()
    assert (sums == sizes).all()
    assert profiles.groupby("cluster_number")["share_of_customers"].first().sum() == pytest.approx(
        1
    )
    segments = builds["before"]["segments"]
    assert sizes.sum() == int(segments["smart_cluster_number"].notna().sum())

"""A real public data set: the CDNOW sample (2,357 customers of the first quarter of 1997) against
the BTYD summary published with it (lifetimes' cdnow_customers_summary_with_transactions.csv:
x = frequency, t_x = recency, T, in weeks, and zbar = mean repeat purchase value, calibration
period ending 1997-09-30), and the models fitted on it by the project's own `dbt build` against
the published parameters: BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy
way": r = 0.243, alpha = 4.414 per week, a = 0.793, b = 2.426, LL = -9582.4, and 1.226 expected
purchases in 39 weeks for x = 2, t_x = 30.43, T = 38.86 weeks) and Gamma-Gamma (Fader & Hardie
2013, "The Gamma-Gamma model of monetary value": p = 6.25, q = 3.74, gamma = 15.44 on the 946
repeat buyers). Every customer's scores are then checked against the `lifetimes` library's own
functions with the same parameters (an independent implementation). The data files come from
the lifetimes wheel; the expected values are the published ones, not this project's.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_every_line_accounted, read_table, run_dbt

from custseg.contract import COLUMNS

CALIBRATION_END = "1997-09-30"
# 273 days = the 39 weeks of the published example
HORIZONS = [30, 90, 273, 365]


def _datasets() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("lifetimes is not installed: run `make setup` (requirements-nodeps.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    work = tmp_path_factory.mktemp("cdnow")
    raw = work / "raw"
    raw.mkdir()
    log = (_datasets() / "CDNOW_sample.txt").read_text().splitlines()
    with (raw / "transactions.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS["transactions"])
        for number, line in enumerate(log, start=1):
            _, customer, day, _quantity, amount = line.split()
            at = f"{day[:4]}-{day[4:6]}-{day[6:]} 00:00:00"
            writer.writerow(
                [f"T{number}", customer.lstrip("0"), at, "purchase", amount, "", "", ""]
            )
    for table in ("customers", "interactions"):
        (raw / f"{table}.csv").write_text(",".join(COLUMNS[table]) + "\n")
    db = work / "cdnow.duckdb"
    run_dbt(
        [
            "build",
            "--select",
            "+customer_features",
            "+customer_predictions",
            "+raw_files",
            "+quarantined_rows",
            "+customer_segments",
            "+cluster_profiles",
            "int_smart_segment_diagnostics",
            "--indirect-selection",
            "cautious",
        ],
        db,
        dbt_vars={
            "raw_path": str(raw),
            "as_of_date": CALIBRATION_END,
            "prediction_horizons_days": HORIZONS,
        },
    )
    published = pd.read_csv(_datasets() / "cdnow_customers_summary_with_transactions.csv")
    return db, raw, published


def test_every_cdnow_line_is_loaded(cdnow) -> None:
    db, raw, _ = cdnow
    assert_every_line_accounted(db, raw)
    assert len(read_table(db, "marts.quarantined_rows")) == 0


def test_btyd_columns_equal_the_published_summary(cdnow) -> None:
    db, _, published = cdnow
    features = read_table(db, "marts.customer_features").set_index("customer_id")
    published = published.assign(customer_id=published.ID.astype(str)).set_index("customer_id")
    assert len(published) == 2357
    assert sorted(features.index) == sorted(published.index)  # every customer a buyer
    joined = features.join(published, how="inner")
    assert (joined.repeat_purchase_days == joined.x).all()
    # the published values are rounded to 2 decimals: ours must round to them
    half_cent = 0.005 + 1e-9
    assert ((joined.btyd_recency_days / 7) - joined.t_x).abs().max() <= half_cent
    assert ((joined.customer_age_days / 7) - joined["T"]).abs().max() <= half_cent
    assert (joined.avg_repeat_purchase_value.astype(float) - joined.zbar).abs().max() <= half_cent


# ---------------------------------------------------------------------------------------------
# BG/NBD and Gamma-Gamma
# ---------------------------------------------------------------------------------------------


def _parameters(db: Path) -> pd.DataFrame:
    return read_table(db, "marts.btyd_model_parameters").set_index(["model", "parameter"])


def _published(value: float, published: float, places: int) -> bool:
    """value rounds to the published figure (half a unit of its last place, plus float noise)."""
    return abs(value - published) <= 0.5 * 10**-places + 1e-9


def test_bg_nbd_fit_equals_the_published_parameters(cdnow) -> None:
    db, _, _ = cdnow
    params = _parameters(db)
    bg = params.loc["bg_nbd"]
    assert set(bg.fit_status) == {"converged"}
    assert (bg.customers_fitted == 2357).all()
    assert _published(bg.estimate["r"], 0.243, 3)
    assert _published(bg.estimate["alpha"] / 7, 4.414, 3)  # alpha is per day here, per week there
    assert _published(bg.estimate["a"], 0.793, 3)
    assert _published(bg.estimate["b"], 2.426, 3)
    # LL in days = LL in weeks - (sum of x) ln 7: the density of each repeat purchase time is
    # per day instead of per week
    features = read_table(db, "marts.customer_features")
    total_x = int(features.repeat_purchase_days.sum())
    per_week = float(bg.log_likelihood.iloc[0]) + total_x * math.log(7)
    assert _published(per_week, -9582.4, 1)


def test_gamma_gamma_fit_equals_the_published_parameters(cdnow) -> None:
    db, _, _ = cdnow
    gg = _parameters(db).loc["gamma_gamma"]
    assert set(gg.fit_status) == {"converged"}
    assert (gg.customers_fitted == 946).all()
    assert _published(gg.estimate["p"], 6.25, 2)
    assert _published(gg.estimate["q"], 3.74, 2)
    # published 15.44; the maximum on these data is 15.4477 (lifetimes' own fit gives 15.4477
    # too): within one unit of the published last place
    assert abs(gg.estimate["gamma"] - 15.44) <= 0.01


def test_the_published_example_holds(cdnow) -> None:
    """Customer 1: x = 2, t_x = 30.43, T = 38.86 weeks; 1.226 purchases expected in 39 weeks."""
    db, _, _ = cdnow
    features = read_table(db, "marts.customer_features").set_index("customer_id")
    assert features.loc[
        "1", ["repeat_purchase_days", "btyd_recency_days", "customer_age_days"]
    ].astype(int).tolist() == [2, 213, 272]  # 30.43 and 38.86 weeks
    predictions = read_table(db, "marts.customer_predictions").set_index("customer_id")
    assert _published(predictions.loc["1", "expected_purchases_next_273_days"], 1.226, 3)


def _lifetimes_models(db: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    params = _parameters(db).estimate
    bg = BetaGeoFitter()
    bg.params_ = pd.Series({name: params["bg_nbd", name] for name in ("r", "alpha", "a", "b")})
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time
    gg = GammaGammaFitter()
    gg.params_ = pd.Series(
        {"p": params["gamma_gamma", "p"], "q": params["gamma_gamma", "q"],
         "v": params["gamma_gamma", "gamma"]}
    )  # fmt: skip
    return bg, gg


def assert_close(actual, expected, rel: float = 1e-9) -> None:
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.shape == expected.shape
    worst = np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), 1e-300))
    assert worst <= rel, f"largest relative difference {worst:.3g}"


def assert_scores_equal_lifetimes(db: Path, horizons: list[int]) -> None:
    """Every buyer's P(alive), expected purchases, expected spend and CLV against lifetimes'
    own functions with the parameters in btyd_model_parameters."""
    bg, gg = _lifetimes_models(db)
    features = read_table(db, "marts.customer_features")
    predictions = read_table(db, "marts.customer_predictions")
    joined = features.merge(predictions, on=["customer_id", "as_of_date"])
    buyers = joined[joined.is_buyer.astype(bool)]
    assert len(buyers) > 0
    x = buyers.repeat_purchase_days.to_numpy(float)
    t_x = buyers.btyd_recency_days.to_numpy(float)
    age = buyers.customer_age_days.to_numpy(float)
    zbar = buyers.avg_repeat_purchase_value.astype(float).to_numpy()
    assert_close(buyers.p_alive, bg.conditional_probability_alive(x, t_x, age))
    for days in horizons:
        assert_close(
            buyers[f"expected_purchases_next_{days}_days"],
            bg.conditional_expected_number_of_purchases_up_to_time(days, x, t_x, age),
        )
    spend = (x == 0) | (zbar > 0)
    assert_close(
        buyers.expected_avg_order_value[spend],
        gg.conditional_expected_average_profit(x[spend], zbar[spend]),
    )
    assert buyers.expected_avg_order_value[~spend].isna().all()
    clv = gg.customer_lifetime_value(
        bg,
        pd.Series(x[spend]),
        pd.Series(t_x[spend]),
        pd.Series(age[spend]),
        pd.Series(zbar[spend]),
        time=12,
        discount_rate=0.01,
        freq="D",
    )
    assert_close(buyers.predicted_clv[spend], clv)
    assert predictions[~predictions.customer_id.isin(buyers.customer_id)].p_alive.isna().all()


def test_scores_equal_lifetimes(cdnow) -> None:
    db, _, _ = cdnow
    assert_scores_equal_lifetimes(db, HORIZONS)


def test_fit_equals_lifetimes_fit(cdnow) -> None:
    """The maximum found in the DAG is the one lifetimes' own fitter finds on the same data."""
    assert_fit_equals_lifetimes_fit(cdnow[0])


def assert_fit_equals_lifetimes_fit(db: Path) -> None:
    """btyd_model_parameters equal lifetimes' BetaGeoFitter / GammaGammaFitter fits (in weeks,
    as lifetimes is usually run) on the build's customer_features, to 1e-4 relative."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter, GammaGammaFitter

        features = read_table(db, "marts.customer_features")
        features = features[features.is_buyer.astype(bool)]
        x = features.repeat_purchase_days.to_numpy(float)
        t_x = features.btyd_recency_days.to_numpy(float)
        age = features.customer_age_days.to_numpy(float)
        zbar = features.avg_repeat_purchase_value.astype(float).to_numpy()
        theirs_bg = BetaGeoFitter().fit(x, t_x / 7, age / 7).params_
        repeat = (x > 0) & (zbar > 0)
        theirs_gg = GammaGammaFitter().fit(x[repeat], zbar[repeat]).params_
    ours = _parameters(db).estimate
    for name in ("r", "a", "b"):
        assert math.isclose(ours["bg_nbd", name], theirs_bg[name], rel_tol=1e-4)
    assert math.isclose(ours["bg_nbd", "alpha"] / 7, theirs_bg["alpha"], rel_tol=1e-4)
    for name, theirs in (("p", "p"), ("q", "q"), ("gamma", "v")):
        assert math.isclose(ours["gamma_gamma", name], theirs_gg[theirs], rel_tol=1e-4)


# ---------------------------------------------------------------------------------------------
# Membership levels and smart segments on CDNOW (docs/RULES.md sections 15 and 16)
# ---------------------------------------------------------------------------------------------
def test_membership_levels_equal_the_oracle(cdnow) -> None:
    """Every CDNOW customer's level, points and dates equal the day-by-day re-computation."""
    from decimal import Decimal

    from custseg.oracle.membership import customer_membership

    db, raw, _ = cdnow
    tx = pd.read_csv(raw / "transactions.csv", dtype=str)
    tx["business_date"] = pd.to_datetime(tx["transaction_at"]).dt.normalize()
    tx = tx[tx["business_date"] <= pd.Timestamp(CALIBRATION_END)].copy()
    tx["amount_converted"] = tx["amount"].map(Decimal)
    segments = read_table(db, "marts.customer_segments").sort_values("customer_id")
    levels = pd.read_csv(Path(__file__).resolve().parents[2] / "seeds" / "membership_levels.csv")
    expected = customer_membership(
        tx[["customer_id", "business_date", "transaction_type", "amount_converted"]],
        segments["customer_id"],
        levels.astype(str),
        as_of=pd.Timestamp(CALIBRATION_END),
        points_per_unit="1",
        rounding="floor",
        window="rolling_12_months",
        review="calendar_year_end",
        max_downgrade_levels=1,
    ).set_index("customer_id")
    actual = segments.set_index("customer_id")
    assert (actual["membership_level"] == expected["membership_level"]).all()
    assert all(
        Decimal(str(a)) == b
        for a, b in zip(actual["qualifying_points"], expected["qualifying_points"], strict=True)
    )
    since = pd.to_datetime(actual["membership_level_since"])
    assert (since == pd.to_datetime(expected["level_since"])).all()
    # the published log spans 1997-01 ... 1998-06: the 1997-12-31 review is after the
    # calibration end, so nobody has been reviewed, and several levels are held
    assert actual["membership_level"].nunique() >= 3
    assert set(pd.to_datetime(actual["membership_next_review_date"]).dropna()) == {
        pd.Timestamp("1997-12-31")
    }


def test_smart_segment_fit_is_within_one_percent_of_scikit_learns_best(cdnow) -> None:
    from sklearn.cluster import KMeans

    db, _, _ = cdnow
    features = read_table(db, "marts.customer_features")
    profiles = read_table(db, "marts.cluster_profiles")
    model = profiles[profiles["profile_kind"] == "feature"].drop_duplicates("item")
    buyers = features[features["is_buyer"]].sort_values("customer_id")
    columns = []
    for row in model.sort_values("item").itertuples(index=False):
        x = buyers[row.item].astype(float).to_numpy()
        x = np.log1p(np.maximum(x, 0.0)) if row.transform == "log1p" else x
        scale = x.std() if x.std() > 0 else 1.0
        columns.append((x - x.mean()) / scale * np.sqrt(row.weight))
    points = np.column_stack(columns)
    k = profiles["cluster_number"].nunique()
    best = min(
        KMeans(n_clusters=k, n_init=10, random_state=seed).fit(points).inertia_
        for seed in (1, 2, 3)
    )
    ours = float(
        read_table(db, "intermediate.int_customers_smart_segmented")["smart_segment_distance"].sum()
    )
    assert ours <= best * 1.01, (ours, best)
    segments = read_table(db, "marts.customer_segments")
    assert set(segments["smart_segment"]) == {
        "High value", "Growth", "Active", "Potential", "Low value"
    }  # fmt: skip


def test_silhouette_is_reported_for_every_k(cdnow) -> None:
    """k is not chosen from silhouette (it favours small k on CDNOW): it is reported per k."""
    db, _, _ = cdnow
    diagnostics = read_table(db, "intermediate.int_smart_segment_diagnostics")
    assert list(diagnostics["k"]) == [2, 3, 4, 5, 6, 7, 8]
    assert diagnostics["silhouette"].between(-1, 1).all()
    assert diagnostics.loc[diagnostics["is_configured_k"], "k"].tolist() == [5]
    best_k = int(diagnostics.loc[diagnostics["silhouette"].idxmax(), "k"])
    assert best_k <= 3, diagnostics

"""BG/NBD and Gamma-Gamma fitted by maximum likelihood on customer_features (DuckDB only).

One row per model parameter, in days: BG/NBD r, alpha, a, b (Fader, Hardie & Lee 2005,
"Counting your customers the easy way") on every buyer's (x, t_x, T) =
(repeat_purchase_days, btyd_recency_days, customer_age_days), and Gamma-Gamma p, q, gamma
(Fader & Hardie 2013, "The Gamma-Gamma model of monetary value") on repeat buyers with a
positive avg_repeat_purchase_value. The per-customer scores are SQL (customer_predictions),
so they run on every engine; this model is the part SQL cannot do.

Deterministic: the likelihood sums over the distinct (x, t_x, T) or (x, zbar) rows in sorted
order, weighted by how many customers share them, and the optimiser starts from fixed values.
"""

import math

import numpy as np
import pandas as pd
from scipy import optimize, special

BG_NBD = ("r", "alpha", "a", "b")
# the objective where the likelihood is not finite (the optimiser steps back from it)
INFEASIBLE = 1e300
GAMMA_GAMMA = ("p", "q", "gamma")


def bg_nbd_log_likelihood(params, x, t_x, T, x_values, x_index):
    """Per-row BG/NBD log-likelihood (FHL 2005, eq. 6). The gamma-function terms depend on x
    only: computed once per distinct x (x_values) and spread by x_index."""
    r, alpha, a, b = params
    per_x = (
        special.gammaln(r + x_values)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.gammaln(a + b)
        + special.gammaln(b + x_values)
        - special.gammaln(b)
        - special.gammaln(a + b + x_values)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        # -inf for x = 0: no repeat purchase, no drop-out term
        drop_per_x = np.where(x_values > 0, np.log(a) - np.log(b + x_values - 1), -np.inf)
    alive = -(r + x) * np.log(alpha + T)
    dropped = drop_per_x[x_index] - (r + x) * np.log(alpha + t_x)
    return per_x[x_index] + np.logaddexp(alive, dropped)


def bg_nbd_gradient(params, x, t_x, T, x_values, x_index):
    """Per-row gradient of bg_nbd_log_likelihood in (r, alpha, a, b): rows x 4."""
    r, alpha, a, b = params
    ll_alive = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop_per_x = np.where(x_values > 0, np.log(a) - np.log(b + x_values - 1), -np.inf)
        inverse_b_per_x = np.where(x_values > 0, 1.0 / (b + x_values - 1), 0.0)
    ll_dropped = drop_per_x[x_index] - (r + x) * np.log(alpha + t_x)
    # weight of the drop-out term in the sum of the two (0 without a repeat purchase)
    share = np.exp(ll_dropped - np.logaddexp(ll_alive, ll_dropped))
    d_r = (
        (special.digamma(r + x_values) - special.digamma(r))[x_index]
        + np.log(alpha)
        - (1 - share) * np.log(alpha + T)
        - share * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * ((1 - share) / (alpha + T) + share / (alpha + t_x))
    d_a = (special.digamma(a + b) - special.digamma(a + b + x_values))[x_index] + share / a
    d_b = (
        special.digamma(a + b)
        + special.digamma(b + x_values)
        - special.digamma(b)
        - special.digamma(a + b + x_values)
    )[x_index] - share * inverse_b_per_x[x_index]
    return np.column_stack([d_r, d_alpha, d_a, d_b])


def gamma_gamma_gradient(params, x, zbar):
    """Per-row gradient of gamma_gamma_log_likelihood in (p, q, gamma): rows x 3."""
    p, q, gamma = params
    d_p = x * (
        special.digamma(p * x + q)
        - special.digamma(p * x)
        + np.log(zbar)
        + np.log(x)
        - np.log(gamma + x * zbar)
    )
    d_q = special.digamma(p * x + q) - special.digamma(q) + np.log(gamma) - np.log(gamma + x * zbar)
    d_gamma = q / gamma - (p * x + q) / (gamma + x * zbar)
    return np.column_stack([d_p, d_q, d_gamma])


def gamma_gamma_log_likelihood(params, x, zbar):
    """Per-customer log density of the mean spend zbar of x purchases (FH 2013, eq. 3)."""
    p, q, gamma = params
    return (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(zbar)
        + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + x * zbar)
    )


def fit(log_likelihood, gradient, columns, weights, start, max_iterations):
    """Maximise the weighted log-likelihood over log-parameters; (params, ll, converged).

    BFGS with the analytic gradient on the mean log-likelihood per customer, from `start`;
    when that does not reach a flat gradient, Nelder-Mead from `start` and BFGS again from
    its optimum. Deterministic: fixed starts, pairwise sums (np.sum) in a fixed row order.
    """
    total = float(weights.sum())

    def negative_mean(log_params):
        value = -float(np.sum(weights * log_likelihood(np.exp(log_params), *columns))) / total
        return value if math.isfinite(value) else INFEASIBLE

    def raw_gradient(log_params):
        params = np.exp(log_params)
        per_row = gradient(params, *columns)
        # chain rule for log-parameters: d/d(log p) = p d/dp
        return -np.sum(weights[:, None] * per_row, axis=0) * params / total

    def negative_mean_gradient(log_params):
        value = raw_gradient(log_params)
        return np.where(np.isfinite(value), value, 0.0)

    def flat(point):
        value = raw_gradient(point)
        return bool(np.all(np.isfinite(value)) and np.max(np.abs(value)) < 1e-6)

    start_point = np.log(np.asarray(start, dtype=float))
    options = {"gtol": 1e-10, "maxiter": max_iterations}
    best = optimize.minimize(
        negative_mean, start_point, jac=negative_mean_gradient, method="BFGS", options=options
    )
    if not flat(best.x):
        simplex = optimize.minimize(
            negative_mean,
            start_point,
            method="Nelder-Mead",
            options={"maxiter": max_iterations, "xatol": 1e-10, "fatol": 1e-12, "adaptive": True},
        )
        polished = optimize.minimize(
            negative_mean, simplex.x, jac=negative_mean_gradient, method="BFGS", options=options
        )
        for candidate in (simplex, polished):
            if candidate.fun < best.fun:
                best = candidate
    params = np.exp(best.x)
    log_likelihood_value = -float(best.fun) * total
    # converged: a finite optimum, interior (no parameter running off to 0 or infinity), and a
    # gradient of the mean log-likelihood (in log-parameters) flat to 1e-6
    converged = bool(
        best.fun < INFEASIBLE
        and math.isfinite(log_likelihood_value)
        and np.all(np.isfinite(params))
        and np.all(np.abs(best.x) < 25)
        and flat(best.x)
    )
    return params, log_likelihood_value, converged


def model(dbt, session):
    dbt.config(materialized="table")
    min_customers = int(dbt.config.get("btyd_min_customers"))
    min_repeat_buyers = int(dbt.config.get("btyd_min_repeat_buyers"))
    max_iterations = int(dbt.config.get("btyd_max_iterations"))

    buyers = (
        dbt.ref("customer_features")
        .filter("is_buyer")
        .project(
            "cast(repeat_purchase_days as double) as x, "
            "cast(btyd_recency_days as double) as t_x, "
            "cast(customer_age_days as double) as t, "
            "cast(avg_repeat_purchase_value as double) as zbar, "
            "as_of_date"
        )
        .df()
    )
    as_of = dbt.ref("int_as_of_date").df()["as_of_date"].iloc[0]
    rows = []

    def emit(model_name, names, params, log_likelihood_value, customers, status):
        for name, value in zip(names, params, strict=True):
            rows.append(
                {
                    "model": model_name,
                    "parameter": name,
                    "estimate": None if value is None else float(value),
                    "log_likelihood": log_likelihood_value,
                    "customers_fitted": int(customers),
                    "converged": None if status == "insufficient_data" else status == "converged",
                    "fit_status": status,
                    "as_of_date": as_of,
                }
            )

    repeat = buyers[buyers.x > 0]
    enough = len(buyers) >= min_customers and len(repeat) >= min_repeat_buyers
    # BG/NBD on every buyer
    if enough:
        grouped = buyers.groupby(["x", "t_x", "t"], sort=True).size().reset_index(name="customers")
        x_values, x_index = np.unique(grouped.x.to_numpy(), return_inverse=True)
        columns = (
            grouped.x.to_numpy(),
            grouped.t_x.to_numpy(),
            grouped.t.to_numpy(),
            x_values,
            x_index,
        )
        # starts from the sorted, grouped rows, so that row order cannot change a bit of them
        mean_age = float(np.sum(grouped.t * grouped.customers)) / float(grouped.customers.sum())
        start = (1.0, max(mean_age, 1.0), 1.0, 1.0)
        params, ll, ok = fit(
            bg_nbd_log_likelihood,
            bg_nbd_gradient,
            columns,
            grouped.customers.to_numpy(float),
            start,
            max_iterations,
        )
        emit("bg_nbd", BG_NBD, params, ll, len(buyers), "converged" if ok else "not_converged")
    else:
        emit("bg_nbd", BG_NBD, (None,) * 4, None, len(buyers), "insufficient_data")

    # Gamma-Gamma on repeat buyers with a positive mean repeat purchase value
    spenders = repeat[repeat.zbar > 0]
    if enough and len(spenders) >= min_repeat_buyers:
        grouped = spenders.groupby(["x", "zbar"], sort=True).size().reset_index(name="customers")
        columns = (grouped.x.to_numpy(), grouped.zbar.to_numpy())
        mean_zbar = float(np.sum(grouped.zbar * grouped.customers)) / float(grouped.customers.sum())
        start = (1.0, 2.0, max(mean_zbar, 1.0))
        params, ll, ok = fit(
            gamma_gamma_log_likelihood,
            gamma_gamma_gradient,
            columns,
            grouped.customers.to_numpy(float),
            start,
            max_iterations,
        )
        emit(
            "gamma_gamma",
            GAMMA_GAMMA,
            params,
            ll,
            len(spenders),
            "converged" if ok else "not_converged",
        )
    else:
        emit("gamma_gamma", GAMMA_GAMMA, (None,) * 3, None, len(spenders), "insufficient_data")

    frame = pd.DataFrame(rows)
    frame["estimate"] = frame["estimate"].astype("float64")
    frame["log_likelihood"] = frame["log_likelihood"].astype("float64")
    frame["customers_fitted"] = frame["customers_fitted"].astype("int64")
    frame["converged"] = frame["converged"].astype("boolean")
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame

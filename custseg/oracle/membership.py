"""Section 15 of docs/RULES.md: membership levels from points, simulated day by day.

Written from the rules only (never the SQL): for each customer the level held H is replayed
day by day from the membership start to as_of_date, applying the upgrade (H = max(H, E(t)))
and then, on a review day, the review (H = max(E(r), H - n); n = 0: H = E(r)). Points are
exact ``decimal.Decimal`` values; Q(t) is summed afresh over the window of every day visited.

Only the days on which something can happen are visited: points days, review days and the days
on which a points day leaves the window (d + 365 for ``rolling_12_months``, 1 January for
``calendar_year``). Between two such days Q(t), hence E(t), is constant and no review falls,
so the upgrade is idempotent there and visiting every calendar day would give the same H.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

import pandas as pd

WINDOWS: tuple[str, ...] = ("rolling_12_months", "calendar_year", "lifetime")
REVIEWS: tuple[str, ...] = ("calendar_year_end", "membership_anniversary")
ROUNDINGS: tuple[str, ...] = ("floor", "round", "none")
ROLLING_DAYS = 365  # rolling_12_months: the days t - 364 ... t
PRECISION = 60  # decimal digits: every product and sum below is exact

Level = tuple[int, str, Decimal]  # (level_rank, membership_level, min_points)


def _levels(levels: pd.DataFrame) -> list[Level]:
    """The seed's rows as (rank, name, min_points), by rank; ranks must be 0, 1, 2, ..."""
    rows = sorted(
        (int(str(rank).strip()), str(name).strip(), Decimal(str(points).strip()))
        for rank, name, points in zip(
            levels["level_rank"], levels["membership_level"], levels["min_points"], strict=True
        )
    )
    if [rank for rank, _, _ in rows] != list(range(len(rows))):
        raise ValueError("membership_levels: level_rank must be 0, 1, 2, ... without gaps")
    if rows[0][2] != 0:
        raise ValueError("membership_levels: the base level (rank 0) must have min_points 0")
    return rows


def _per_unit(points_per_unit: str) -> Decimal:
    """membership_points_per_unit as an exact Decimal."""
    try:
        value = Decimal(str(points_per_unit).strip())
    except InvalidOperation as error:
        raise ValueError(
            f"membership_points_per_unit: not a number: {points_per_unit!r}"
        ) from error
    if not value.is_finite():
        raise ValueError(f"membership_points_per_unit: not a number: {points_per_unit!r}")
    return value


def _points(amount: Any, per_unit: Decimal, rounding: str) -> Decimal:
    """Points of one (positive) amount: rounding of amount x per_unit, exactly."""
    with localcontext() as context:
        context.prec = PRECISION
        exact = Decimal(str(amount)) * per_unit
        if rounding == "floor":
            return exact.to_integral_value(rounding=ROUND_FLOOR)
        if rounding == "round":
            return exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return exact


def _as_date(value: Any) -> dt.date:
    """A business date (Timestamp, datetime or date) as a date."""
    return pd.Timestamp(value).date()


def _anniversary(start: dt.date, years: int) -> dt.date:
    """start + years; 29 February -> 28 February in a year that is not a leap year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return dt.date(start.year + years, 2, 28)


def _review_days(start: dt.date, review: str) -> Iterable[dt.date]:
    """The review days after the membership start, in order (an endless generator)."""
    if review == "calendar_year_end":
        year = start.year if start < dt.date(start.year, 12, 31) else start.year + 1
        while True:
            yield dt.date(year, 12, 31)
            year += 1
    else:  # membership_anniversary
        years = 1
        while True:
            yield _anniversary(start, years)
            years += 1


def _window_exits(points_days: Iterable[dt.date], as_of: dt.date, window: str) -> set[dt.date]:
    """Days up to as_of on which a points day (or a year's points) leaves the window."""
    days = list(points_days)
    if window == "rolling_12_months":
        exits = {d + dt.timedelta(days=ROLLING_DAYS) for d in days}
    elif window == "calendar_year":
        exits = {dt.date(year, 1, 1) for year in range(min(days).year + 1, as_of.year + 1)}
    else:  # lifetime: nothing ever leaves
        exits = set()
    return {d for d in exits if d <= as_of}


def _in_window(d: dt.date, t: dt.date, window: str) -> bool:
    """Whether points day d counts towards Q(t)."""
    if d > t:
        return False
    if window == "rolling_12_months":
        return (t - d).days < ROLLING_DAYS
    if window == "calendar_year":
        return d >= dt.date(t.year, 1, 1)
    return True  # lifetime


def _qualifying(points: Mapping[dt.date, Decimal], t: dt.date, window: str) -> Decimal:
    """Q(t): the sum of P(d) over the window of day t."""
    with localcontext() as context:
        context.prec = PRECISION
        return sum((p for d, p in points.items() if _in_window(d, t, window)), Decimal(0))


def _earned(q: Decimal, levels: list[Level]) -> int:
    """E: the highest rank with min_points <= q; 0 when there is none."""
    return max((rank for rank, _, min_points in levels if min_points <= q), default=0)


def _simulate(
    points: Mapping[dt.date, Decimal],
    as_of: dt.date,
    levels: list[Level],
    window: str,
    review: str,
    max_downgrade_levels: int,
) -> tuple[int, dt.date, dt.date]:
    """Replay H from the membership start to as_of: (H(as_of), level_since, next_review_date)."""
    start = min(points)
    reviews: set[dt.date] = set()
    next_review = None
    for day in _review_days(start, review):
        if day > as_of:
            next_review = day
            break
        reviews.add(day)
    days = sorted(set(points) | reviews | _window_exits(points, as_of, window))
    held, since = 0, start
    for t in days:
        before = held
        earned = _earned(_qualifying(points, t, window), levels)
        held = max(held, earned)  # 1. upgrade at the end of day t
        if t in reviews:  # 2. then the review
            held = earned if max_downgrade_levels == 0 else max(earned, held - max_downgrade_levels)
        if held != before:
            since = t
    assert next_review is not None
    return held, since, next_review


def customer_membership(
    transactions: pd.DataFrame,
    customer_ids: pd.Series,
    levels: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    points_per_unit: str,
    rounding: str,
    window: str,
    review: str,
    max_downgrade_levels: int,
) -> pd.DataFrame:
    """Section 15 of docs/RULES.md: one row per customer in ``customer_ids``.

    ``transactions``: the counted transactions (customer_id, business_date as a midnight
    Timestamp, transaction_type 'purchase' or 'refund', amount_converted as a positive Decimal
    in the reporting currency); rows after ``as_of`` are ignored. ``levels``: seed
    membership_levels read as text. Options are the ``membership_*`` vars.

    Columns: customer_id, membership_level, membership_rank, qualifying_points (Decimal),
    points_to_next_level (Decimal; None at the top level), level_since and next_review_date
    (Timestamps; None without points days).
    """
    if rounding not in ROUNDINGS:
        raise ValueError(f"membership_points_rounding: unknown value {rounding!r}")
    if window not in WINDOWS:
        raise ValueError(f"membership_window: unknown value {window!r}")
    if review not in REVIEWS:
        raise ValueError(f"membership_review: unknown value {review!r}")
    if isinstance(max_downgrade_levels, bool) or int(max_downgrade_levels) != max_downgrade_levels:
        raise ValueError(
            f"membership_max_downgrade_levels: not an integer: {max_downgrade_levels!r}"
        )
    if max_downgrade_levels < 0:
        raise ValueError(f"membership_max_downgrade_levels: negative: {max_downgrade_levels!r}")
    n = int(max_downgrade_levels)
    per_unit = _per_unit(points_per_unit)
    table = _levels(levels)
    top = table[-1][0]
    as_of_day = _as_date(as_of)

    # P(d) per customer and day: purchases add their points, refunds deduct their own points
    points: dict[Any, dict[dt.date, Decimal]] = {}
    for customer, date, kind, amount in zip(
        transactions["customer_id"],
        transactions["business_date"],
        transactions["transaction_type"],
        transactions["amount_converted"],
        strict=True,
    ):
        day = _as_date(date)
        if day > as_of_day:
            continue
        if kind == "purchase":
            sign = 1
        elif kind == "refund":
            sign = -1
        else:
            raise ValueError(f"transaction_type: unknown value {kind!r}")
        days = points.setdefault(customer, {})
        with localcontext() as context:
            context.prec = PRECISION
            days[day] = days.get(day, Decimal(0)) + sign * _points(amount, per_unit, rounding)

    rows = []
    for customer in customer_ids:
        own = points.get(customer)
        if own:
            held, since, next_review = _simulate(own, as_of_day, table, window, review, n)
            q = _qualifying(own, as_of_day, window)
            level_since, next_review_date = pd.Timestamp(since), pd.Timestamp(next_review)
        else:  # no points days: the base level with 0 points
            held, q, level_since, next_review_date = 0, Decimal(0), None, None
        with localcontext() as context:
            context.prec = PRECISION
            to_next = None if held == top else table[held + 1][2] - q
        rows.append(
            {
                "customer_id": customer,
                "membership_level": table[held][1],
                "membership_rank": held,
                "qualifying_points": q,
                "points_to_next_level": to_next,
                "level_since": level_since,
                "next_review_date": next_review_date,
            }
        )
    columns = [
        "customer_id",
        "membership_level",
        "membership_rank",
        "qualifying_points",
        "points_to_next_level",
        "level_since",
        "next_review_date",
    ]
    result = pd.DataFrame(rows, columns=columns)
    result["membership_rank"] = result["membership_rank"].astype("int64")
    for column in ("qualifying_points", "points_to_next_level", "level_since", "next_review_date"):
        result[column] = pd.Series([row[column] for row in rows], index=result.index, dtype=object)
    return result

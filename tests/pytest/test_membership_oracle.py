"""The membership oracle (section 15 of docs/RULES.md) on hand-made transactions, without dbt.

Every expected value is worked out by hand from the written rules; the arithmetic is in the
comments. Levels: Member 0, Silver 100, Gold 500, Platinum 1000 points. Unless a test says
otherwise: 1 point per unit, floor, rolling_12_months, calendar_year_end, soft landing (n = 1).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
import pytest

from custseg.oracle.membership import customer_membership

LEVELS = pd.DataFrame(
    {
        "level_rank": ["0", "1", "2", "3"],
        "membership_level": ["Member", "Silver", "Gold", "Platinum"],
        "min_points": ["0", "100", "500", "1000"],
    }
)
THRESHOLDS = [Decimal(0), Decimal(100), Decimal(500), Decimal(1000)]
DEFAULTS: dict[str, Any] = {
    "points_per_unit": "1",
    "rounding": "floor",
    "window": "rolling_12_months",
    "review": "calendar_year_end",
    "max_downgrade_levels": 1,
}
COLUMNS = [
    "customer_id",
    "membership_level",
    "membership_rank",
    "qualifying_points",
    "points_to_next_level",
    "level_since",
    "next_review_date",
]

Row = tuple[str, str, str, str]  # customer_id, business date, transaction_type, amount


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def _transactions(rows: list[Row]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "business_date": [_ts(r[1]) for r in rows],
            "transaction_type": [r[2] for r in rows],
            "amount_converted": [Decimal(r[3]) for r in rows],
        },
        columns=["customer_id", "business_date", "transaction_type", "amount_converted"],
    )


def _run(
    rows: list[Row], as_of: str, customers: list[str] | None = None, **options: Any
) -> pd.DataFrame:
    ids = customers if customers is not None else sorted({r[0] for r in rows})
    return customer_membership(
        _transactions(rows),
        pd.Series(ids, dtype=object),
        LEVELS,
        as_of=_ts(as_of),
        **{**DEFAULTS, **options},
    )


def _one(rows: list[Row], as_of: str, **options: Any) -> dict[str, Any]:
    """The only customer's row as a dict."""
    result = _run(rows, as_of, **options)
    assert len(result) == 1
    return result.iloc[0].to_dict()


def _check(
    row: dict[str, Any],
    level: str,
    rank: int,
    q: str,
    to_next: str | None,
    since: str | None,
    next_review: str | None,
) -> None:
    assert row["membership_level"] == level
    assert row["membership_rank"] == rank
    assert isinstance(row["qualifying_points"], Decimal)
    assert row["qualifying_points"] == Decimal(q)
    if to_next is None:
        assert row["points_to_next_level"] is None
    else:
        assert isinstance(row["points_to_next_level"], Decimal)
        assert row["points_to_next_level"] == Decimal(to_next)
    assert row["level_since"] == (None if since is None else _ts(since))
    assert row["next_review_date"] == (None if next_review is None else _ts(next_review))


# ---------------------------------------------------------------------------
# Upgrades
# ---------------------------------------------------------------------------


def test_upgrade_on_the_day_a_threshold_is_crossed() -> None:
    rows = [
        ("c1", "2024-03-01", "purchase", "60.0000"),
        ("c1", "2024-03-10", "purchase", "50.0000"),
    ]
    # 9 March: Q = 60 < 100 -> Member; never changed -> level_since = start 1 March;
    # to next = 100 - 60 = 40; next review the coming 31 December
    _check(_one(rows, "2024-03-09"), "Member", 0, "60", "40", "2024-03-01", "2024-12-31")
    # 10 March: Q = 60 + 50 = 110 >= 100 -> Silver that very day; to next = 500 - 110 = 390
    _check(_one(rows, "2024-03-10"), "Silver", 1, "110", "390", "2024-03-10", "2024-12-31")


def test_level_since_is_the_last_upgrade_day() -> None:
    rows = [
        ("c1", "2024-01-02", "purchase", "120.0000"),  # Q = 120 -> Silver on 2 Jan
        ("c1", "2024-01-05", "purchase", "30.0000"),  # Q = 150 -> still Silver
        ("c1", "2024-02-01", "purchase", "400.0000"),  # Q = 550 -> Gold on 1 Feb
        ("c1", "2024-02-03", "purchase", "10.0000"),  # Q = 560 -> still Gold
    ]
    # to next = 1000 - 560 = 440
    _check(_one(rows, "2024-03-01"), "Gold", 2, "560", "440", "2024-02-01", "2024-12-31")


def test_points_to_next_level_and_none_at_the_top() -> None:
    top = [("c1", "2024-04-01", "purchase", "1200.0000")]
    # Q = 1200 >= 1000 -> Platinum, the top level: no next level
    _check(_one(top, "2024-04-02"), "Platinum", 3, "1200", None, "2024-04-01", "2024-12-31")
    silver = [("c1", "2024-04-01", "purchase", "450.0000")]
    # Q = 450 -> Silver; to next = 500 - 450 = 50
    _check(_one(silver, "2024-04-02"), "Silver", 1, "450", "50", "2024-04-01", "2024-12-31")


def test_an_upgrade_when_a_refund_leaves_the_rolling_window() -> None:
    """Rule 1 applies at the end of every day, also a day without a transaction."""
    rows = [
        ("c1", "2023-03-01", "refund", "200.0000"),  # start; Q = -200 -> E = 0
        ("c1", "2023-06-01", "purchase", "250.0000"),  # Q = -200 + 250 = 50 -> Member
    ]
    # 31 Dec 2023 review: Q = 50 -> E = 0, H = max(0, 0 - 1) = 0, no change.
    # 2023-03-01 + 365 days = 2024-02-29 (a leap day): the refund leaves the window,
    # Q = 250 -> Silver on 2024-02-29. On 15 March: Q = 250 (1 June is 288 days back);
    # to next = 500 - 250 = 250
    _check(_one(rows, "2024-03-15"), "Silver", 1, "250", "250", "2024-02-29", "2024-12-31")
    _check(_one(rows, "2024-02-28"), "Member", 0, "50", "50", "2023-03-01", "2024-12-31")


# ---------------------------------------------------------------------------
# Reviews
# ---------------------------------------------------------------------------

GOLD_2023 = [("c1", "2023-01-10", "purchase", "600.0000")]  # Gold on 10 Jan 2023


def test_no_downgrade_between_reviews_when_rolling_points_fall() -> None:
    # 31 Dec 2023 review: 355 days after 10 Jan -> Q = 600 -> E = Gold, H stays Gold.
    # 10 Jan 2024 (365 days): the purchase leaves the window, Q = 0, E = 0, but the next review
    # is 31 Dec 2024: on 30 June 2024 still Gold since 10 Jan 2023; to next = 1000 - 0
    _check(_one(GOLD_2023, "2024-06-30"), "Gold", 2, "0", "1000", "2023-01-10", "2024-12-31")


def test_calendar_year_end_review_with_the_soft_landing() -> None:
    # 31 Dec 2024 review: Q = 0 -> E = 0, H = max(0, 2 - 1) = 1 Silver, since that review day
    _check(_one(GOLD_2023, "2025-01-05"), "Silver", 1, "0", "500", "2024-12-31", "2025-12-31")
    # 31 Dec 2025 review: H = max(0, 1 - 1) = 0 Member, since 31 Dec 2025
    _check(_one(GOLD_2023, "2026-01-01"), "Member", 0, "0", "100", "2025-12-31", "2026-12-31")
    # a review where the level is still earned changes nothing: 1 March 2024 Gold,
    # 31 Dec 2024: Q = 600 -> E = 2 = H -> level_since stays 1 March
    kept = [("c1", "2024-03-01", "purchase", "600.0000")]
    _check(_one(kept, "2025-01-05"), "Gold", 2, "600", "400", "2024-03-01", "2025-12-31")


def test_a_review_never_goes_below_the_level_earned() -> None:
    rows = [
        ("c1", "2023-01-10", "purchase", "1200.0000"),  # Platinum on 10 Jan 2023
        ("c1", "2024-06-01", "purchase", "600.0000"),
    ]
    # 31 Dec 2023: Q = 1200 -> Platinum kept. 31 Dec 2024: Q = 600 (10 Jan 2023 is out)
    # -> E = Gold: n = 1: max(2, 3 - 1) = 2; n = 2: max(2, 3 - 2) = 2; n = 0: E = 2.
    # On 5 Jan 2025 Q = 600 still (1 June 2024 is 218 days back); to next = 1000 - 600 = 400
    for n in (0, 1, 2):
        row = _one(rows, "2025-01-05", max_downgrade_levels=n)
        _check(row, "Gold", 2, "600", "400", "2024-12-31", "2025-12-31")


def test_a_review_with_two_levels_down() -> None:
    rows = [("c1", "2023-01-10", "purchase", "1200.0000")]
    # 31 Dec 2024: Q = 0 -> E = 0, n = 2: H = max(0, 3 - 2) = 1 Silver
    row = _one(rows, "2025-01-05", max_downgrade_levels=2)
    _check(row, "Silver", 1, "0", "500", "2024-12-31", "2025-12-31")


def test_calendar_year_end_review_without_a_limit() -> None:
    # n = 0: straight to the level earned. 31 Dec 2024: Q = 0 -> E = 0 -> Member
    row = _one(GOLD_2023, "2025-01-05", max_downgrade_levels=0)
    _check(row, "Member", 0, "0", "100", "2024-12-31", "2025-12-31")
    # before that review, Gold still holds (no downgrade between reviews, whatever n)
    row = _one(GOLD_2023, "2024-12-30", max_downgrade_levels=0)
    _check(row, "Gold", 2, "0", "1000", "2023-01-10", "2024-12-31")


def test_next_review_date_is_after_as_of() -> None:
    rows = [("c1", "2023-12-31", "purchase", "50.0000")]
    # the start is not a review day: on 31 Dec 2023 the first review after it is 31 Dec 2024
    _check(_one(rows, "2023-12-31"), "Member", 0, "50", "50", "2023-12-31", "2024-12-31")
    # as_of on a review day: the next one is a year later. Q(31 Dec 2024) = 0 (366 days back)
    _check(_one(rows, "2024-12-31"), "Member", 0, "0", "100", "2023-12-31", "2025-12-31")


def test_membership_anniversary_review_from_29_february() -> None:
    rows = [("c1", "2024-02-29", "purchase", "600.0000")]  # start; Gold on 29 Feb 2024
    options = {"review": "membership_anniversary"}
    # 27 Feb 2025: 364 days back -> Q = 600, Gold; first anniversary = 28 Feb 2025 (no 29th)
    row = _one(rows, "2025-02-27", **options)
    _check(row, "Gold", 2, "600", "400", "2024-02-29", "2025-02-28")
    # 28 Feb 2025 is 365 days after 29 Feb 2024: the purchase has left the window, Q = 0.
    # Review: E = 0 -> H = max(0, 2 - 1) = Silver since 28 Feb 2025; next 28 Feb 2026
    row = _one(rows, "2025-02-28", **options)
    _check(row, "Silver", 1, "0", "500", "2025-02-28", "2026-02-28")
    # 28 Feb 2026: Member (since then); 28 Feb 2027: still Member (no change);
    # next: 29 Feb 2028 (a leap year)
    row = _one(rows, "2027-03-01", **options)
    _check(row, "Member", 0, "0", "100", "2026-02-28", "2028-02-29")


def test_membership_anniversary_review_from_an_ordinary_start() -> None:
    rows = [("c1", "2023-05-15", "purchase", "150.0000")]  # Silver on 15 May 2023
    options = {"review": "membership_anniversary"}
    # no review on 31 December: on 1 Jan 2024 Silver, Q = 150 (231 days back); next 15 May 2024
    row = _one(rows, "2024-01-01", **options)
    _check(row, "Silver", 1, "150", "350", "2023-05-15", "2024-05-15")
    # 15 May 2024 (366 days back): Q = 0 -> E = 0 -> max(0, 1 - 1) = Member since that day
    row = _one(rows, "2024-05-15", **options)
    _check(row, "Member", 0, "0", "100", "2024-05-15", "2025-05-15")


def test_a_refund_after_an_upgrade_waits_for_the_review() -> None:
    rows = [
        ("c1", "2024-02-01", "purchase", "600.0000"),  # Q = 600 -> Gold on 1 Feb
        ("c1", "2024-03-01", "refund", "550.0000"),  # Q = 600 - 550 = 50 -> E = 0, H stays Gold
    ]
    # 30 Dec 2024: Gold since 1 Feb, Q = 50; to next = 1000 - 50 = 950
    _check(_one(rows, "2024-12-30"), "Gold", 2, "50", "950", "2024-02-01", "2024-12-31")
    # 31 Dec 2024 review: Q = 50 -> E = 0 -> H = max(0, 2 - 1) = Silver (soft landing);
    # 2 Jan 2025: Q = 50 (both 336 and 307 days back); to next = 500 - 50 = 450
    _check(_one(rows, "2025-01-02"), "Silver", 1, "50", "450", "2024-12-31", "2025-12-31")


def test_negative_qualifying_points_after_a_refund() -> None:
    rows = [
        ("c1", "2024-01-05", "purchase", "100.0000"),  # Q = 100 -> Silver on 5 Jan
        ("c1", "2024-01-06", "refund", "300.0000"),  # Q = 100 - 300 = -200 -> E = 0
    ]
    # Silver held; to next = 500 - (-200) = 700
    _check(_one(rows, "2024-01-06"), "Silver", 1, "-200", "700", "2024-01-05", "2024-12-31")


# ---------------------------------------------------------------------------
# Customers without points days
# ---------------------------------------------------------------------------


def test_a_customer_without_transactions() -> None:
    rows = [("c1", "2024-01-05", "purchase", "150.0000"), ("c9", "2024-01-05", "purchase", "5")]
    result = _run(rows, "2024-02-01", customers=["c1", "c0"])
    # one row per requested customer, in their order; c9 is not asked for
    assert list(result.columns) == COLUMNS
    assert result["customer_id"].tolist() == ["c1", "c0"]
    rows_by_id = {r["customer_id"]: r for r in result.to_dict("records")}
    _check(rows_by_id["c1"], "Silver", 1, "150", "350", "2024-01-05", "2024-12-31")
    # base level, 0 points, to next = 100 - 0; no level_since, no next review
    _check(rows_by_id["c0"], "Member", 0, "0", "100", None, None)


def test_no_transactions_at_all() -> None:
    result = _run([], "2024-02-01", customers=["a", "b"])
    assert result["customer_id"].tolist() == ["a", "b"]
    for row in result.to_dict("records"):
        _check(row, "Member", 0, "0", "100", None, None)


def test_transactions_after_as_of_do_not_count() -> None:
    rows = [("c1", "2024-01-05", "purchase", "50.0000"), ("c1", "2024-01-06", "purchase", "80")]
    # only 5 Jan counts: Q = 50
    _check(_one(rows, "2024-01-05"), "Member", 0, "50", "50", "2024-01-05", "2024-12-31")


# ---------------------------------------------------------------------------
# Windows at their boundary
# ---------------------------------------------------------------------------


def test_rolling_12_months_boundary() -> None:
    rows = [
        ("in", "2023-07-02", "purchase", "150.0000"),  # 2024-06-30 - 2023-07-02 = 364 days
        ("out", "2023-07-01", "purchase", "150.0000"),  # 365 days: outside t - 364 ... t
    ]
    result = _run(rows, "2024-06-30").set_index("customer_id")
    # both became Silver on their purchase day and kept it at the 31 Dec 2023 review (Q = 150)
    _check(result.loc["in"].to_dict(), "Silver", 1, "150", "350", "2023-07-02", "2024-12-31")
    _check(result.loc["out"].to_dict(), "Silver", 1, "0", "500", "2023-07-01", "2024-12-31")
    # lifetime: both count
    result = _run(rows, "2024-06-30", window="lifetime").set_index("customer_id")
    assert result["qualifying_points"].tolist() == [Decimal(150), Decimal(150)]


def test_calendar_year_boundary() -> None:
    rows = [
        ("in", "2024-01-01", "purchase", "150.0000"),  # 1 January of as_of's year counts
        ("out", "2023-12-31", "purchase", "150.0000"),  # the year before does not
    ]
    result = _run(rows, "2024-06-30", window="calendar_year").set_index("customer_id")
    _check(result.loc["in"].to_dict(), "Silver", 1, "150", "350", "2024-01-01", "2024-12-31")
    # 31 Dec 2023 is the start, not a review day: Silver since then, Q(30 June 2024) = 0
    _check(result.loc["out"].to_dict(), "Silver", 1, "0", "500", "2023-12-31", "2024-12-31")


def test_calendar_year_review_uses_the_whole_year() -> None:
    rows = [
        ("c1", "2024-01-01", "purchase", "300.0000"),
        ("c1", "2024-12-01", "purchase", "300.0000"),  # Q = 600 -> Gold on 1 Dec
    ]
    # 31 Dec 2024 review: Q = 300 + 300 = 600 -> Gold kept. 1 Jan 2025: Q = 0 (new year),
    # Gold held until 31 Dec 2025
    row = _one(rows, "2025-01-01", window="calendar_year")
    _check(row, "Gold", 2, "0", "1000", "2024-12-01", "2025-12-31")
    row = _one(rows, "2025-12-31", window="calendar_year")  # review: E = 0 -> Silver
    _check(row, "Silver", 1, "0", "500", "2025-12-31", "2026-12-31")


# ---------------------------------------------------------------------------
# Rounding
# ---------------------------------------------------------------------------

ROUNDING_ROWS = [
    ("c1", "2024-05-01", "purchase", "99.0000"),
    ("c1", "2024-05-01", "purchase", "99.0000"),
    ("c1", "2024-05-02", "purchase", "3.0000"),
    ("c1", "2024-05-03", "refund", "3.0000"),
]


def test_rounding_floor() -> None:
    # 0.5 per unit: 99 -> 49.5 -> 49; 3 -> 1.5 -> 1 (a refund deducts floor of its own amount,
    # 1, not floor(-1.5) = -2). 1 May: 98, 2 May: 99, 3 May: 98 -> Member; to next 100 - 98
    row = _one(ROUNDING_ROWS, "2024-05-03", points_per_unit="0.5", rounding="floor")
    _check(row, "Member", 0, "98", "2", "2024-05-01", "2024-12-31")


def test_rounding_half_away_from_zero() -> None:
    # 49.5 -> 50, 1.5 -> 2. 1 May: 100 -> Silver; 2 May: 102; 3 May: 100; to next 500 - 100
    row = _one(ROUNDING_ROWS, "2024-05-03", points_per_unit="0.5", rounding="round")
    _check(row, "Silver", 1, "100", "400", "2024-05-01", "2024-12-31")


def test_rounding_none() -> None:
    # exact: 1 May: 49.5 + 49.5 = 99 -> Member; 2 May: 100.5 -> Silver on 2 May;
    # 3 May: 100.5 - 1.5 = 99 (Silver stays); to next = 500 - 99 = 401
    row = _one(ROUNDING_ROWS, "2024-05-03", points_per_unit="0.5", rounding="none")
    _check(row, "Silver", 1, "99", "401", "2024-05-02", "2024-12-31")
    # exact fractions of a point: 12.3456 * 0.5 = 6.1728
    row = _one(
        [("c1", "2024-05-01", "purchase", "12.3456")],
        "2024-05-01",
        **{"points_per_unit": "0.5", "rounding": "none"},
    )
    _check(row, "Member", 0, "6.1728", "93.8272", "2024-05-01", "2024-12-31")


# ---------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"rounding": "ceil"},
        {"window": "rolling_6_months"},
        {"review": "monthly"},
        {"max_downgrade_levels": -1},
        {"points_per_unit": "one"},
    ],
)
def test_unknown_options_raise(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        _run([("c1", "2024-01-05", "purchase", "1")], "2024-02-01", **options)


# ---------------------------------------------------------------------------
# The oracle visits only the days where something can happen: every calendar day agrees
# ---------------------------------------------------------------------------


def _date(value: pd.Timestamp | None) -> dt.date | None:
    return None if value is None else value.date()


def _naive_points(amount: Decimal, per_unit: Decimal, rounding: str) -> Decimal:
    exact = amount * per_unit
    if rounding == "floor":
        return Decimal(math.floor(exact))
    if rounding == "round":
        return exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return exact


def _is_review(t: dt.date, start: dt.date, review: str) -> bool:
    if t <= start:
        return False
    if review == "calendar_year_end":
        return (t.month, t.day) == (12, 31)
    if (t.month, t.day) == (start.month, start.day):
        return True
    leap_start = (start.month, start.day) == (2, 29)
    return leap_start and (t.month, t.day) == (2, 28) and not calendar.isleap(t.year)


def _naive(rows: list[Row], as_of: dt.date, options: dict[str, Any]) -> dict[str, Any]:
    """Every calendar day from the start to as_of, Q summed from the rows each day."""
    per_unit = Decimal(options["points_per_unit"])
    tx = [
        (dt.date.fromisoformat(d), (1 if k == "purchase" else -1), Decimal(a))
        for _, d, k, a in rows
        if dt.date.fromisoformat(d) <= as_of
    ]
    if not tx:
        return {"rank": 0, "q": Decimal(0), "since": None, "next": None}
    window = options["window"]

    def q(t: dt.date) -> Decimal:
        total = Decimal(0)
        for d, sign, amount in tx:
            counted = d <= t and (
                window == "lifetime"
                or (window == "calendar_year" and d.year == t.year)
                or (window == "rolling_12_months" and (t - d).days <= 364)
            )
            if counted:
                total += sign * _naive_points(amount, per_unit, options["rounding"])
        return total

    def earned(t: dt.date) -> int:
        points = q(t)
        return max((rank for rank, m in enumerate(THRESHOLDS) if m <= points), default=0)

    start = min(d for d, _, _ in tx)
    n = options["max_downgrade_levels"]
    held, since, t = 0, start, start
    while t <= as_of:
        before, e = held, earned(t)
        held = max(held, e)
        if _is_review(t, start, options["review"]):
            held = e if n == 0 else max(e, held - n)
        if held != before:
            since = t
        t += dt.timedelta(days=1)
    while not _is_review(t, start, options["review"]):
        t += dt.timedelta(days=1)
    return {"rank": held, "q": q(as_of), "since": since, "next": t}


@pytest.mark.parametrize("window", ["rolling_12_months", "calendar_year", "lifetime"])
@pytest.mark.parametrize("review", ["calendar_year_end", "membership_anniversary"])
def test_agrees_with_every_calendar_day(window: str, review: str) -> None:
    rng = random.Random(f"{window}-{review}")
    rows: list[Row] = []
    first = dt.date(2022, 1, 1)
    for c in range(10):
        starts = [first + dt.timedelta(days=rng.randrange(900)) for _ in range(rng.randint(1, 7))]
        if c == 0:
            starts.append(dt.date(2024, 2, 29))
        for d in starts:
            kind = "refund" if rng.random() < 0.3 else "purchase"
            amount = f"{rng.randrange(1, 1500)}.{rng.randrange(10000):04d}"
            rows.append((f"c{c}", d.isoformat(), kind, amount))
    as_of = dt.date(2024, 9, 30)
    customers = [f"c{c}" for c in range(11)]  # c10 has no transactions
    for n in (0, 1, 2):
        for rounding, per_unit in (("floor", "0.5"), ("round", "0.25"), ("none", "1")):
            options = {
                "points_per_unit": per_unit,
                "rounding": rounding,
                "window": window,
                "review": review,
                "max_downgrade_levels": n,
            }
            result = _run(rows, as_of.isoformat(), customers=customers, **options)
            for row in result.to_dict("records"):
                own = [r for r in rows if r[0] == row["customer_id"]]
                expected = _naive(own, as_of, options)
                assert row["membership_rank"] == expected["rank"], (row, expected)
                assert row["qualifying_points"] == expected["q"], (row, expected)
                assert _date(row["level_since"]) == expected["since"], (row, expected)
                assert _date(row["next_review_date"]) == expected["next"], (row, expected)

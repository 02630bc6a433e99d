"""Exact values: money and score scales, strict parsers of raw text, exact arithmetic helpers.

Money is held as ``decimal.Decimal`` with 4 places and ranked as integer ten-thousandths;
var shares and ratios are exact fractions (docs/RULES.md sections 1, 2 and 7).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import pandas as pd

MONEY_PLACES = Decimal("0.0001")
MONEY_SCALE = 10_000  # money as integer ten-thousandths, for exact ranking
MONEY_LIMIT = Decimal(10**12)  # one amount, converted at its highest rate, stays below this
SCORE_SCALE = 10_000  # scores rounded to 4 decimals
ZERO = Decimal("0.0000")

TIMESTAMP_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:\.(?P<f>\d+))?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?$"
)
DECIMAL_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_timestamp(text: str | None) -> pd.Timestamp | None:
    """ISO-8601 text -> naive UTC timestamp; None when missing or not parseable."""
    if not isinstance(text, str):
        return None
    match = TIMESTAMP_RE.match(text)
    if match is None:
        return None
    parts = match.groupdict()
    fraction = (parts["f"] or "")[:6].ljust(6, "0")
    try:
        value = dt.datetime(
            int(parts["y"]),
            int(parts["mo"]),
            int(parts["d"]),
            int(parts["h"] or 0),
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
            int(fraction),
        )
    except ValueError:  # 2024-13-45, 25:61:00, ...
        return None
    offset = parts["tz"]
    if offset and offset != "Z":
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 14 or minutes > 59:  # real-world offsets: -12:00 .. +14:00
            return None
        delta = dt.timedelta(hours=hours, minutes=minutes)
        value = value - delta if offset[0] == "+" else value + delta
    return pd.Timestamp(value)


def parse_decimal(text: str | None) -> Decimal | None:
    """Strict dotted decimal -> Decimal with 4 places (half up); None when not a number."""
    if not isinstance(text, str) or DECIMAL_RE.match(text) is None:
        return None
    try:
        return Decimal(text).quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than any amount may have: out of range anyway
        return Decimal(text)


def _not_decimal_text(text: str | None) -> bool:
    """Text given but not of the contract's decimal shape."""
    return isinstance(text, str) and DECIMAL_RE.match(text) is None


def _abs_or_zero(value: Any) -> Decimal:
    return abs(value) if isinstance(value, Decimal) else ZERO


def parse_number(text: str | None) -> Decimal | None:
    """Strict dotted decimal -> exact Decimal (no rounding); None when not a number."""
    if not isinstance(text, str) or DECIMAL_RE.match(text) is None:
        return None
    return Decimal(text)


def round_money(value: Decimal) -> Decimal:
    """Round half away from zero to 4 decimals."""
    return value.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)


def _fraction(value: Any) -> Fraction:
    """Exact fraction of a var (written as text or number)."""
    return Fraction(str(value))


def _dsum(values: pd.Series) -> Decimal:
    """Exact sum of a Series of Decimals (0 when empty)."""
    return sum(values, ZERO)


def _or_zero(value: Any) -> Decimal:
    """A Decimal as is; a missing sum -> 0."""
    return value if isinstance(value, Decimal) else ZERO


def _money_int(values: pd.Series) -> pd.Series:
    """Decimals with <= 4 places as exact Python ints of ten-thousandths (object dtype)."""
    return values.map(lambda v: int(v * MONEY_SCALE))

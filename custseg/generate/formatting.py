"""Turning code and number arrays into the contract's text columns (Arrow string arrays):
decoded vocabulary codes, zero-padded ids, UTC timestamps, money with two decimals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg.generate.constants import IntArray


def _decode(codes: IntArray, names: Sequence[str]) -> pa.Array:
    """Strings for integer codes; a negative code gives null."""
    indices = pa.array(np.maximum(codes, 0), type=pa.int64(), mask=codes < 0)
    return pa.array(names, type=pa.string()).take(indices)


def _format_ids(prefix: str, numbers: IntArray, width: int) -> pa.Array:
    """Ids like ``C000123``: a prefix and a zero-padded number."""
    digits = pc.utf8_lpad(pa.array(numbers, type=pa.int64()).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _format_utc(ts: IntArray) -> pa.Array:
    """``YYYY-MM-DD HH:MM:SS`` (UTC) for epoch seconds."""
    return pc.strftime(pa.array(ts, type=pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S")


def _format_money(cents: IntArray) -> pa.Array:
    """Decimal text with two decimals (``12.50``) for non-negative cents."""
    whole = pa.array(cents // 100, type=pa.int64()).cast(pa.string())
    fraction = pc.utf8_lpad(pa.array(cents % 100, type=pa.int64()).cast(pa.string()), 2, "0")
    return pc.binary_join_element_wise(whole, fraction, ".")

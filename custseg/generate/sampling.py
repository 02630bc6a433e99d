"""The calendar of the generated span and the random-sampling helpers built on it: seasonal
and growth-weighted days, times of day, uniform integers, stochastic rounding, blanked-out
codes, normalised weights, and the per-(stream, chunk) random generators.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from custseg.generate.archetypes import _archetype_tilt
from custseg.generate.constants import (
    HOUR_WEIGHTS,
    SECONDS_PER_DAY,
    FloatArray,
    IntArray,
)


@dataclass(frozen=True)
class Calendar:
    """The generated date span and the day weights used for sampling."""

    start_ts: int  # epoch seconds of the first day, 00:00:00 UTC
    n_days: int
    season_cum: FloatArray  # cumulative seasonal purchase weights (leading 0)
    growth_cum: FloatArray  # cumulative registration weights (leading 0)
    archetype_tilt: FloatArray  # archetype weights correcting for feasibility

    @property
    def last_day(self) -> int:
        """Index of the last day of the span."""
        return self.n_days - 1

    @property
    def end_ts(self) -> int:
        """Epoch seconds of the last second of the span (23:59:59 UTC of the end date)."""
        return self.start_ts + self.n_days * SECONDS_PER_DAY - 1


def _season_weights(days: npt.NDArray[np.datetime64]) -> FloatArray:
    """Relative purchase volume per day: Nov/Dec peaks, a mid-year sale, busier weekends."""
    months = days.astype("datetime64[M]")
    month = months.astype(np.int64) % 12 + 1
    dom = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    weekday = (days.astype(np.int64) + 3) % 7  # 0 = Monday
    weights = np.ones(len(days))
    weights[month == 1] = 0.8
    weights[month == 2] = 0.85
    weights[month == 11] = 1.35
    weights[(month == 11) & (dom >= 20)] = 2.4  # Black Friday / Cyber week
    weights[(month == 12) & (dom <= 22)] = 1.9
    weights[(month == 12) & (dom > 22)] = 1.1
    weights[((month == 6) & (dom >= 24)) | ((month == 7) & (dom <= 7))] = 1.9  # mid-year sale
    weights *= np.where(weekday >= 5, 1.1, 1.0)
    return weights


def build_calendar(start: dt.date, end: dt.date) -> Calendar:
    """Calendar for the inclusive date span ``start`` .. ``end``."""
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    n_days = len(days)
    growth = 1.0 + 1.5 * np.arange(n_days) / max(n_days - 1, 1)  # 2.5x the rate at the end
    start_ts = int(days[0].astype("datetime64[s]").astype(np.int64))
    growth_cum = np.concatenate([[0.0], np.cumsum(growth)])
    return Calendar(
        start_ts=start_ts,
        n_days=n_days,
        season_cum=np.concatenate([[0.0], np.cumsum(_season_weights(days))]),
        growth_cum=growth_cum,
        archetype_tilt=_archetype_tilt(growth_cum),
    )


def _sample_days(rng: np.random.Generator, cum: FloatArray, lo: IntArray, hi: IntArray) -> IntArray:
    """One day per row in ``lo .. hi`` (inclusive), weighted by the cumulative weights ``cum``."""
    target = cum[lo] + rng.random(len(lo)) * (cum[hi + 1] - cum[lo])
    day = np.searchsorted(cum, target, side="right") - 1
    return np.clip(day, lo, hi).astype(np.int64)


_HOUR_P = np.array(HOUR_WEIGHTS) / np.sum(HOUR_WEIGHTS)


def _sample_time_of_day(rng: np.random.Generator, n: int) -> IntArray:
    """Seconds after midnight, busier in the day and evening."""
    hours = rng.choice(24, size=n, p=_HOUR_P)
    return (hours * 3600 + rng.integers(0, 3600, size=n)).astype(np.int64)


def _uniform_int(rng: np.random.Generator, lo: IntArray, hi: IntArray) -> IntArray:
    """Uniform integers (days or epoch seconds) in ``lo .. hi`` (inclusive), row by row."""
    span = np.maximum(hi - lo, 0)
    return lo + np.floor(rng.random(len(lo)) * (span + 1)).astype(np.int64)


def _day_start(cal: Calendar, day: IntArray) -> IntArray:
    """Epoch seconds of 00:00:00 of each day index."""
    return cal.start_ts + day * SECONDS_PER_DAY


def _stochastic_round(rng: np.random.Generator, x: FloatArray) -> IntArray:
    """Round down or up at random so the mean is kept (monotone in ``x`` for fixed draws)."""
    return np.floor(x + rng.random(len(x))).astype(np.int64)


def _with_missing(rng: np.random.Generator, codes: IntArray, share: float) -> IntArray:
    """Blank out (-1) about ``share`` of the codes."""
    return np.where(rng.random(len(codes)) < share, -1, codes).astype(np.int64)


def _normalised(weights: Sequence[float]) -> FloatArray:
    """Weights scaled to probabilities."""
    array = np.asarray(weights, dtype=np.float64)
    return array / array.sum()


def _rng(seed: int, stream: int, chunk: int = 0) -> np.random.Generator:
    """Random generator for one stream of one chunk."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, chunk)))

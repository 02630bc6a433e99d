"""Reading files: the raw tables as text (docs/RULES.md section 1) and the seeds."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from custseg.contract import COLUMNS, TABLES


def load_raw(raw_dir: Path, fmt: str = "csv") -> dict[str, pd.DataFrame]:
    """The three raw tables with every column as text; empty text is a missing value (None).

    Values are not trimmed here; validate() trims.
    """
    raw: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        path = Path(raw_dir) / f"{table}.{fmt}"
        if fmt == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
        elif fmt == "parquet":
            frame = pd.read_parquet(path).astype(object)
        else:
            raise ValueError(f"unknown format {fmt!r}")
        for column in COLUMNS[table]:
            if column not in frame.columns:
                frame[column] = None
        frame = frame[list(COLUMNS[table])].astype(object)
        raw[table] = frame.map(_text_or_none).reset_index(drop=True)
    return raw


def _text_or_none(value: Any) -> str | None:
    """Text as is; empty text and missing values -> None."""
    return value if isinstance(value, str) and value != "" else None


def load_fx_rates(seeds_dir: Path) -> pd.DataFrame:
    """Seed fx_rates with rate_date as Timestamp and rate_to_reporting as Decimal."""
    fx = pd.read_csv(Path(seeds_dir) / "fx_rates.csv", dtype=str, keep_default_na=False)
    fx["currency"] = fx["currency"].str.strip().str.upper()
    fx["rate_date"] = pd.to_datetime(fx["rate_date"].str.strip())
    fx["rate_to_reporting"] = fx["rate_to_reporting"].str.strip().map(Decimal)
    return fx


def _read_seed(seeds_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(Path(seeds_dir) / f"{name}.csv", dtype=str, keep_default_na=False)

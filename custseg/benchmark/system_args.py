"""The command line shared by the timed processes of the Python systems (pandas, polars,
lifetimes): where the data and seeds are, the dates, where the output goes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def _leg_arguments(prog: str, argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seeds-dir", type=Path, required=True)
    parser.add_argument("--run-date", required=True)
    parser.add_argument("--as-of-date", required=True)
    parser.add_argument("--out", type=Path, required=True)
    return parser.parse_args(argv)

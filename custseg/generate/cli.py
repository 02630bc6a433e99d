"""Command line of the generator: options, validation errors as usage errors, logging setup.

Usage::

    python -m custseg.generate --out data/demo
    python -m custseg.generate --transactions 1000000 --format parquet --quiet
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from custseg.generate.run import _run
from custseg.generate.settings import make_settings
from custseg.generate.writers import FORMATS


def build_parser() -> argparse.ArgumentParser:
    """Command-line options of the generator."""
    parser = argparse.ArgumentParser(
        prog="custseg generate",
        description=(
            "Write deterministic demo data (customers, transactions, interactions) "
            "following the raw-data contract of the customer-segmentation project."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--customers", type=int, default=2000, metavar="N", help="number of customers"
    )
    parser.add_argument(
        "--transactions",
        type=int,
        default=None,
        metavar="N",
        help="approximate number of transactions; overrides --customers (customers ~ N / 20). "
        "Without it, buying customers average about 10 transactions",
    )
    parser.add_argument(
        "--start", default="2023-01-01", metavar="YYYY-MM-DD", help="first day (inclusive)"
    )
    parser.add_argument(
        "--end", default="2025-12-31", metavar="YYYY-MM-DD", help="last day (inclusive)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (non-negative)")
    parser.add_argument(
        "--out", default="data/demo", metavar="DIR", help="output directory (created if missing)"
    )
    parser.add_argument(
        "--format", dest="fmt", choices=FORMATS, default="csv", help="output file format"
    )
    parser.add_argument(
        "--bad-row-share",
        type=float,
        default=0.01,
        metavar="SHARE",
        help="share of deliberately bad rows added to each table (0 disables them)",
    )
    parser.add_argument(
        "--chunk-customers",
        type=int,
        default=50_000,
        metavar="N",
        help="customers generated per chunk (bounds memory; part of the output's identity)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.quiet:
        # The summary line is logged by the library; on stdout, as the former print was.
        logging.basicConfig(format="%(message)s", level=logging.INFO, stream=sys.stdout)
    try:
        settings = make_settings(
            args.out,
            customers=args.customers,
            start=args.start,
            end=args.end,
            seed=args.seed,
            fmt=args.fmt,
            bad_row_share=args.bad_row_share,
            transactions=args.transactions,
            chunk_customers=args.chunk_customers,
            quiet=args.quiet,
        )
    except ValueError as error:
        parser.error(str(error))
    _run(settings)
    return 0

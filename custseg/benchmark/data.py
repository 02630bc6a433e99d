"""The data set: generated Parquet files under /tmp/bench/<N> (untimed) and their row counts."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

from custseg.benchmark.common import BENCH_ROOT, PROJECT_ROOT

logger = logging.getLogger(__name__)


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def ensure_data(transactions: int) -> Path:
    """/tmp/bench/<N>: generated (Parquet) unless the three files are already there."""
    target = BENCH_ROOT / str(transactions)
    if all(
        (target / f"{t}.parquet").exists() for t in ("customers", "transactions", "interactions")
    ):
        return target
    partial = BENCH_ROOT / f"{transactions}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    logger.info("generating %s transactions into %s (untimed)", f"{transactions:,}", target)
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "custseg.generate",
            "--transactions",
            str(transactions),
            "--format",
            "parquet",
            "--out",
            str(partial),
            "--quiet",
        ],
        cwd=PROJECT_ROOT,
        check=True,
    )
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    logger.info("generated in %.0f s", time.perf_counter() - start)
    return target

"""The dbt systems' machinery: the dbt command line and environment, untimed dbt commands,
the DuckDB files, and the incremental scenario (a timed ``dbt build`` after a 1% increment)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from custseg.benchmark.common import CATALOG, BenchmarkError
from custseg.benchmark.measurement import measure
from custseg.benchmark.outputs import read_dbt_output

logger = logging.getLogger(__name__)


def _dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def _remove_db(path: Path) -> None:
    for suffix in ("", ".wal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class DbtRunner:
    """The dbt side of one benchmark invocation (the base of Bench)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.project_dir: Path = args.project_dir.resolve()
        self.data_dir: Path = args.data_dir.resolve()
        self.work: Path = args.work_dir.resolve()
        self.target = self.work / "target"
        self.incremental_reference: Any = None

    # -- dbt -----------------------------------------------------------------

    def dbt_vars(self, data_dir: Path | None = None) -> str:
        return json.dumps(
            {
                "raw_path": str(data_dir or self.data_dir),
                "raw_format": "parquet",
                "as_of_date": self.args.as_of_date,
            }
        )

    def dbt_env(self, db_path: Path) -> dict[str, str]:
        return {
            **os.environ,
            "DBT_PROFILES_DIR": str(self.project_dir / "profiles"),
            "DBT_DUCKDB_PATH": str(db_path),
            "DBT_LOG_PATH": str(self.work / "dbt-logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    def dbt_command(self, verb: str, data_dir: Path | None = None) -> list[str]:
        return [
            _dbt_executable(),
            verb,
            "--vars",
            self.dbt_vars(data_dir),
            "--target-path",
            str(self.target),
        ]

    def dbt_untimed(self, verb: str, db_path: Path, data_dir: Path | None = None) -> None:
        log = self.work / "logs" / f"untimed-{verb}.log"
        completed = subprocess.run(
            self.dbt_command(verb, data_dir),
            env=self.dbt_env(db_path),
            cwd=self.project_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        log.write_text(completed.stdout + completed.stderr)
        if completed.returncode != 0:
            raise BenchmarkError(f"dbt {verb} failed:\n{completed.stdout[-4000:]}")

    def db(self, system: str) -> Path:
        """The DuckDB file of a system. The dbt systems share one path: dbt's partial-parse
        cache is invalidated when the profile (DBT_DUCKDB_PATH) changes. The floor and the
        expert leg have their own."""
        own = system in ("floor", "expert")
        return self.work / (system if own else "dbt") / f"{CATALOG}.duckdb"

    # -- the incremental scenario ------------------------------------------------

    def incremental_dir(self) -> Path:
        """A data directory holding the benchmark's files (hard links: same file times) and,
        while a timed incremental run goes, the increment (custseg.increment, 1%)."""
        from custseg.increment import write_increment

        data = self.work / "incremental-data"
        increment = self.work / "increment" / "transactions__increment.parquet"
        if increment.exists():
            return data
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        for source in sorted(self.data_dir.glob("*.parquet")):
            try:
                os.link(source, data / source.name)
            except OSError:
                shutil.copy2(source, data / source.name)
        written = write_increment(data, share=0.01, seed=1)
        increment.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(written, increment)
        # the reference: a full build with the increment present
        shutil.copy2(increment, data / increment.name)
        db = self.work / "incremental-reference" / f"{CATALOG}.duckdb"
        db.parent.mkdir(exist_ok=True)
        _remove_db(db)
        logger.info(
            "dbt build (untimed) with the increment: the incremental run's reference output"
        )
        self.dbt_untimed("build", db, data)
        self.incremental_reference = read_dbt_output(db)
        (data / increment.name).unlink()
        return data

    def run_incremental(self, log: Path) -> tuple[dict[str, Any], Path]:
        """Untimed: a full build without the increment. Timed: `dbt build` after it arrives."""
        data = self.incremental_dir()
        increment = self.work / "increment" / "transactions__increment.parquet"
        (data / increment.name).unlink(missing_ok=True)
        db = self.db("dbt_incremental")
        _remove_db(db)
        self.dbt_untimed("build", db, data)
        shutil.copy2(increment, data / increment.name)  # keeps its later file time
        try:
            measured = measure(
                self.dbt_command("build", data),
                env=self.dbt_env(db),
                cwd=self.project_dir,
                log=log,
            )
        finally:
            (data / increment.name).unlink(missing_ok=True)
        return measured, db

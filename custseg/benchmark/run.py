"""The run: one benchmark invocation's state, its preparation (untimed ``dbt compile``), one
timed run of any system, and the check of its output against the project's."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shutil
from collections.abc import Sequence
from typing import Any

from custseg.benchmark.common import CORE_COLUMNS, DBT_SYSTEMS, LIFETIMES_COLUMNS
from custseg.benchmark.dbt_systems import DbtRunner, _remove_db
from custseg.benchmark.measurement import _self_command, measure
from custseg.benchmark.outputs import compare, read_dbt_output

logger = logging.getLogger(__name__)


class Bench(DbtRunner):
    """State of one benchmark invocation."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        self.seeds_dir = self.project_dir / "seeds"
        self.run_date = dt.datetime.now(dt.UTC).date().isoformat()
        self.reference: Any = None
        self.results: dict[str, list[dict[str, Any]]] = {}
        self.node_timings: dict[str, list[list[dict[str, Any]]]] = {}
        self.checks: dict[str, str] = {}

    # -- steps -----------------------------------------------------------------

    def prepare(self, systems: Sequence[str]) -> None:
        for sub in ("logs", "outputs", "dbt", "floor"):
            (self.work / sub).mkdir(parents=True, exist_ok=True)
        # dbt compile parses the project (so every timed dbt command reuses the partial-parse
        # cache, as a user's repeated builds do) and gives the floor its compiled SQL. It runs
        # on a fresh database, so the incremental model compiles to its full-refresh SQL.
        db = self.db("dbt_build")
        _remove_db(db)
        logger.info(
            "dbt compile (untimed: parse cache and the floor's SQL) in %s", self.project_dir
        )
        self.dbt_untimed("compile", db)
        shutil.copy(self.target / "manifest.json", self.work / "floor-manifest.json")
        _remove_db(db)

    def run_system(self, system: str, repeat: int) -> dict[str, Any]:
        log = self.work / "logs" / f"{system}-{repeat}.log"
        if system in DBT_SYSTEMS:
            db = self.db(system)
            if system == "dbt_incremental":
                measured, db = self.run_incremental(log)
            else:
                if system == "dbt_rebuild" and not db.exists():
                    self.dbt_untimed("build", db)
                if system != "dbt_rebuild":
                    _remove_db(db)
                if system == "dbt_run":
                    self.dbt_untimed("seed", db)
                verb = "run" if system == "dbt_run" else "build"
                measured = measure(
                    self.dbt_command(verb), env=self.dbt_env(db), cwd=self.project_dir, log=log
                )
            run_results = json.loads((self.target / "run_results.json").read_text())
            self.node_timings.setdefault(system, []).append(
                [
                    {
                        "unique_id": r["unique_id"],
                        "status": r["status"],
                        "seconds": r["execution_time"],
                    }
                    for r in run_results["results"]
                ]
            )
            output = read_dbt_output(db)
        elif system == "floor":
            db = self.db("floor")
            _remove_db(db)
            timings = self.work / "floor" / f"timings-{repeat}.json"
            command = _self_command(
                "_floor",
                "--manifest",
                str(self.work / "floor-manifest.json"),
                "--db",
                str(db),
                "--project-dir",
                str(self.project_dir),
                "--timings",
                str(timings),
            )
            measured = measure(command, env=dict(os.environ), cwd=self.project_dir, log=log)
            self.node_timings.setdefault(system, []).append(json.loads(timings.read_text()))
            output = read_dbt_output(db)
        else:
            import pandas as pd

            out = self.work / "outputs" / f"{system}-{repeat}.parquet"
            out.unlink(missing_ok=True)
            command = _self_command(
                f"_{system}",
                "--data-dir",
                str(self.data_dir),
                "--seeds-dir",
                str(self.seeds_dir),
                "--run-date",
                self.run_date,
                "--as-of-date",
                self.args.as_of_date,
                "--out",
                str(out),
            )
            measured = measure(command, env=dict(os.environ), cwd=self.project_dir, log=log)
            output = pd.read_parquet(out)
        self.check(system, output)
        return measured

    def check(self, system: str, output: Any) -> None:
        if system == "dbt_incremental":
            compare(self.incremental_reference, output, system, CORE_COLUMNS)
            self.checks[system] = "equal to a full build with the increment"
            return
        if self.reference is None:
            if system not in (*DBT_SYSTEMS, "floor"):
                db = self.db("dbt_build")
                logger.info("dbt build (untimed) for the reference output")
                _remove_db(db)
                self.dbt_untimed("build", db)
                self.reference = read_dbt_output(db)
            else:
                self.reference = output
                self.checks[system] = "reference (the project's output)"
                return
        if self.checks.get(system, "").startswith("reference"):
            compare(self.reference, output, system, CORE_COLUMNS)
            self.checks[system] = "reference (the project's output); repeats identical"
            return
        if system == "lifetimes":
            buyers = self.reference[self.reference["purchase_days"] > 0]
            compare(buyers, output, system, ["customer_id", *LIFETIMES_COLUMNS.values()])
            self.checks[system] = "equal (BTYD columns, buyers)"
        else:
            compare(self.reference, output, system, CORE_COLUMNS)
            self.checks[system] = "equal"

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
from pathlib import Path
from typing import Any

from custseg.benchmark.common import CORE_COLUMNS, DBT_SYSTEMS, LIFETIMES_COLUMNS
from custseg.benchmark.dbt_systems import DbtRunner, _remove_db
from custseg.benchmark.expert_system import EXPERT_SCOPE, compare_full, read_expert_output
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
        self.dbt_db_has_benchmark_data = False  # the dbt systems' file holds a build of data_dir
        self.results: dict[str, list[dict[str, Any]]] = {}
        self.node_timings: dict[str, list[list[dict[str, Any]]]] = {}
        self.checks: dict[str, str] = {}

    # -- steps -----------------------------------------------------------------

    def prepare(self, systems: Sequence[str]) -> None:
        for sub in ("logs", "outputs", "dbt", "floor", "expert"):
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
            self.dbt_db_has_benchmark_data = system != "dbt_incremental"
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
        elif system == "expert":
            db = self.db("expert")
            _remove_db(db)
            command = _self_command(
                "_expert",
                "--data-dir",
                str(self.data_dir),
                "--seeds-dir",
                str(self.seeds_dir),
                "--run-date",
                self.run_date,
                "--as-of-date",
                self.args.as_of_date,
                "--db",
                str(db),
            )
            measured = measure(command, env=dict(os.environ), cwd=self.project_dir, log=log)
            output = read_expert_output(db)
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

    def full_reference_db(self) -> Path:
        """A DuckDB file with every mart the project builds from data_dir: the floor's or the
        dbt systems' from this invocation, else an untimed dbt build."""
        if "floor" in self.node_timings and self.db("floor").exists():
            return self.db("floor")
        db = self.db("dbt_build")
        if not (self.dbt_db_has_benchmark_data and db.exists()):
            logger.info("dbt build (untimed) for the expert leg's full comparison")
            _remove_db(db)
            self.dbt_untimed("build", db)
            self.dbt_db_has_benchmark_data = True
        return db

    def scope_nodes(self) -> set[str]:
        """EXPERT_SCOPE and every node upstream of it, from the floor's manifest."""
        path = self.work / "floor-manifest.json"
        if not path.exists():
            return set()
        nodes = json.loads(path.read_text())["nodes"]
        scope: set[str] = set()
        pending = [uid for uid in EXPERT_SCOPE if uid in nodes]
        while pending:
            uid = pending.pop()
            if uid in scope or uid not in nodes:
                continue
            scope.add(uid)
            pending.extend(nodes[uid]["depends_on"].get("nodes", []))
        return scope

    def scope_node_count(self) -> int:
        return len(self.scope_nodes())

    def scope_seconds(self) -> list[float]:
        """Per floor repeat: the seconds of the seeds and models the expert leg reproduces
        (EXPERT_SCOPE and everything upstream of it), the like-for-like engine time."""
        scope = self.scope_nodes()
        return [
            sum(t["seconds"] for t in timings if t["unique_id"] in scope)
            for timings in self.node_timings.get("floor", [])
        ]

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
                self.dbt_db_has_benchmark_data = True
            else:
                self.reference = output
                self.checks[system] = "reference (the project's output)"
                return
        if self.checks.get(system, "").startswith("reference"):
            compare(self.reference, output, system, CORE_COLUMNS)
            self.checks[system] = "reference (the project's output); repeats identical"
            return
        if system == "expert":
            compare(self.reference, output, system, CORE_COLUMNS)
            counts = compare_full(self.db("expert"), self.full_reference_db())
            self.checks[system] = (
                f"equal; also every column of customer_features ({counts['customer_features']:,}"
                f" rows) and the quarantine ({counts['quarantine']:,} rows), EXCEPT ALL"
            )
        elif system == "lifetimes":
            buyers = self.reference[self.reference["purchase_days"] > 0]
            compare(buyers, output, system, ["customer_id", *LIFETIMES_COLUMNS.values()])
            self.checks[system] = "equal (BTYD columns, buyers)"
        else:
            compare(self.reference, output, system, CORE_COLUMNS)
            self.checks[system] = "equal"

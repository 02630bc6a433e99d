"""The command line: flags, the choice of systems, the repeats loop, and writing results.json
and results.md. ``main`` also dispatches the internal timed processes (``_measure``,
``_floor``, ``_pandas``, ``_polars``, ``_lifetimes``)."""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from custseg.benchmark.common import (
    ALL_SYSTEMS,
    DBT_SYSTEMS,
    DEFAULT_AS_OF,
    OPTIONAL_MODULES,
    PROJECT_ROOT,
    BenchmarkError,
)
from custseg.benchmark.data import _parquet_rows, ensure_data
from custseg.benchmark.expert_system import _expert_main
from custseg.benchmark.floor import _floor_main
from custseg.benchmark.lifetimes_system import _lifetimes_main
from custseg.benchmark.logs import setup_logging
from custseg.benchmark.machine import _importable, machine_info
from custseg.benchmark.measurement import _measure_main
from custseg.benchmark.pandas_system import _pandas_main
from custseg.benchmark.polars_system import _polars_main
from custseg.benchmark.project import export_project, project_info
from custseg.benchmark.report import render_markdown, summarise, targets, top_nodes
from custseg.benchmark.run import Bench

logger = logging.getLogger(__name__)


def parse_systems(text: str) -> list[str]:
    systems: list[str] = []
    for name in (part.strip() for part in text.split(",") if part.strip()):
        expanded = (
            list(DBT_SYSTEMS) if name == "dbt" else list(ALL_SYSTEMS) if name == "all" else [name]
        )
        for system in expanded:
            if system not in ALL_SYSTEMS:
                raise SystemExit(f"unknown system {system!r}; choose from {', '.join(ALL_SYSTEMS)}")
            if system not in systems:
                systems.append(system)
    return [s for s in ALL_SYSTEMS if s in systems]  # a fixed order within each repeat


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="custseg benchmark",
        description=(
            "Benchmark the dbt project against its engine floor (compiled SQL in DuckDB), "
            "an expert's hand-written DuckDB script, pandas, polars and lifetimes on the same "
            "Parquet files; every output is checked against the project's."
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--transactions",
        type=int,
        metavar="N",
        help="data size; generates Parquet data into /tmp/bench/N unless it is there",
    )
    source.add_argument(
        "--data-dir",
        type=Path,
        help="existing directory of customers/transactions/interactions.parquet",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per system (median; default 3)"
    )
    parser.add_argument(
        "--systems",
        default="all",
        help=f"comma-separated: {', '.join(ALL_SYSTEMS)}, or dbt (= the three dbt ones), all",
    )
    parser.add_argument("--out", type=Path, help="JSON results (default <work-dir>/results.json)")
    parser.add_argument(
        "--markdown", type=Path, help="markdown table (default <work-dir>/results.md)"
    )
    parser.add_argument(
        "--work-dir", type=Path, help="scratch: databases, logs, outputs (default <data-dir>-work)"
    )
    parser.add_argument("--as-of-date", default=DEFAULT_AS_OF, help=f"default {DEFAULT_AS_OF}")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=PROJECT_ROOT,
        help="the dbt project (default: this repo)",
    )
    parser.add_argument(
        "--project-rev",
        metavar="REV",
        help="benchmark this git revision of the project (exported with git archive into "
        "<work-dir>/project) instead of the working tree",
    )
    parser.add_argument(
        "--lifetimes-max-rows",
        type=int,
        default=12_000_000,
        help="skip lifetimes above this many transaction rows (default 12M: the 10M data set)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    internal = {
        "_measure": _measure_main,
        "_floor": _floor_main,
        "_expert": _expert_main,
        "_pandas": _pandas_main,
        "_polars": _polars_main,
        "_lifetimes": _lifetimes_main,
    }
    if argv and argv[0] in internal:
        return internal[argv[0]](argv[1:])

    setup_logging()
    args = build_parser().parse_args(argv)
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")
    if args.transactions is not None:
        args.data_dir = ensure_data(args.transactions)
    args.data_dir = args.data_dir.resolve()
    args.work_dir = args.work_dir or args.data_dir.with_name(args.data_dir.name + "-work")
    out = args.out or args.work_dir / "results.json"
    markdown = args.markdown or args.work_dir / "results.md"

    rows = {
        t: _parquet_rows(args.data_dir / f"{t}.parquet")
        for t in ("customers", "transactions", "interactions")
    }
    systems = parse_systems(args.systems)
    skipped: dict[str, str] = {}
    for system in list(systems):
        module = OPTIONAL_MODULES.get(system)
        if module:
            ok, error = _importable(module)
            if not ok:
                skipped[system] = f"`import {module}` fails here: {error}"
                systems.remove(system)
        if (
            system == "lifetimes"
            and system in systems
            and rows["transactions"] > args.lifetimes_max_rows
        ):
            skipped[system] = f"more than {args.lifetimes_max_rows:,} transaction rows"
            systems.remove(system)
    for system, note in skipped.items():
        logger.info("skipping %s: %s", system, note)

    if args.project_rev:
        project = export_project(args.project_dir, args.project_rev, args.work_dir / "project")
        args.project_dir = Path(project["dir"])
    else:
        project = project_info(args.project_dir.resolve())

    machine = machine_info()
    cores = machine["usable_cores"] or machine["logical_cores"] or 1
    bench = Bench(args)
    report: dict[str, Any] = {
        "issue": "performance benchmark (dbt vs engine floor, pandas, polars, lifetimes)",
        "machine": machine,
        "data": {
            "dir": str(args.data_dir),
            "transactions_rows": rows["transactions"],
            "customers_rows": rows["customers"],
            "interactions_rows": rows["interactions"],
        },
        "project": project,
        "as_of_date": args.as_of_date,
        "run_date": bench.run_date,
        "repeats": args.repeats,
        "systems": {},
        "skipped": skipped,
        "checks": bench.checks,
    }
    failures: dict[str, str] = {}
    try:
        bench.prepare(systems)
        for repeat in range(args.repeats):
            for system in systems:
                if system in failures:
                    continue
                logger.info("repeat %d/%d: %s", repeat + 1, args.repeats, system)
                try:
                    measured = bench.run_system(system, repeat)
                except BenchmarkError as error:
                    # recorded, reported and the exit code is 1; the other systems go on
                    failures[system] = str(error)
                    bench.checks[system] = "FAILED"
                    logger.error("FAILED: %s: %s", system, error)
                    continue
                bench.results.setdefault(system, []).append(measured)
                logger.info(
                    "  %s: %.1f s, peak RSS %.0f MiB, output %s",
                    system,
                    measured["wall_s"],
                    measured["peak_rss_mib"],
                    bench.checks[system],
                )
    except BenchmarkError as error:
        failures["prepare"] = str(error)
        logger.error("FAILED: %s", error)
    failure = "\n\n".join(f"{name}: {text}" for name, text in failures.items()) or None
    report["systems"] = {
        system: summarise(runs, rows["transactions"], cores)
        for system, runs in bench.results.items()
        if system not in failures
    }
    scope = bench.scope_seconds() if "floor" in report["systems"] else []
    report["floor_scope"] = {
        "nodes": bench.scope_node_count(),
        "seconds": scope,
        "seconds_median": statistics.median(scope) if scope else None,
    }
    report["targets"] = targets(report["systems"], report["floor_scope"]["seconds_median"])
    for system in ("dbt_build", "dbt_run", "floor"):
        if system in bench.node_timings and system in report["systems"]:
            top, by_type, counts = top_nodes(bench.node_timings[system], report["systems"][system])
            report[f"{system}_nodes"] = {"top": top, "by_type": by_type, "count_by_type": counts}
    report["failure"] = failure
    report["failures"] = failures
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(render_markdown(report))
    logger.info("wrote %s and %s", out, markdown)
    print(render_markdown(report))
    if failure:
        print(f"BENCHMARK FAILED: {failure}", file=sys.stderr)
        return 1
    return 0

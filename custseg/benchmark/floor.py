"""System (b), the engine floor: the compiled SQL of every model executed in one DuckDB
connection, no dbt (the timed process ``_floor``). A dbt Python model (the BTYD fit) runs its
compiled module in-process the way dbt-duckdb does: ``model(dbt, con)``, the frame written as a
table."""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from custseg.benchmark.common import BenchmarkError


def duckdb_config() -> dict[str, Any]:
    """The settings of profiles/profiles.yml (dev target), so the floor runs like dbt-duckdb."""
    return {
        "threads": int(os.environ.get("DBT_DUCKDB_THREADS", "2")),
        "memory_limit": os.environ.get("DBT_DUCKDB_MEMORY_LIMIT", "8GB"),
        "preserve_insertion_order": False,
        "storage_compatibility_version": "v1.4.0",
    }


def floor_plan(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The project's seeds and models in dependency order, as dbt would build them."""
    from graphlib import TopologicalSorter

    project = manifest["metadata"]["project_name"]
    nodes = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed") and node["package_name"] == project
    }
    graph = {
        uid: [dep for dep in node["depends_on"].get("nodes", []) if dep in nodes]
        for uid, node in nodes.items()
    }
    plan = []
    for uid in TopologicalSorter(graph).static_order():
        node = nodes[uid]
        materialized = node["config"]["materialized"]
        if node["resource_type"] == "model" and not node.get("compiled_code"):
            raise BenchmarkError(f"{uid} has no compiled_code: run `dbt compile` first")
        plan.append(
            {
                "unique_id": uid,
                "resource_type": node["resource_type"],
                # incremental is built as a table (a fresh database has nothing to merge into)
                "materialized": "table" if materialized == "incremental" else materialized,
                "database": node["database"],
                "schema": node["schema"],
                "relation": node["relation_name"],
                "sql": node.get("compiled_code"),
                "language": node.get("language") or "sql",
                "seed_path": node["original_file_path"]
                if node["resource_type"] == "seed"
                else None,
                "column_types": node["config"].get("column_types") or {},
            }
        )
    return plan


def _run_python_model(con: Any, step: dict[str, Any]) -> None:
    """A dbt Python model's compiled module: model(dbt, con), its frame as the table."""
    import importlib.util
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(step["sql"].lstrip())
    try:
        spec = importlib.util.spec_from_file_location("floor_python_model", handle.name)
        if spec is None or spec.loader is None:
            raise BenchmarkError(f"{step['unique_id']}: cannot load its compiled Python")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        frame = module.model(module.dbtObj(con.table), con)
    finally:
        os.unlink(handle.name)
    con.register("__floor_python_model", frame)
    con.execute(f"create or replace table {step['relation']} as select * from __floor_python_model")
    con.unregister("__floor_python_model")


def _floor_main(argv: Sequence[str]) -> int:
    """Timed process (b): execute the plan from manifest.json in one DuckDB connection."""
    import duckdb

    parser = argparse.ArgumentParser(prog="benchmark _floor")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--project-dir", type=Path, required=True)
    parser.add_argument("--timings", type=Path)
    args = parser.parse_args(argv)
    plan = floor_plan(json.loads(args.manifest.read_text()))
    con = duckdb.connect(str(args.db), config=duckdb_config())
    con.execute("set TimeZone = 'UTC'")  # needs the icu extension: after connecting
    timings = []
    schemas: set[tuple[str, str]] = set()
    for step in plan:
        start = time.perf_counter()
        if (step["database"], step["schema"]) not in schemas:
            con.execute(f'create schema if not exists "{step["database"]}"."{step["schema"]}"')
            schemas.add((step["database"], step["schema"]))
        if step["resource_type"] == "seed":
            path = str(args.project_dir / step["seed_path"]).replace("'", "''")
            reader = f"read_csv('{path}', header = true, all_varchar = true)"
            names = [d[0] for d in con.execute(f"select * from {reader} limit 0").description]
            columns = ", ".join(
                f"cast(nullif(trim(\"{name}\"), '') as {step['column_types'].get(name, 'varchar')})"
                f' as "{name}"'
                for name in names
            )
            con.execute(
                f"create or replace table {step['relation']} as select {columns} from {reader}"
            )
        elif step.get("language") == "python":
            _run_python_model(con, step)
        elif step["materialized"] == "view":
            con.execute(f"create or replace view {step['relation']} as (\n{step['sql']}\n)")
        elif step["materialized"] == "table":
            con.execute(f"create or replace table {step['relation']} as (\n{step['sql']}\n)")
        elif step["materialized"] != "ephemeral":  # ephemeral SQL is inlined by dbt
            raise BenchmarkError(f"unsupported materialization {step['materialized']!r}")
        timings.append({"unique_id": step["unique_id"], "seconds": time.perf_counter() - start})
    con.close()
    if args.timings:
        args.timings.write_text(json.dumps(timings, indent=1))
    return 0

"""Reporting: per-system summaries of the runs, the targets (ratios to dbt build), the slowest
nodes, and the markdown report."""

from __future__ import annotations

import statistics
from typing import Any

from custseg.benchmark.common import ALL_SYSTEMS, LABELS


def summarise(runs: list[dict[str, Any]], rows: int, cores: int) -> dict[str, Any]:
    walls = [r["wall_s"] for r in runs]
    median = statistics.median(walls)
    return {
        "repeats": len(runs),
        "wall_s_median": median,
        "wall_s_min": min(walls),
        "wall_s_max": max(walls),
        "cpu_s_median": statistics.median(r["user_s"] + r["sys_s"] for r in runs),
        "peak_rss_mib_max": max(r["peak_rss_mib"] for r in runs),
        "rows_per_s_per_core": rows / median / cores,
        "runs": runs,
    }


def targets(
    summary: dict[str, dict[str, Any]], floor_scope_s: float | None = None
) -> dict[str, Any]:
    """The issues' targets: dbt build ≤ 1.5x floor, ≥ 5x faster than pandas, faster than polars;
    the incremental refresh after a 1% increment ≥ 5x faster than the full build; dbt build
    within 1.5x of the expert script and the floor's same-scope models within 1.2x of it
    (issue 19; ``floor_scope_s`` = the floor's median seconds for the expert's scope)."""

    def ratio(system: str) -> float | None:
        if system in summary and "dbt_build" in summary:
            return summary[system]["wall_s_median"] / summary["dbt_build"]["wall_s_median"]
        return None

    out: dict[str, Any] = {}
    for key, system, goal, met in (
        (
            "floor_over_dbt",
            "floor",
            "≥ 0.667 (dbt build within 1.5x of floor)",
            lambda r: r >= 2 / 3,
        ),
        ("pandas_over_dbt", "pandas", "≥ 5 (dbt ≥ 5x faster than pandas)", lambda r: r >= 5),
        ("polars_over_dbt", "polars", "> 1 (dbt faster than polars)", lambda r: r > 1),
        (
            "incremental_over_dbt",
            "dbt_incremental",
            "≤ 0.2 (incremental ≥ 5x faster than the full build)",
            lambda r: r <= 0.2,
        ),
        (
            "expert_over_dbt",
            "expert",
            "≥ 0.667 (dbt build within 1.5x of the expert script; the script does part of "
            "the work, see (f))",
            lambda r: r >= 2 / 3,
        ),
        (
            "expert_over_floor_scope",
            "expert",
            "≥ 0.833 (the floor's models of the expert's scope within 1.2x of it)",
            lambda r: r >= 5 / 6,
        ),
    ):
        value = ratio(system)
        if key == "expert_over_floor_scope":
            value = (
                summary["expert"]["wall_s_median"] / floor_scope_s
                if "expert" in summary and floor_scope_s
                else None
            )
        out[key] = {
            "ratio": value,
            "target": goal,
            "met": None if value is None else bool(met(value)),
        }
    return out


def top_nodes(timings: list[list[dict[str, Any]]], summary: dict[str, Any], n: int = 0) -> Any:
    """Node timings (the n slowest; 0 = all) of the repeat whose wall time is the median one."""
    walls = [r["wall_s"] for r in summary["runs"]]
    index = walls.index(sorted(walls)[(len(walls) - 1) // 2])
    nodes = sorted(timings[index], key=lambda r: r["seconds"], reverse=True)
    n = n or len(nodes)
    by_type: dict[str, float] = {}
    counts: dict[str, int] = {}
    for node in timings[index]:
        kind = node["unique_id"].split(".", 1)[0]
        by_type[kind] = by_type.get(kind, 0.0) + node["seconds"]
        counts[kind] = counts.get(kind, 0) + 1
    return nodes[:n], by_type, counts


def render_markdown(report: dict[str, Any]) -> str:
    data, summary = report["data"], report["systems"]
    cores = report["machine"]["usable_cores"] or report["machine"]["logical_cores"]
    lines = [
        f"### {data['transactions_rows']:,} transaction rows ({data['dir']})",
        "",
        f"customers rows {data['customers_rows']:,}, interactions rows "
        f"{data['interactions_rows']:,}; as_of_date {report['as_of_date']}; "
        f"{cores} cores; rows/s per core = transaction rows / median seconds / cores.",
        "",
        "| system | median s | min-max s | CPU s | rows/s per core | peak RSS MiB "
        "| ÷ (a) | output check |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    base = summary.get("dbt_build", {}).get("wall_s_median")
    for system in ALL_SYSTEMS:
        if system not in summary:
            continue
        s = summary[system]
        ratio = f"{s['wall_s_median'] / base:.2f}" if base else "-"
        lines.append(
            f"| {LABELS[system]} | {s['wall_s_median']:.1f} | {s['wall_s_min']:.1f}-"
            f"{s['wall_s_max']:.1f} | {s['cpu_s_median']:.1f} | {s['rows_per_s_per_core']:,.0f} "
            f"| {s['peak_rss_mib_max']:,.0f} | {ratio} | {report['checks'].get(system, '-')} |"
        )
    lines += ["", "| ratio | value | target | met |", "|---|---:|---|---|"]
    for key, t in report["targets"].items():
        value = "-" if t["ratio"] is None else f"{t['ratio']:.2f}"
        met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        lines.append(f"| {key.replace('_over_', ' / ')} | {value} | {t['target']} | {met} |")
    medians = {system: s["wall_s_median"] for system, s in summary.items()}
    derived = []
    if "dbt_build" in medians and "floor" in medians:
        derived.append(
            f"dbt build - floor = {medians['dbt_build'] - medians['floor']:.1f} s "
            "(dbt start-up, parsing, tests, per-node overhead)"
        )
    if "dbt_build" in medians and "dbt_run" in medians:
        derived.append(
            f"dbt build - dbt run = {medians['dbt_build'] - medians['dbt_run']:.1f} s "
            "(seeds, unit and data tests)"
        )
    if "dbt_run" in medians and "floor" in medians:
        derived.append(f"dbt run - floor = {medians['dbt_run'] - medians['floor']:.1f} s")
    scope = report.get("floor_scope")
    if scope and scope.get("seconds_median") is not None:
        derived.append(
            f"the floor's statements for the expert's scope (raw contract, customer_features, "
            f"RFM and their upstream models, {scope['nodes']} nodes) = "
            f"{scope['seconds_median']:.1f} s"
        )
    if derived:
        lines += ["", "Derived: " + "; ".join(derived) + "."]
    for system, note in report.get("skipped", {}).items():
        lines.append(f"\nNot measured: {LABELS[system]}: {note}")
    for system, text in (report.get("failures") or {}).items():
        first = text.strip().splitlines()[0] if text.strip() else ""
        lines.append(f"\n**FAILED: {LABELS.get(system, system)}**: {first}")
    for system, title in (
        ("dbt_build", "dbt build, slowest nodes (run_results.json, median repeat)"),
        ("floor", "engine floor, slowest statements (median repeat)"),
    ):
        nodes = report.get(f"{system}_nodes")
        if not nodes:
            continue
        lines += ["", f"{title}:", "", "| node | s |", "|---|---:|"]
        lines += [f"| {n['unique_id']} | {n['seconds']:.2f} |" for n in nodes["top"][:10]]
        per_type = ", ".join(
            f"{k} {v:.1f} s ({nodes.get('count_by_type', {}).get(k, '?')} nodes)"
            for k, v in sorted(nodes["by_type"].items())
        )
        lines += ["", f"Sum of node times by type: {per_type}."]
    return "\n".join(lines) + "\n"

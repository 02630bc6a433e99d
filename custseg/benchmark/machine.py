"""The machine and software measured on: cores, RAM, CPU model, OS, package versions, and
whether an optional system's module imports."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _importable(module: str) -> tuple[bool, str]:
    """Whether `module` imports in a fresh interpreter (and the error if not)."""
    completed = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = completed.stderr.strip().splitlines()
    return completed.returncode == 0, lines[-1] if lines else ""


def machine_info() -> dict[str, Any]:
    """Cores, RAM, CPU model, OS and the versions of everything measured."""
    info: dict[str, Any] = {
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "recorded_at_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram_gib"] = round(int(line.split()[1]) / 1024**2, 1)
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info["versions"] = {
        name: _version(name)
        for name in (
            "dbt-core",
            "dbt-duckdb",
            "duckdb",
            "pandas",
            "pyarrow",
            "numpy",
            "polars",
            "lifetimes",
        )
    }
    return info

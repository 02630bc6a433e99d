"""Measuring one process: each timed command runs under a fresh helper process (``_measure``)
that reads ``getrusage(RUSAGE_CHILDREN)`` after it, so wall time, CPU time and peak RSS are
those of the system alone."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from custseg.benchmark.common import BenchmarkError

# The directory holding the custseg package that this code belongs to.
PACKAGE_PARENT = Path(__file__).resolve().parents[2]
_ENTRY = (
    "import sys; sys.path.insert(0, {root!r}); "
    "from custseg.benchmark.cli import main; sys.exit(main())"
)


def _self_command(*args: str) -> list[str]:
    """Run this package's CLI in a fresh interpreter (works whatever the working directory:
    the package is imported from where this code is, not from the working directory)."""
    return [sys.executable, "-c", _ENTRY.format(root=str(PACKAGE_PARENT)), *args]


def _measure_main(argv: Sequence[str]) -> int:
    """Helper process: run the command after ``--``, write wall/CPU/peak RSS as JSON."""
    import resource

    parser = argparse.ArgumentParser(prog="benchmark _measure")
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    with args.log.open("w") as log:
        start = time.perf_counter()
        completed = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
        wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    args.result.write_text(
        json.dumps(
            {
                "returncode": completed.returncode,
                "wall_s": wall,
                "user_s": usage.ru_utime,
                "sys_s": usage.ru_stime,
                "peak_rss_mib": usage.ru_maxrss / 1024,  # Linux: KiB
            }
        )
    )
    return 0


def measure(command: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> dict[str, Any]:
    """Run `command` under a fresh helper process; its wall time, CPU time and peak RSS."""
    result = log.with_suffix(".measure.json")
    helper = _self_command("_measure", "--result", str(result), "--log", str(log), "--", *command)
    subprocess.run(helper, env=env, cwd=cwd, check=True)
    measured = json.loads(result.read_text())
    if measured["returncode"] != 0:
        tail = log.read_text(errors="replace")[-4000:]
        raise BenchmarkError(
            f"{' '.join(command[:4])} … failed ({measured['returncode']}):\n{tail}"
        )
    return measured

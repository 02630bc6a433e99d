"""One entry point for the project's tools: `custseg <command> [options]`.

    custseg --help                     # the commands
    custseg generate --help            # each command's own options
    custseg refresh --serving-path serving/segments.duckdb --var raw_path=/data/export
    custseg compare-marts A.duckdb B.duckdb

Each command runs the `main()` of its module, so `custseg generate ...` is the same as
`python -m custseg.generate ...`; the older names (`custseg-refresh`, `custseg-generate`,
`python -m custseg.<module>`) keep working as aliases.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

# command: (module whose main() runs it, one line of help)
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("custseg.generate.cli", "write a deterministic demo or benchmark data set"),
    "refresh": ("custseg.refresh", "build, test and atomically publish the marts (schedulers)"),
    "report": ("custseg.report", "write the segment report: one self-contained HTML file"),
    "compare-marts": ("custseg.compare_marts", "compare the marts of two DuckDB builds"),
    "compare-engines": (
        "custseg.compare_engines",
        "build on DuckDB, PostgreSQL and Spark and compare every mart",
    ),
    "benchmark": ("custseg.benchmark.cli", "time dbt build against the floor, pandas, polars"),
    "increment": ("custseg.increment", "write a day's increment beside a data set"),
    "engines": ("custseg.engines", "start a throw-away PostgreSQL, load raw files into it"),
}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: custseg <command> [options]   (custseg <command> --help)", "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        print(f"custseg: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())

"""Performance benchmark: the dbt project versus its engine floor, pandas, polars and lifetimes.

For one data set (Parquet files of the raw contract), every system runs as its own
subprocess on the same files and produces the same per-customer output: the core
``customer_features`` columns (counts, BTYD days, money), the three RFM scores
(``ceil(5·c/N)``, ties counted, docs/RULES.md §5) and ``rfm_segment`` (seed grid ``classic``).
Every output is checked against the project's own build (exact: money as integers of
1/10000) and a mismatch fails the run.

Systems (``--systems``, comma-separated; ``dbt`` = the three dbt ones):

- ``dbt_build``    (a) ``dbt build`` (seeds, models, unit and data tests) into a fresh DuckDB file
- ``dbt_rebuild``  ``dbt build`` a second time on the same file (no fresh database)
- ``dbt_run``      ``dbt run`` (models only) into a fresh file that ``dbt seed`` filled untimed
- ``floor``        (b) the compiled SQL of every model executed in one DuckDB connection, no dbt
- ``expert``       (f) the raw contract, ``customer_features`` and RFM as one hand-written DuckDB
                   script (issue 19's reference; checked on every column, see ``expert_system``)
- ``pandas``       (c) pandas (pyarrow strings), vectorised groupby
- ``polars``       (d) polars lazy scan, group_by, rank (optional dependency)
- ``lifetimes``    (e) lifetimes' ``summary_data_from_transaction_data`` for the BTYD columns

Each timed process is launched from a fresh helper process that reads
``getrusage(RUSAGE_CHILDREN)`` after it: wall time, CPU time and peak RSS of the system alone.

Usage::

    python -m custseg.benchmark --transactions 1000000 --repeats 3
    python -m custseg.benchmark --data-dir /tmp/bench/1000000 --systems dbt_build,floor,pandas

Writes JSON (``--out``) and a markdown report (``--markdown``). Not part of the unit tests
(``tests/pytest/test_benchmark_smoke.py`` runs a tiny smoke version).

Modules (one job each): ``common`` (shared definitions), ``data`` (the data set),
``machine`` (the machine and versions), ``project`` (the project state measured),
``measurement`` (timing one process), ``dbt_systems`` (dbt commands, the incremental scenario),
``floor`` (b), ``expert_system`` (f), ``pandas_system`` (c), ``polars_system`` (d),
``lifetimes_system`` (e), ``system_args`` (their shared arguments), ``outputs`` (reading and
comparing outputs), ``run`` (one invocation's runs and checks), ``report`` (summaries, targets,
markdown), ``logs`` (progress output) and ``cli`` (the command line).
"""

from custseg.benchmark.cli import build_parser, main, parse_systems
from custseg.benchmark.common import (
    ALL_SYSTEMS,
    BENCH_ROOT,
    CATALOG,
    CORE_COLUMNS,
    CUSTOMER_COLUMNS,
    DBT_EXTRACT_SQL,
    DBT_SYSTEMS,
    DECIMAL_PATTERN,
    DEFAULT_AS_OF,
    LABELS,
    LIFETIMES_COLUMNS,
    MONEY_COLUMNS,
    MONEY_SCALE,
    OPTIONAL_MODULES,
    PROJECT_ROOT,
    RATE_SCALE,
    REPORTING_CURRENCY,
    RFM_BINS,
    RFM_GRID,
    STRING_COLUMNS,
    TX_COLUMNS,
    BenchmarkError,
)
from custseg.benchmark.data import _parquet_rows, ensure_data
from custseg.benchmark.dbt_systems import DbtRunner, _dbt_executable, _remove_db
from custseg.benchmark.floor import _floor_main, duckdb_config, floor_plan
from custseg.benchmark.lifetimes_system import _lifetimes_main
from custseg.benchmark.logs import _log, setup_logging
from custseg.benchmark.machine import _importable, _version, machine_info
from custseg.benchmark.measurement import _measure_main, _self_command, measure
from custseg.benchmark.outputs import canonical, compare, read_dbt_output
from custseg.benchmark.pandas_system import _pandas_clean, _pandas_main
from custseg.benchmark.polars_system import _polars_main
from custseg.benchmark.project import _git, export_project, project_info
from custseg.benchmark.report import render_markdown, summarise, targets, top_nodes
from custseg.benchmark.run import Bench
from custseg.benchmark.system_args import _leg_arguments

__all__ = [
    "ALL_SYSTEMS",
    "BENCH_ROOT",
    "CATALOG",
    "CORE_COLUMNS",
    "CUSTOMER_COLUMNS",
    "DBT_EXTRACT_SQL",
    "DBT_SYSTEMS",
    "DECIMAL_PATTERN",
    "DEFAULT_AS_OF",
    "LABELS",
    "LIFETIMES_COLUMNS",
    "MONEY_COLUMNS",
    "MONEY_SCALE",
    "OPTIONAL_MODULES",
    "PROJECT_ROOT",
    "RATE_SCALE",
    "REPORTING_CURRENCY",
    "RFM_BINS",
    "RFM_GRID",
    "STRING_COLUMNS",
    "TX_COLUMNS",
    "Bench",
    "BenchmarkError",
    "DbtRunner",
    "_dbt_executable",
    "_floor_main",
    "_git",
    "_importable",
    "_leg_arguments",
    "_lifetimes_main",
    "_log",
    "_measure_main",
    "_pandas_clean",
    "_pandas_main",
    "_parquet_rows",
    "_polars_main",
    "_remove_db",
    "_self_command",
    "_version",
    "build_parser",
    "canonical",
    "compare",
    "duckdb_config",
    "ensure_data",
    "export_project",
    "floor_plan",
    "machine_info",
    "main",
    "measure",
    "parse_systems",
    "project_info",
    "read_dbt_output",
    "render_markdown",
    "setup_logging",
    "summarise",
    "targets",
    "top_nodes",
]

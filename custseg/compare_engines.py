"""Build the project on DuckDB, PostgreSQL and Spark from one generated data set and prove that
every public mart is the same on all three.

    python -m custseg.compare_engines                       # generate, build x3, compare
    python -m custseg.compare_engines --engines duckdb,postgres --customers 300
    python -m custseg.compare_engines --raw-path /data/export   # your own CSV files

Each engine runs one `dbt build` (seeds, models, data tests; unit tests too unless
`--skip-unit-tests`) in its own subprocess: DuckDB into a throw-away file, PostgreSQL on a
throw-away local server (`custseg.engines.PostgresServer`, raw CSVs loaded with COPY), Spark
in-process local mode (pyspark, Java 17; the CSVs registered as session views). Then every
model under `models/marts/` is read back from each engine and compared with DuckDB's, row
for row after sorting: integers, text, booleans, dates and decimals exactly; doubles within a
relative 1e-9. Not compared: `quarantined_rows.source_file` and the `quarantine_row_id` derived
from it (each engine names the raw input its own way: a file path, a URI, a table name), and of
`raw_files` everything but the table and its row counts (files on DuckDB, relations elsewhere).

PostgreSQL and Spark (session mode) run no dbt Python models, so they cannot fit the BTYD models:
they get DuckDB's fitted parameters in var `btyd_parameters`, and the comparison proves that the
scoring SQL (`customer_predictions`, `segment_summary`'s predicted CLV) gives the same numbers.
Of `btyd_model_parameters` the parameters are compared, not the fit's provenance (log-likelihood,
customers fitted, convergence, status: `from_var` there).

Exit code 0 when all marts are equal, 1 on a difference (the first differing rows are
printed), 2 when an engine cannot run here. A JSON report goes to `<work-dir>/report.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from custseg.engines import EngineUnavailable, PostgresServer, load_postgres_raw

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENGINES = ("duckdb", "postgres", "spark")
AS_OF_DATE = "2025-12-31"
# A first, models-only run writes this snapshot, so history, transitions and their summary
# have two periods to compare (and the incremental path of the history runs on each engine).
EARLIER_SNAPSHOT = "2025-11-30"
REL_TOL = 1e-9
# Columns that name the raw input in an engine-specific way (see the module docstring).
ENGINE_SPECIFIC_COLUMNS = {
    "quarantined_rows": {"source_file", "quarantine_row_id"},
    # files on DuckDB, relations elsewhere; when each was read, and its status since, are per run
    "raw_files": {
        "file_path",
        "file_size",
        "file_modified_at",
        "file_fingerprint",
        "file_status",
        "first_read_at",
        "last_read_at",
    },
    # fitted on DuckDB, given in var btyd_parameters elsewhere (see the module docstring)
    "btyd_model_parameters": {"log_likelihood", "customers_fitted", "converged", "fit_status"},
}


def _dbt(args: list[str], env: dict[str, str], log_path: Path) -> None:
    """Run dbt in a subprocess (DuckDB keeps its lock in-process); raise with the log tail."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), *args]
    started = time.monotonic()
    with log_path.open("w") as log:
        result = subprocess.run(
            command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    elapsed = time.monotonic() - started
    print(f"  {' '.join(args[:3])} ... exit {result.returncode} in {elapsed:.0f} s ({log_path})")
    if result.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{tail}")


def mart_models(target_path: Path) -> dict[str, str]:
    """{model name: schema} of every model under models/marts, from a build's manifest."""
    manifest = json.loads((target_path / "manifest.json").read_text())
    return {
        node["name"]: node["schema"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["package_name"] == "customer_segmentation"
        and node["original_file_path"].startswith("models/marts/")
    }


# --------------------------------------------------------------------------------------------
# Builds
# --------------------------------------------------------------------------------------------
def _base_env(work: Path, engine: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(PROJECT_DIR / "profiles"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_TARGET=engine if engine != "duckdb" else "ci",
        DBT_LOG_PATH=str(work / engine / "logs"),
    )
    return env


def btyd_parameters_var(parameters: Table) -> dict[str, dict[str, float]] | None:
    """DuckDB's btyd_model_parameters as var btyd_parameters ({model: {parameter: value}})."""
    columns, rows = parameters
    model, parameter, estimate = (columns.index(c) for c in ("model", "parameter", "estimate"))
    given: dict[str, dict[str, float]] = {}
    for row in rows:
        if row[estimate] is not None:
            given.setdefault(row[model], {})[row[parameter]] = float(row[estimate])
    return given or None


def smart_segment_model_var(profiles: Table) -> list[dict[str, Any]] | None:
    """DuckDB's cluster_profiles feature rows as var smart_segment_model (the k-means model)."""
    columns, rows = profiles
    names = ("cluster_number", "feature", "transform", "weight", "center", "scale", "centroid")
    kind, item = columns.index("profile_kind"), columns.index("item")
    index = {name: columns.index("item" if name == "feature" else name) for name in names}
    model = [
        {
            name: (
                int(row[index[name]])
                if name == "cluster_number"
                else row[index[name]]
                if name in ("feature", "transform")
                else float(row[index[name]])
            )
            for name in names
        }
        for row in rows
        if row[kind] == "feature" and row[item] is not None
    ]
    return sorted(model, key=lambda r: (r["cluster_number"], r["feature"])) or None


# vars given with --var, passed to every build on every engine
RUN_VARS: dict[str, Any] = {}


def _build_args(
    engine: str,
    work: Path,
    raw_path: Path,
    skip_unit_tests: bool,
    extra_vars: dict[str, Any] | None = None,
) -> list[str]:
    dbt_vars = {"raw_path": str(raw_path), "raw_format": "csv", "as_of_date": AS_OF_DATE}
    dbt_vars.update(RUN_VARS)
    dbt_vars.update(extra_vars or {})
    args = [
        "build",
        "--target-path",
        str(work / engine / "target"),
        "--vars",
        json.dumps(dbt_vars),
    ]
    if skip_unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    return args


def _build(
    engine: str,
    work: Path,
    raw_path: Path,
    skip_unit_tests: bool,
    env: dict,
    extra_vars: dict[str, Any] | None = None,
    earlier_vars: dict[str, Any] | None = None,
    after_earlier: Any = None,
) -> None:
    """Seeds and models at the earlier snapshot (no tests), then a full `dbt build`.

    `earlier_vars` are added to the earlier run (DuckDB's model fitted at that snapshot);
    `after_earlier()` runs between the two builds."""
    earlier = {"raw_path": str(raw_path), "raw_format": "csv", "as_of_date": EARLIER_SNAPSHOT}
    earlier.update(RUN_VARS)
    earlier.update(earlier_vars or {})
    _dbt(
        [
            "build",
            "--select",
            "+customer_segment_history",
            "--exclude-resource-type",
            "test",
            "--exclude-resource-type",
            "unit_test",
            "--target-path",
            str(work / engine / "target"),
            "--vars",
            json.dumps(earlier),
        ],
        env,
        work / f"{engine}-earlier.log",
    )
    if after_earlier is not None:
        after_earlier()
    _dbt(
        _build_args(engine, work, raw_path, skip_unit_tests, extra_vars),
        env,
        work / f"{engine}.log",
    )


def build_duckdb(work: Path, raw_path: Path, skip_unit_tests: bool) -> dict[str, Any]:
    env = _base_env(work, "duckdb")
    env["DBT_DUCKDB_PATH"] = str(work / "duckdb" / "custseg.duckdb")
    earlier: dict[str, Any] = {}

    def keep_earlier_model() -> None:
        earlier["smart_segment_model"] = read_duckdb_smart_segment_model(env["DBT_DUCKDB_PATH"])

    _build("duckdb", work, raw_path, skip_unit_tests, env, after_earlier=keep_earlier_model)
    return {"path": env["DBT_DUCKDB_PATH"], "earlier_vars": _without_none(earlier)}


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def read_duckdb_smart_segment_model(path: str) -> list[dict[str, Any]] | None:
    """The k-means model in DuckDB's int_smart_segment_centroids, as var smart_segment_model.

    Read after the earlier-snapshot build, so the other engines' history rows for that
    snapshot are assigned with the model DuckDB fitted then."""
    import duckdb

    names = ("cluster_number", "feature", "transform", "weight", "center", "scale", "centroid")
    with duckdb.connect(path, read_only=True) as con:
        schema = con.execute(
            "select table_schema from information_schema.tables"
            " where table_name = 'int_smart_segment_centroids'"
        ).fetchone()
        if schema is None:
            return None
        rows = con.execute(
            f'select {", ".join(names)} from "{schema[0]}".int_smart_segment_centroids'
            " where cluster_number is not null order by cluster_number, feature"
        ).fetchall()
    model = [
        {
            name: int(value)
            if name == "cluster_number"
            else value
            if name in ("feature", "transform")
            else float(value)
            for name, value in zip(names, row, strict=True)
        }
        for row in rows
    ]
    return model or None


def build_postgres(
    work: Path,
    raw_path: Path,
    skip_unit_tests: bool,
    server: PostgresServer,
    extra_vars: dict[str, Any] | None = None,
    earlier_vars: dict[str, Any] | None = None,
) -> dict[str, Any]:
    connection = server.connect()
    try:
        counts = load_postgres_raw(connection, raw_path)
    finally:
        connection.close()
    print(f"  loaded raw tables into PostgreSQL: {counts}")
    env = _base_env(work, "postgres")
    env.update(server.env)
    _build("postgres", work, raw_path, skip_unit_tests, env, extra_vars, earlier_vars)
    return {}


def spark_env(work: Path) -> dict[str, str]:
    return {
        "DBT_SPARK_WAREHOUSE": str(work / "spark" / "warehouse"),
        "DBT_SPARK_METASTORE": str(work / "spark" / "metastore_db"),
    }


def build_spark(
    work: Path,
    raw_path: Path,
    skip_unit_tests: bool,
    extra_vars: dict[str, Any] | None = None,
    earlier_vars: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise EngineUnavailable("Spark needs Java 17: apt-get install -y openjdk-17-jre-headless")
    env = _base_env(work, "spark")
    env.update(spark_env(work))
    _build("spark", work, raw_path, skip_unit_tests, env, extra_vars, earlier_vars)
    return {}


# --------------------------------------------------------------------------------------------
# Reading marts back
# --------------------------------------------------------------------------------------------
Table = tuple[list[str], list[tuple[Any, ...]]]


def read_duckdb(path: str, marts: dict[str, str]) -> dict[str, Table]:
    import duckdb

    tables: dict[str, Table] = {}
    with duckdb.connect(path, read_only=True) as con:
        for name, schema in marts.items():
            cursor = con.execute(f'select * from "{schema}"."{name}"')
            columns = [d[0].lower() for d in cursor.description]
            tables[name] = (columns, cursor.fetchall())
    return tables


def read_postgres(server: PostgresServer, marts: dict[str, str]) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    connection = server.connect()
    try:
        with connection.cursor() as cursor:
            for name, schema in marts.items():
                cursor.execute(f'select * from "{schema}"."{name}"')
                columns = [d[0].lower() for d in cursor.description]
                tables[name] = (columns, cursor.fetchall())
    finally:
        connection.close()
    return tables


def read_spark(work: Path, marts: dict[str, str]) -> dict[str, Table]:
    """Read the marts back in a child process (one Derby metastore user at a time)."""
    out = work / "spark" / "marts.json"
    code = (
        "import json, sys\n"
        "from custseg.compare_engines import _spark_dump\n"
        "_spark_dump(json.loads(sys.argv[1]), sys.argv[2])\n"
    )
    env = dict(os.environ)
    env.update(spark_env(work))
    subprocess.run(
        [sys.executable, "-c", code, json.dumps(marts), str(out)],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
    )
    raw = json.loads(out.read_text())
    return {
        name: (columns, [tuple(_from_json(v) for v in row) for row in rows])
        for name, (columns, rows) in raw.items()
    }


def _spark_dump(marts: dict[str, str], out: str) -> None:
    from pyspark.sql import SparkSession

    warehouse = os.environ["DBT_SPARK_WAREHOUSE"]
    metastore = os.environ["DBT_SPARK_METASTORE"]
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={metastore}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .enableHiveSupport()
        .getOrCreate()
    )
    try:
        dump = {}
        for name, schema in marts.items():
            frame = spark.table(f"{schema}.{name}")
            columns = [c.lower() for c in frame.columns]
            rows = [[_to_json(v) for v in row] for row in frame.collect()]
            dump[name] = (columns, rows)
        Path(out).write_text(json.dumps(dump))
    finally:
        spark.stop()


def _to_json(value: Any) -> Any:
    """Tagged JSON that keeps the type: decimals, dates and timestamps survive the trip."""
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {"timestamp": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        ((kind, text),) = value.items()
        if kind == "decimal":
            return Decimal(text)
        if kind == "timestamp":
            return dt.datetime.fromisoformat(text)
        if kind == "date":
            return dt.date.fromisoformat(text)
        return float(text)
    return value


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------
def _canonical(value: Any) -> Any:
    """One comparable representation per value, independent of the driver's types."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return value if value != value.to_integral_value() else int(value)
    if isinstance(value, float):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return _canonical(value.item())
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _values_equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, float) or isinstance(right, float):
        if isinstance(left, (str, bool)) or isinstance(right, (str, bool)):
            return False
        a, b = float(left), float(right)
        return a == b or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right or (type(left) is type(right) and left == right)
    return left == right


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Order rows the same way on every engine: numbers by value (floats to 9 significant
    digits, so rows differing by float noise still pair up), then text, nulls first."""

    def key(value: Any) -> tuple[int, Any]:
        if value is None:
            return (0, 0)
        if isinstance(value, bool):
            return (1, int(value))
        if isinstance(value, (int, float, Decimal)):
            return (2, float(f"{float(value):.9g}"))
        return (3, str(value))

    return tuple(key(value) for value in row)


def compare_table(name: str, reference: Table, other: Table) -> list[str]:
    """Differences between two builds of one mart (empty when equal)."""
    ref_columns, ref_rows = reference
    other_columns, other_rows = other
    skip = ENGINE_SPECIFIC_COLUMNS.get(name, set())
    if set(ref_columns) != set(other_columns):
        return [f"columns differ: {sorted(set(ref_columns) ^ set(other_columns))}"]
    columns = sorted(c for c in ref_columns if c not in skip)
    if len(ref_rows) != len(other_rows):
        return [f"row counts differ: {len(ref_rows)} vs {len(other_rows)}"]

    def project(table_columns: list[str], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        index = [table_columns.index(c) for c in columns]
        return sorted((tuple(_canonical(row[i]) for i in index) for row in rows), key=_sort_key)

    left, right = project(ref_columns, ref_rows), project(other_columns, other_rows)
    problems: list[str] = []
    for row_number, (a, b) in enumerate(zip(left, right, strict=True)):
        for column, x, y in zip(columns, a, b, strict=True):
            if not _values_equal(x, y):
                problems.append(f"row {row_number} column {column}: {x!r} vs {y!r}")
                if len(problems) >= 10:
                    return problems
    return problems


def compare_all(reference: dict[str, Table], other: dict[str, Table]) -> dict[str, list[str]]:
    return {name: compare_table(name, reference[name], other[name]) for name in reference}


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="custseg compare-engines",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated")
    parser.add_argument("--raw-path", type=Path, help="CSV files to use instead of generating")
    parser.add_argument("--customers", type=int, default=500, help="size of generated data")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.add_argument("--work-dir", type=Path, help="scratch (default: a new temp dir)")
    parser.add_argument("--skip-unit-tests", action="store_true", help="on every engine")
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a dbt var for every build on every engine (value read as YAML), e.g."
        " identity_resolution=email_phone",
    )
    args = parser.parse_args(argv)
    RUN_VARS.clear()
    for item in args.var:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            parser.error(f"--var: expected NAME=VALUE, got {item!r}")
        RUN_VARS[name.strip()] = yaml.safe_load(value)

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown or "duckdb" not in engines:
        parser.error(f"--engines: choose from {ENGINES}, duckdb included (the reference)")
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="custseg-engines-"))
    work.mkdir(parents=True, exist_ok=True)
    for engine in engines:
        shutil.rmtree(work / engine, ignore_errors=True)
        (work / engine).mkdir()

    raw_path = args.raw_path
    if raw_path is None:
        raw_path = work / "raw"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "custseg.generate",
                "--customers",
                str(args.customers),
                "--seed",
                str(args.seed),
                "--out",
                str(raw_path),
                "--quiet",
            ],
            check=True,
        )
    raw_path = raw_path.resolve()
    print(f"raw data: {raw_path}; scratch: {work}")

    report: dict[str, Any] = {"raw_path": str(raw_path), "engines": {}}
    server: PostgresServer | None = None
    try:
        print("duckdb:")
        started = time.monotonic()
        duck = build_duckdb(work, raw_path, args.skip_unit_tests)
        marts = mart_models(work / "duckdb" / "target")
        reference = read_duckdb(duck["path"], marts)
        report["engines"]["duckdb"] = {"seconds": round(time.monotonic() - started, 1)}
        # the other engines score with DuckDB's fit (they run no dbt Python models)
        fitted = btyd_parameters_var(reference["btyd_model_parameters"])
        extra_vars: dict[str, Any] = {"btyd_parameters": fitted} if fitted else {}
        report["btyd_parameters"] = fitted
        # and assign customers to DuckDB's k-means centroids
        clusters = smart_segment_model_var(reference["cluster_profiles"])
        if clusters:
            extra_vars["smart_segment_model"] = clusters
        results: dict[str, dict[str, list[str]]] = {}
        for engine in engines:
            if engine == "duckdb":
                continue
            print(f"{engine}:")
            started = time.monotonic()
            if engine == "postgres":
                # its own directory under the system temp dir: the server runs as `postgres`
                # when we are root, and may not traverse a private work directory
                server = PostgresServer(Path(tempfile.mkdtemp(prefix="custseg-pg-"))).start()
                build_postgres(
                    work, raw_path, args.skip_unit_tests, server, extra_vars, duck["earlier_vars"]
                )
                tables = read_postgres(server, marts)
            else:
                build_spark(work, raw_path, args.skip_unit_tests, extra_vars, duck["earlier_vars"])
                tables = read_spark(work, marts)
            results[engine] = compare_all(reference, tables)
            report["engines"][engine] = {
                "seconds": round(time.monotonic() - started, 1),
                "differences": {k: v for k, v in results[engine].items() if v},
            }
    except EngineUnavailable as error:
        print(f"engine unavailable: {error}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.stop()
            shutil.rmtree(server.base_dir, ignore_errors=True)

    failed = False
    print(f"\n{'mart':<28} {'rows':>7}  " + "  ".join(f"{e:<8}" for e in results))
    for name, (_, rows) in sorted(reference.items()):
        cells = []
        for engine in results:
            problems = results[engine][name]
            failed |= bool(problems)
            cells.append(f"{'equal' if not problems else 'DIFFERS':<8}")
        print(f"{name:<28} {len(rows):>7}  " + "  ".join(cells))
    for engine, per_mart in results.items():
        for name, problems in per_mart.items():
            for problem in problems:
                print(f"  {engine} {name}: {problem}")
    report["equal"] = not failed
    (work / "report.json").write_text(json.dumps(report, indent=2))
    verdict = "all marts equal" if not failed else "DIFFERENCES FOUND"
    print(f"\n{verdict}; report {work}/report.json")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

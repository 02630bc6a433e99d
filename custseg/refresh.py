"""Scheduler-safe refresh: build into a fresh database, test it, publish it atomically.

`custseg-refresh` (also `make refresh`) is the one command a scheduler calls:

1. takes a run lock (a second run while one is going exits at once with code 75);
2. copies the serving database (if any) to a private build file, so incremental history carries
   over, and runs `dbt build` there (plus, per missing history snapshot date, a build of the
   models that read as_of_date, then the same for the current date: `as_of_build_args`);
3. on any failed model or error-severity test publishes nothing: the serving file stays exactly
   as it was, the command prints what failed and exits 1;
4. on success appends a row to `marts.pipeline_runs`, optionally exports the public marts as
   Parquet and writes the segment report (`--report`, see `custseg.report`), and renames the
   build file over the serving file (an atomic `rename`): BI readers that hold the old file open
   keep reading the old, consistent data; new readers see the new data.

Every run, failed or not, is also appended to `<serving>.runs.jsonl`.
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from custseg.marts import PUBLIC_MARTS

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EXIT_LOCKED = 75  # EX_TEMPFAIL: another refresh holds the lock
EXIT_FAILED = 1
EXIT_USAGE = 2
DATE_VARS = {"as_of_date", "history_start"}
# read by models/intermediate/customers/int_as_of_date.sql: the as_of_date of a history snapshot
SNAPSHOT_DATE_ENV = "CUSTSEG_SNAPSHOT_DATE"
SIMPLE_VALUE = re.compile(r"^[A-Za-z0-9_./:+ -]*$")


class RefreshError(Exception):
    """A refresh that must stop; `code` is the process exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class RunRecord:
    """One refresh, as appended to marts.pipeline_runs and the JSONL run log."""

    run_id: str
    started_at: str
    finished_at: str = ""
    status: str = "running"
    models_built: int = 0
    tests_passed: int = 0
    tests_warned: int = 0
    tests_failed: int = 0
    quarantined_rows: int = 0
    customers: int = 0
    as_of_date: str = ""
    message: str = ""
    failures: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- vars


def parse_vars(pairs: list[str]) -> dict[str, Any]:
    """`name=value` pairs into a dict, refusing malformed names, dates and unsafe values. Each value
    is read the way dbt's `--vars` YAML reads it (`false` a boolean, `0.2` a number, `null`
    nothing), except that dates stay text."""
    parsed: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise RefreshError(f"--var must look like name=value, got {pair!r}", EXIT_USAGE)
        if not SIMPLE_VALUE.fullmatch(value):
            raise RefreshError(
                f"--var {name}: value contains characters that are not allowed: {value!r}",
                EXIT_USAGE,
            )
        if name in DATE_VARS:
            check_date(name, value)
        parsed[name] = yaml_value(value)
    return parsed


def yaml_value(text: str) -> Any:
    """A --var value as dbt's YAML would read it; dates and times stay the text they were."""
    import yaml

    try:
        value = yaml.safe_load(text) if text.strip() else text
    except yaml.YAMLError:
        return text
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return text


def check_date(name: str, value: str) -> dt.date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RefreshError(f"{name} must be a date YYYY-MM-DD, got {value!r}", EXIT_USAGE) from None


def snapshot_calendar(start: dt.date, end: dt.date, grain: str) -> list[dt.date]:
    """Snapshot dates from start to end: month ends, Sundays (week) or every day."""
    dates: list[dt.date] = []
    if grain == "day":
        day = start
        while day <= end:
            dates.append(day)
            day += dt.timedelta(days=1)
    elif grain == "week":
        day = start + dt.timedelta(days=(6 - start.weekday()) % 7)
        while day <= end:
            dates.append(day)
            day += dt.timedelta(days=7)
    elif grain == "month":
        year, month = start.year, start.month
        while True:
            day = dt.date(year, month, calendar.monthrange(year, month)[1])
            if day > end:
                break
            if day >= start:
                dates.append(day)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        raise RefreshError(f"snapshot grain must be day, week or month, got {grain!r}", EXIT_USAGE)
    return dates


# ---------------------------------------------------------------------------- lock


@contextlib.contextmanager
def run_lock(lock_path: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock; a second holder fails fast with EXIT_LOCKED."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RefreshError(
                f"another refresh is running ({holder}); nothing was touched", EXIT_LOCKED
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}")
        handle.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


# ---------------------------------------------------------------------------- dbt


def run_dbt(
    args: list[str],
    db_path: Path,
    dbt_vars: dict[str, Any],
    log_dir: Path,
    snapshot_date: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Run dbt in a subprocess against db_path; return run_results, raise on failure.

    snapshot_date: build as of that date (a history snapshot) through environment variable
    SNAPSHOT_DATE_ENV, not var as_of_date, so every dbt command of a refresh has the same vars
    and dbt parses the project once instead of once per snapshot (a changed var makes dbt
    re-parse everything, a changed environment variable only int_as_of_date).
    """
    target_path = log_dir / "target"
    command = [
        str(Path(sys.executable).with_name("dbt")),
        *args,
        "--profiles-dir",
        str(PROJECT_ROOT / "profiles"),
        "--project-dir",
        str(PROJECT_ROOT),
        "--target-path",
        str(target_path),
        "--vars",
        json.dumps(dbt_vars),
    ]
    env = {**os.environ, "DBT_DUCKDB_PATH": str(db_path), "DBT_LOG_PATH": str(log_dir / "logs")}
    env.pop(SNAPSHOT_DATE_ENV, None)
    if snapshot_date is not None:
        env[SNAPSHOT_DATE_ENV] = snapshot_date.isoformat()
    completed = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )
    results_file = target_path / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    if completed.returncode != 0:
        failures = [
            f"{r['unique_id']}: {r['status']} {(r.get('message') or '').strip()[:200]}"
            for r in results
            if r["status"] in {"error", "fail", "runtime error"}
        ]
        detail = "\n".join(failures) or (completed.stdout[-3000:] + completed.stderr[-2000:])
        raise RefreshError(f"dbt {' '.join(args)} failed:\n{detail}")
    return results


def summarise(db_path: Path, record: RunRecord, results: list[dict[str, Any]]) -> dict[str, int]:
    """Fill counts into record; return customers per rfm_segment."""
    import duckdb

    record.models_built = sum(
        1 for r in results if r["unique_id"].startswith("model.") and r["status"] == "success"
    )
    tests = [r for r in results if r["unique_id"].startswith(("test.", "unit_test."))]
    record.tests_passed = sum(1 for r in tests if r["status"] == "pass")
    record.tests_warned = sum(1 for r in tests if r["status"] == "warn")
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        record.quarantined_rows = con.execute(
            "select count(*) from marts.quarantined_rows"
        ).fetchone()[0]
        record.customers = con.execute("select count(*) from marts.customer_segments").fetchone()[0]
        as_of = con.execute("select max(as_of_date) from marts.customer_segments").fetchone()[0]
        record.as_of_date = str(as_of) if as_of is not None else ""
        rows = con.execute(
            "select rfm_segment, count(*) from marts.customer_segments "
            "group by 1 order by 2 desc, 1"
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def record_run(db_path: Path, record: RunRecord, previous: Path | None = None) -> None:
    """Append the run to marts.pipeline_runs inside the (unpublished) build database.

    `previous`: a serving file whose pipeline_runs rows are carried over (after a full refresh
    started from an empty database).
    """
    import duckdb

    con = duckdb.connect(str(db_path))
    try:
        con.execute(
            """
            create table if not exists marts.pipeline_runs (
                run_id varchar primary key, started_at timestamp, finished_at timestamp,
                status varchar, as_of_date date, models_built integer, tests_passed integer,
                tests_warned integer, quarantined_rows bigint, customers bigint
            )
            """
        )
        if previous is not None and previous.exists():
            con.execute(f"attach '{previous}' as previous_serving (read_only)")
            has_runs = con.execute(
                "select count(*) from information_schema.tables where table_catalog = "
                "'previous_serving' and table_schema = 'marts' and table_name = 'pipeline_runs'"
            ).fetchone()[0]
            if has_runs:
                con.execute(
                    "insert into marts.pipeline_runs "
                    "select * from previous_serving.marts.pipeline_runs "
                    "where run_id not in (select run_id from marts.pipeline_runs)"
                )
            con.execute("detach previous_serving")
        con.execute(
            "insert into marts.pipeline_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                record.run_id,
                record.started_at,
                record.finished_at,
                record.status,
                record.as_of_date or None,
                record.models_built,
                record.tests_passed,
                record.tests_warned,
                record.quarantined_rows,
                record.customers,
            ],
        )
        con.execute("checkpoint")
    finally:
        con.close()


def export_parquet(db_path: Path, folder: Path) -> Path:
    """Write every public mart as <folder>/<mart>.parquet (before anything is published)."""
    import duckdb

    folder.mkdir(parents=True)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        for mart in PUBLIC_MARTS:
            target = str(folder / f"{mart}.parquet").replace("'", "''")
            con.execute(f"copy (select * from marts.{mart}) to '{target}' (format parquet)")
    finally:
        con.close()
    return folder


def swap_folder(staged: Path, target: Path, run_id: str) -> None:
    """Move `staged` to `target`, replacing the previous export (two renames, no copy)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = target.with_name(f".{target.name}.old.{run_id}")
    if target.exists():
        target.rename(previous)
    shutil.move(str(staged), str(target))
    shutil.rmtree(previous, ignore_errors=True)


# ---------------------------------------------------------------------------- refresh


def refresh(
    serving_path: Path,
    dbt_vars: dict[str, Any],
    *,
    history_start: str | None = None,
    snapshot_grain: str = "month",
    full_refresh: bool = False,
    export_dir: Path | None = None,
    report_path: Path | None = None,
) -> RunRecord:
    """Build, test and atomically publish; see the module docstring."""
    serving_path = serving_path.resolve()
    run_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    record = RunRecord(run_id=run_id, started_at=f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S}")
    build_prefix = f".{serving_path.stem}.build-"
    work_dir = serving_path.parent / f"{build_prefix}{run_id}"
    build_path = work_dir / serving_path.name
    published = False
    staged_export: Path | None = None
    staged_report: Path | None = None
    with run_lock(serving_path.with_name(serving_path.name + ".lock")):
        # leftovers of a run that was killed: safe to remove, we hold the lock
        for stale in serving_path.parent.glob(f"{build_prefix}*"):
            shutil.rmtree(stale, ignore_errors=True)
        if report_path is not None:  # a report staged by a killed run
            for stale in report_path.resolve().parent.glob(f".{report_path.name}.*.tmp"):
                stale.unlink(missing_ok=True)
        try:
            if serving_path.with_name(serving_path.name + ".wal").exists():
                raise RefreshError(
                    f"{serving_path} has a write-ahead log: something opened it for writing. "
                    "BI tools must open it read-only; checkpoint or remove the .wal, then rerun."
                )
            work_dir.mkdir(parents=True)
            if serving_path.exists() and not full_refresh:
                shutil.copyfile(serving_path, build_path)
            if history_start:
                prune_history(
                    build_path, check_date("history_start", history_start), snapshot_grain
                )
            full = ["--full-refresh"] if full_refresh else []
            results = run_dbt(["build", *full], build_path, dbt_vars, work_dir)
            if history_start:
                built = build_history(build_path, dbt_vars, history_start, snapshot_grain, work_dir)
                if built:  # the history builds moved the as-of marts: rebuild the current date
                    rebuilt = run_dbt(as_of_build_args(), build_path, dbt_vars, work_dir)
                    results = merge_results(results, rebuilt)
            segments = summarise(build_path, record, results)
            record.status = "success"
            record.finished_at = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S}"
            record.message = "customers per rfm_segment: " + ", ".join(
                f"{k} {v}" for k, v in segments.items()
            )
            record_run(build_path, record, previous=serving_path if full_refresh else None)
            staged_export = None
            if export_dir is not None:
                # written beside its target, so an unwritable or full folder fails here, before
                # anything is published, and the swap after the publish is renames only
                export_dir = export_dir.resolve()
                staged_export = export_parquet(
                    build_path, export_dir.with_name(f".{export_dir.name}.new.{run_id}")
                )
            if report_path is not None:
                # written from the build before it is published, so a report that fails stops
                # the refresh with the serving file unchanged
                from custseg.report import stage_report

                report_path = report_path.resolve()
                _report, staged_report = stage_report(build_path, report_path)
            os.replace(build_path, serving_path)  # the atomic publish
            published = True
            if staged_report is not None and report_path is not None:
                os.replace(staged_report, report_path)  # the report of the marts just published
                staged_report = None
            if staged_export is not None and export_dir is not None:
                swap_folder(staged_export, export_dir, run_id)
        except (Exception, KeyboardInterrupt) as error:
            record.status = "failed"
            record.finished_at = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S}"
            reason = error if isinstance(error, RefreshError) else _describe(error)
            record.message = str(reason)
            if published:
                record.message = f"published to {serving_path}, then failed: {reason}"
            append_run_log(serving_path, record)
            raise RefreshError(record.message, getattr(error, "code", EXIT_FAILED)) from error
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
            if staged_export is not None:
                shutil.rmtree(staged_export, ignore_errors=True)
            if staged_report is not None:
                staged_report.unlink(missing_ok=True)
    append_run_log(serving_path, record)
    return record


def _describe(error: BaseException) -> str:
    """One line for an unexpected error: its type and message, the file for an OSError."""
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{type(error).__name__}: {error.strerror}{where}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def is_calendar_date(day: dt.date, grain: str) -> bool:
    if grain == "day":
        return True
    if grain == "week":
        return day.weekday() == 6
    return day.day == calendar.monthrange(day.year, day.month)[1]


def prune_history(db_path: Path, start: dt.date, grain: str) -> None:
    """Drop history dates off the calendar (e.g. yesterday's as_of_date); builds re-add today's."""
    import duckdb

    if not db_path.exists():
        return
    con = duckdb.connect(str(db_path))
    try:
        present = history_dates_in(con)
        stale = [day for day in present if day < start or not is_calendar_date(day, grain)]
        if stale:
            con.execute(
                "delete from marts.customer_segment_history where snapshot_date in "
                f"({', '.join('?' for _ in stale)})",
                stale,
            )
            con.execute("checkpoint")
    finally:
        con.close()


def history_dates_in(con: Any) -> list[dt.date]:
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'customer_segment_history'"
    ).fetchone()[0]
    if not exists:
        return []
    rows = con.execute(
        "select distinct snapshot_date from marts.customer_segment_history"
    ).fetchall()
    return sorted(row[0] for row in rows)


def build_history(
    build_path: Path,
    dbt_vars: dict[str, Any],
    history_start: str,
    grain: str,
    work_dir: Path,
) -> int:
    """One build per calendar date before as_of missing from the history, oldest first.

    Dates before the first customer registered would hold no rows; they are skipped.
    """
    import duckdb

    start = check_date("history_start", history_start)
    con = duckdb.connect(str(build_path), read_only=True)
    try:
        as_of, first_known = con.execute(
            "select max(as_of_date), min(cast(registered_at as date)) from marts.customer_features"
        ).fetchone()
        present = set(history_dates_in(con))
    finally:
        con.close()
    if as_of is None:
        return 0
    if first_known is not None:
        start = max(start, first_known)
    missing = [day for day in snapshot_calendar(start, as_of, grain) if day not in present]
    for index, day in enumerate(missing):
        print(f"history: snapshot {day} ({index + 1}/{len(missing)})", file=sys.stderr, flush=True)
        run_dbt(
            as_of_build_args("customer_segment_history"),
            build_path,
            dbt_vars,
            work_dir,
            snapshot_date=day,
        )
    return len(missing)


def as_of_build_args(up_to: str | None = None) -> list[str]:
    """`dbt build` of the models that depend on as_of_date (int_as_of_date and what follows it,
    up to model `up_to` when given) with their data tests.

    Used after the run's full build, on the same raw data and code: the staging models, the
    other models that do not read as_of_date, their tests and the unit tests (which read no
    data) were built and passed moments before, so a history snapshot or the rebuild of the
    current date repeats only the as-of part. 'buildable' keeps a test of a selected model that
    also reads an unselected parent (a relationships test to a seed or a staging table).
    """
    select = "int_as_of_date+" if up_to is None else f"int_as_of_date+,+{up_to}"
    return [
        "build",
        "--select",
        select,
        "--indirect-selection",
        "buildable",
        "--exclude-resource-type",
        "unit_test",
    ]


def merge_results(first: list[dict[str, Any]], later: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run results of a full build with those of a later partial build laid over them."""
    latest = {result["unique_id"]: result for result in first}
    latest.update({result["unique_id"]: result for result in later})
    return list(latest.values())


def append_run_log(serving_path: Path, record: RunRecord) -> None:
    """Append the run to <serving>.runs.jsonl; when that cannot be written (a read-only or full
    folder), say so in one line on stderr instead."""
    log = serving_path.with_name(serving_path.name + ".runs.jsonl")
    try:
        with log.open("a") as handle:
            handle.write(json.dumps(record.__dict__) + "\n")
    except OSError as error:
        print(f"run log {log} not written: {_describe(error)}", file=sys.stderr)


def raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"terminated by signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="custseg refresh",
        description="Build, test and atomically publish the segment marts (for schedulers).",
    )
    parser.add_argument(
        "--serving-path",
        type=Path,
        default=Path(
            os.environ.get(
                "CUSTSEG_SERVING_PATH", PROJECT_ROOT / "serving/customer_segmentation.duckdb"
            )
        ),
        help="DuckDB file BI tools read "
        "(default: serving/customer_segmentation.duckdb or $CUSTSEG_SERVING_PATH)",
    )
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a dbt var, e.g. as_of_date=2025-06-30 (repeatable)",
    )
    parser.add_argument(
        "--history-start", help="backfill customer_segment_history from this date (YYYY-MM-DD)"
    )
    parser.add_argument(
        "--snapshot-grain",
        default="month",
        choices=["month", "week", "day"],
        help="history calendar grain",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild everything, history included, from the raw data",
    )
    parser.add_argument(
        "--export-parquet",
        type=Path,
        help="also write the public marts as Parquet files into this folder",
    )
    parser.add_argument(
        "--report",
        type=Path,
        help="also write the segment report (one self-contained HTML file) to this path",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    # a scheduler's timeout sends SIGTERM: unwind like Ctrl-C, so dbt is stopped and cleaned up
    signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        dbt_vars = parse_vars(args.var)
        if args.history_start:
            check_date("history_start", args.history_start)
        record = refresh(
            args.serving_path,
            dbt_vars,
            history_start=args.history_start,
            snapshot_grain=args.snapshot_grain,
            full_refresh=args.full_refresh,
            export_dir=args.export_parquet,
            report_path=args.report,
        )
    except RefreshError as error:
        outcome = "see below" if str(error).startswith("published") else "serving data unchanged"
        print(f"refresh FAILED (exit {error.code}); {outcome}: {error}", file=sys.stderr)
        return error.code
    except OSError as error:  # the lock file could not be opened: nothing was touched
        print(
            f"refresh FAILED (exit {EXIT_FAILED}); serving data unchanged: {_describe(error)}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(
        f"refresh OK in {time.monotonic() - started:.1f}s: run {record.run_id}, "
        f"as of {record.as_of_date}; "
        f"{record.models_built} models built, {record.tests_passed} tests passed, "
        f"{record.tests_warned} warned; {record.quarantined_rows} rows quarantined; "
        f"{record.customers} customers.\n{record.message}\npublished to {args.serving_path}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

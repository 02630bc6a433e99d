"""The scheduler command `custseg-refresh`: lock, build-then-rename, failure safety, history.

Everything runs in subprocesses, as a scheduler and a BI tool would.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import PROJECT_ROOT, generate, read_table, run_dbt

HISTORY_COLUMNS = [
    "customer_id",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "rfm_cell",
    "rfm_segment",
    "pyramid_tier",
    "abc_class",
    "value_score",
    "value_tier",
    "lifecycle_stage",
    "membership_level",
    "qualifying_points",
    "smart_segment",
    "churn_risk",
    "is_control_group",
    "purchase_days",
    "order_count",
    "net_revenue",
]


def refresh(serving: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "custseg.refresh", "--serving-path", str(serving), *args]
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)


def refresh_with_history(
    serving: Path, data_dir: Path, as_of_date: str = "2025-12-31"
) -> subprocess.CompletedProcess[str]:
    """A refresh that backfills month-end history from 2025-09-01 up to as_of_date."""
    return refresh(
        serving,
        "--var",
        f"raw_path={data_dir}",
        "--var",
        f"as_of_date={as_of_date}",
        "--history-start",
        "2025-09-01",
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def as_of_of(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return str(con.execute("select max(as_of_date) from marts.customer_segments").fetchone()[0])
    finally:
        con.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("refresh_data"), customers=300, seed=5)


@pytest.fixture(scope="module")
def history_serving(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    serving = tmp_path_factory.mktemp("history") / "serving.duckdb"
    done = refresh_with_history(serving, data_dir)
    assert done.returncode == 0, done.stderr + done.stdout
    return serving


def test_reader_keeps_old_data_during_refresh_and_new_readers_see_new(
    data_dir: Path, tmp_path: Path
) -> None:
    serving = tmp_path / "serving.duckdb"
    first = refresh(serving, "--var", f"raw_path={data_dir}", "--var", "as_of_date=2025-06-30")
    assert first.returncode == 0, first.stderr
    assert "refresh OK" in first.stdout and "models built" in first.stdout

    observations = tmp_path / "reader.jsonl"
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, json, time
                con = duckdb.connect({str(serving)!r}, read_only=True)
                with open({str(observations)!r}, "w") as out:
                    deadline = time.time() + 600
                    while time.time() < deadline:
                        row = con.execute(
                            "select max(as_of_date)::varchar, count(*) from marts.customer_segments"
                        ).fetchone()
                        out.write(json.dumps(row) + "\\n")
                        out.flush()
                        try:
                            open({str(tmp_path / "stop")!r}).close()
                            break
                        except FileNotFoundError:
                            time.sleep(0.2)
                """
            ),
        ]
    )
    try:
        time.sleep(2)
        second = refresh(serving, "--var", f"raw_path={data_dir}")
        (tmp_path / "stop").touch()
        reader.wait(timeout=60)
    finally:
        reader.kill()
    assert second.returncode == 0, second.stderr
    seen = {tuple(json.loads(line)) for line in observations.read_text().splitlines()}
    assert len(seen) == 1, f"the open reader saw a change mid-refresh: {seen}"
    assert next(iter(seen))[0] == "2025-06-30"
    assert as_of_of(serving) == "2025-12-31"  # a new reader sees the new data
    runs = read_table(serving, "marts.pipeline_runs")
    assert list(runs.sort_values("started_at").status) == ["success", "success"]


def test_failed_build_leaves_serving_byte_for_byte_unchanged(
    data_dir: Path, tmp_path: Path
) -> None:
    serving = tmp_path / "serving.duckdb"
    assert refresh(serving, "--var", f"raw_path={data_dir}").returncode == 0
    before = sha256(serving)
    bad = tmp_path / "bad"
    bad.mkdir()
    for table in ("customers", "interactions"):
        (bad / f"{table}.csv").write_text((data_dir / f"{table}.csv").read_text())
    lines = (data_dir / "transactions.csv").read_text().splitlines()
    corrupted = [lines[0]] + [
        line.replace(",purchase,", ",exchange,") if index % 5 == 0 else line
        for index, line in enumerate(lines[1:])
    ]
    (bad / "transactions.csv").write_text("\n".join(corrupted) + "\n")
    failed = refresh(serving, "--var", f"raw_path={bad}")
    assert failed.returncode == 1
    assert "assert_rejected_share_within_limit" in failed.stderr
    assert "serving data unchanged" in failed.stderr
    assert sha256(serving) == before
    assert not list(tmp_path.glob(".serving.build-*")), "build files were left behind"
    log = [
        json.loads(line)
        for line in (tmp_path / "serving.duckdb.runs.jsonl").read_text().splitlines()
    ]
    assert [entry["status"] for entry in log] == ["success", "failed"]


def test_second_refresh_fails_fast_while_one_runs(data_dir: Path, tmp_path: Path) -> None:
    serving = tmp_path / "serving.duckdb"
    lock = tmp_path / "serving.duckdb.lock"
    command = [sys.executable, "-m", "custseg.refresh", "--serving-path", str(serving)]
    first = subprocess.Popen(
        [*command, "--var", f"raw_path={data_dir}"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (lock.exists() and lock.read_text().startswith("pid")):
            assert time.monotonic() < deadline, "the first refresh never took the lock"
            time.sleep(0.1)
        started = time.monotonic()
        second = refresh(serving, "--var", f"raw_path={data_dir}")
        elapsed = time.monotonic() - started
        assert first.poll() is None, "the first refresh should still be running"
        _out, err = first.communicate(timeout=300)
    finally:
        first.kill()
    assert second.returncode == 75
    assert "another refresh is running" in second.stderr
    assert elapsed < 10
    assert first.returncode == 0, err
    assert as_of_of(serving) == "2025-12-31"


def test_runtime_error_mid_build_publishes_nothing(data_dir: Path, tmp_path: Path) -> None:
    serving = tmp_path / "serving.duckdb"
    assert refresh(serving, "--var", f"raw_path={data_dir}").returncode == 0
    before = sha256(serving)
    # staging builds fine; the first model that converts to business days fails at run time
    failed = refresh(
        serving, "--var", f"raw_path={data_dir}", "--var", "business_timezone=Mars/Olympus_Mons"
    )
    assert failed.returncode == 1
    assert "error" in failed.stderr
    assert sha256(serving) == before


def test_malformed_vars_are_refused(tmp_path: Path) -> None:
    for args in (
        ["--var", "as_of_date=31/12/2025"],
        ["--var", "raw_path=x'; drop table y"],
        ["--var", "no-equals-sign"],
        ["--history-start", "soon"],
    ):
        refused = refresh(tmp_path / "serving.duckdb", *args)
        assert refused.returncode == 2, args
        assert refused.stderr.strip(), args


@pytest.mark.parametrize("snapshot_date", ["2025-09-30", "2025-11-30", "2025-12-31"])
def test_history_equals_the_as_of_marts(
    history_serving: Path, data_dir: Path, tmp_path: Path, snapshot_date: str
) -> None:
    history = read_table(history_serving, "marts.customer_segment_history")
    assert sorted(history.snapshot_date.astype(str).unique()) == [
        "2025-09-30",
        "2025-10-31",
        "2025-11-30",
        "2025-12-31",
    ]
    db_path = tmp_path / "as_of.duckdb"
    run_dbt(["build"], db_path, dbt_vars={"raw_path": str(data_dir), "as_of_date": snapshot_date})
    expected = read_table(db_path, "marts.customer_segments")[HISTORY_COLUMNS]
    actual = history[history.snapshot_date.astype(str) == snapshot_date][HISTORY_COLUMNS]
    pd.testing.assert_frame_equal(
        actual.sort_values("customer_id").reset_index(drop=True),
        expected.sort_values("customer_id").reset_index(drop=True),
    )


def test_transitions_add_up_to_both_snapshots(history_serving: Path) -> None:
    history = read_table(history_serving, "marts.customer_segment_history")
    transitions = read_table(history_serving, "marts.segment_transitions")
    sizes = history.groupby(history.snapshot_date.astype(str)).size()
    assert len(transitions.period_start.unique()) == 3
    for (scheme, start, end), period in transitions.groupby(
        [
            "segmentation_scheme",
            transitions.period_start.astype(str),
            transitions.period_end.astype(str),
        ]
    ):
        assert period[period.from_segment != "(entered)"].customers.sum() == sizes[start], scheme
        assert period[period.to_segment != "(exited)"].customers.sum() == sizes[end], scheme


def test_incremental_history_run_adds_only_new_dates(
    history_serving: Path, data_dir: Path, tmp_path: Path
) -> None:
    serving = tmp_path / "serving.duckdb"
    serving.write_bytes(history_serving.read_bytes())
    before = read_table(serving, "marts.customer_segment_history")
    again = refresh_with_history(serving, data_dir)
    assert again.returncode == 0, again.stderr
    assert "history: snapshot" not in again.stderr  # nothing was missing
    after = read_table(serving, "marts.customer_segment_history")
    key = ["snapshot_date", "customer_id"]
    pd.testing.assert_frame_equal(
        after.sort_values(key).reset_index(drop=True),
        before.sort_values(key).reset_index(drop=True),
    )


def test_parquet_export_matches_the_marts(data_dir: Path, tmp_path: Path) -> None:
    serving = tmp_path / "serving.duckdb"
    export = tmp_path / "export"
    done = refresh(serving, "--var", f"raw_path={data_dir}", "--export-parquet", str(export))
    assert done.returncode == 0, done.stderr
    exported = pd.read_parquet(export / "customer_segments.parquet")
    assert len(exported) == len(read_table(serving, "marts.customer_segments"))


def test_daily_runs_keep_the_calendar_plus_only_the_current_date(
    history_serving: Path, data_dir: Path, tmp_path: Path
) -> None:
    serving = tmp_path / "serving.duckdb"
    serving.write_bytes(history_serving.read_bytes())
    for day in ("2026-01-10", "2026-01-11"):
        done = refresh_with_history(serving, data_dir, as_of_date=day)
        assert done.returncode == 0, done.stderr
    history = read_table(serving, "marts.customer_segment_history")
    assert sorted(history.snapshot_date.astype(str).unique()) == [
        "2025-09-30",
        "2025-10-31",
        "2025-11-30",
        "2025-12-31",
        "2026-01-11",
    ]
    transitions = read_table(serving, "marts.segment_transitions")
    assert transitions.period_end.astype(str).max() == "2026-01-11"


def test_full_refresh_keeps_the_run_log_and_empty_marts_do_not_crash(
    history_serving: Path, data_dir: Path, tmp_path: Path
) -> None:
    serving = tmp_path / "serving.duckdb"
    serving.write_bytes(history_serving.read_bytes())
    runs_before = len(read_table(serving, "marts.pipeline_runs"))
    done = refresh(serving, "--var", f"raw_path={data_dir}", "--full-refresh")
    assert done.returncode == 0, done.stderr
    assert len(read_table(serving, "marts.pipeline_runs")) == runs_before + 1
    early = refresh(serving, "--var", f"raw_path={data_dir}", "--var", "as_of_date=2020-01-01")
    assert early.returncode == 0, early.stderr
    assert "0 customers" in early.stdout


def test_var_values_are_read_like_dbt_vars_yaml() -> None:
    from custseg.refresh import parse_vars

    assert parse_vars(
        ["incremental_staging=false", "max_rejected_share=0.2", "as_of_date=2025-06-30", "x=yes"]
    ) == {
        "incremental_staging": False,
        "max_rejected_share": 0.2,
        "as_of_date": "2025-06-30",
        "x": True,
    }


def _run_log(serving: Path) -> list[dict]:
    path = serving.with_name(serving.name + ".runs.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_unwritable_export_folder_publishes_nothing(data_dir: Path, tmp_path: Path) -> None:
    serving = tmp_path / "serving.duckdb"
    assert refresh(serving, "--var", f"raw_path={data_dir}").returncode == 0
    before = sha256(serving)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    failed = refresh(
        serving, "--var", f"raw_path={data_dir}", "--export-parquet", str(blocker / "export")
    )
    assert failed.returncode == 1
    assert "serving data unchanged" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert sha256(serving) == before  # the export failed before the rename
    assert [entry["status"] for entry in _run_log(serving)] == ["success", "failed"]
    runs = read_table(serving, "marts.pipeline_runs")
    assert list(runs.status) == ["success"]  # the failed run is not recorded as published


def _mount_tmpfs(folder: Path, options: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


def _unmount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def test_read_only_serving_folder_fails_in_one_line(data_dir: Path, tmp_path: Path) -> None:
    import os

    first = tmp_path / "first" / "serving.duckdb"
    assert refresh(first, "--var", f"raw_path={data_dir}").returncode == 0
    folder = tmp_path / "readonly"
    mounted = os.geteuid() == 0 and _mount_tmpfs(folder, "size=64m")
    if os.geteuid() != 0:
        folder.mkdir()
    elif not mounted:
        pytest.skip("cannot mount a tmpfs here (no permission in this sandbox)")
    try:
        serving = folder / "serving.duckdb"
        serving.write_bytes(first.read_bytes())
        before = sha256(serving)
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:
            folder.chmod(0o555)
        failed = refresh(serving, "--var", f"raw_path={data_dir}")
        assert failed.returncode == 1
        assert "Traceback" not in failed.stderr
        lines = [line for line in failed.stderr.splitlines() if line.strip()]
        assert lines[-1].startswith("refresh FAILED (exit 1); serving data unchanged:"), lines
        assert "Read-only file system" in failed.stderr or "Permission denied" in failed.stderr
        assert sha256(serving) == before
    finally:
        if mounted:
            _unmount(folder)
        else:
            folder.chmod(0o755)


def test_full_disk_fails_cleanly_and_publishes_nothing(data_dir: Path, tmp_path: Path) -> None:
    import os

    if os.geteuid() != 0:
        pytest.skip("a small tmpfs needs root")
    first = tmp_path / "first" / "serving.duckdb"
    assert refresh(first, "--var", f"raw_path={data_dir}").returncode == 0
    folder = tmp_path / "small"
    # room for the serving file and a little more, not for a second copy of it
    size_kib = first.stat().st_size // 1024 + 512
    if not _mount_tmpfs(folder, f"size={size_kib}k"):
        pytest.skip("cannot mount a tmpfs here (no permission in this sandbox)")
    try:
        serving = folder / "serving.duckdb"
        serving.write_bytes(first.read_bytes())
        before = sha256(serving)
        failed = refresh(serving, "--var", f"raw_path={data_dir}")
        assert failed.returncode == 1
        assert "Traceback" not in failed.stderr
        assert "serving data unchanged" in failed.stderr
        assert "No space left on device" in failed.stderr
        assert sha256(serving) == before
        assert not list(folder.glob(".serving.build-*")), "build files were left behind"
    finally:
        _unmount(folder)

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
from typing import Any

import duckdb
import pandas as pd
import pytest
from conftest import PROJECT_ROOT, generate, read_table, run_dbt

from custseg.compare_marts import compare_marts
from custseg.marts import PUBLIC_MARTS

HISTORY_MARTS = {"customer_segment_history", "segment_transitions", "segment_summary_history"}

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
    # the report rides along: test_report.py-style checks below read it (no extra build)
    done = refresh(
        serving,
        "--var",
        f"raw_path={data_dir}",
        "--var",
        "as_of_date=2025-12-31",
        "--history-start",
        "2025-09-01",
        "--report",
        str(serving.with_name("report.html")),
    )
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
    if snapshot_date == "2025-12-31":
        # the refresh's as_of_date: after the snapshot builds it rebuilt only the models that
        # read as_of_date; every published mart but the history ones equals a plain build's
        as_of_marts = [mart for mart in PUBLIC_MARTS if mart not in HISTORY_MARTS]
        outcome = compare_marts(history_serving, db_path, as_of_marts)
        assert set(outcome.values()) == {(0, 0)}, outcome


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


# ------------------------------------------------------------------------------- the report
# The refresh above wrote report.html beside the history serving file (`--report`). The numbers
# behind every chart are re-computed here from the customer-level marts with pandas, not from the
# summary marts the report reads, and the page is loaded in a real (headless) browser.


def report_of(serving: Path) -> Any:
    from custseg.report import read_report

    return read_report(serving)


def test_report_numbers_equal_the_marts(history_serving: Path) -> None:
    report = report_of(history_serving)
    charts = {chart.chart_id: chart for chart in report.charts}
    segments = read_table(history_serving, "marts.customer_segments")
    segments["net_revenue"] = segments.net_revenue.astype(float)
    buyers = segments[segments.is_buyer]
    assert report.kpis["customers"] == len(segments)
    assert report.kpis["buyers"] == len(buyers)
    assert report.kpis["net_revenue"] == pytest.approx(segments.net_revenue.sum())
    assert report.kpis["repurchase_rate"] == pytest.approx((buyers.purchase_days >= 2).mean())
    assert report.kpis["as_of_date"] == "2025-12-31"

    total = segments.net_revenue.sum()
    schemes = ["rfm_segment", "value_tier", "pyramid_tier", "abc_class", "lifecycle_stage"]
    for scheme in [*schemes, "membership_level", "smart_segment"]:
        chart = charts[f"segments_{scheme}"]
        sizes = segments.groupby(scheme).size()
        revenue = segments.groupby(scheme).net_revenue.sum() / total
        drawn = dict(zip(chart.figure.data[0].y, chart.figure.data[0].x, strict=True))
        assert set(drawn) == set(sizes.index), scheme
        for segment, share in drawn.items():
            assert share == pytest.approx(sizes[segment] / len(segments)), (scheme, segment)
        drawn_revenue = dict(zip(chart.figure.data[1].y, chart.figure.data[1].x, strict=True))
        for segment, share in drawn_revenue.items():
            assert share == pytest.approx(revenue[segment], abs=1e-9), (scheme, segment)

    scored = segments.dropna(subset=["recency_score", "frequency_score"])
    cells = scored.groupby(["recency_score", "frequency_score"]).size()
    heat = charts["rfm_heatmap"].figure.data[0]
    for i, r_label in enumerate(heat.y):
        for j, f_label in enumerate(heat.x):
            expected = cells.get((int(r_label[1:]), int(f_label[1:])))
            value = heat.z[i][j]
            if expected is None:
                assert value is None or pd.isna(value)
            else:
                assert value == expected, (r_label, f_label)

    revenue_desc = buyers.net_revenue.sort_values(ascending=False).to_numpy()
    cumulative = revenue_desc.cumsum() / revenue_desc.sum()
    curve = charts["pareto"].figure.data[0]
    for share_of_buyers, share_of_revenue in list(zip(curve.x, curve.y, strict=True))[1:]:
        last = int(share_of_buyers * len(revenue_desc) + 1e-9)  # customers within this percent
        assert share_of_revenue == pytest.approx(cumulative[last - 1]), share_of_buyers
    assert curve.y[-1] == pytest.approx(1.0)

    funnel = charts["lifecycle_funnel"].figure.data[0]
    stage_order = ["prospect", "new", "active", "loyal", "reactivated", "dormant", "churned"]
    stage_sizes = segments.groupby("lifecycle_stage").size()
    assert list(funnel.y) == [stage for stage in stage_order if stage in stage_sizes.index]
    assert list(funnel.x) == [stage_sizes[stage] for stage in funnel.y]

    levels = charts["churn_risk"].figure.data
    risk_order = ["low", "medium", "high"]
    risk_sizes = segments.groupby("churn_risk").size()
    risk_revenue = segments.groupby("churn_risk").net_revenue.sum()
    assert list(levels[0].x) == [level for level in risk_order if level in risk_sizes.index]
    assert list(levels[0].y) == [risk_sizes[level] for level in levels[0].x]
    assert list(levels[1].y) == pytest.approx([risk_revenue[level] for level in levels[1].x])
    reasons: dict[str, int] = {}
    for text in segments.churn_risk_reasons.dropna():
        for reason in text.split(","):
            if reason != "none":
                reasons[reason] = reasons.get(reason, 0) + 1
    why = charts["churn_reasons"].figure.data[0]
    assert dict(zip(why.x, why.y, strict=True)) == reasons

    control = charts["control_group"].figure.data
    group_of = segments.is_control_group.map({True: "control group", False: "targeted"})
    for group, revenue, rate in zip(control[0].x, control[0].y, control[1].y, strict=True):
        members = segments[group_of == group]
        member_buyers = members[members.is_buyer]
        assert revenue == pytest.approx(members.net_revenue.mean()), group
        assert rate == pytest.approx((member_buyers.purchase_days >= 2).mean()), group
    assert sorted(control[0].x) == sorted(group_of.unique())

    heat_money = charts["rfm_heatmap"].data.set_index(["recency_score", "frequency_score"])
    money = scored.groupby(["recency_score", "frequency_score"]).net_revenue.mean()
    for cell, value in money.items():
        assert heat_money.avg_net_revenue[cell] == pytest.approx(value), cell

    predictions = read_table(history_serving, "marts.customer_predictions").merge(
        segments[["customer_id", "rfm_segment", "purchase_days"]], on="customer_id"
    )
    repeat = predictions[(predictions.purchase_days >= 2) & predictions.p_alive.notna()]
    labels_by_bin: dict[str, int] = {}
    for p_alive in repeat.p_alive:
        low = min(int(p_alive * 100) // 10 * 10, 90)  # whole percent, then the 10% step
        label = f"{low}% to {low + 10}%"
        labels_by_bin[label] = labels_by_bin.get(label, 0) + 1
    alive = charts["p_alive_distribution"].figure.data[0]
    assert dict(zip(alive.x, alive.y, strict=True)) == labels_by_bin
    clv = charts["predicted_clv"].figure.data
    expected_clv = predictions.groupby("rfm_segment").predicted_clv.mean().dropna()
    drawn_clv = dict(zip(clv[0].x, clv[0].y, strict=True))
    assert set(drawn_clv) == set(expected_clv.index)
    for segment, value in drawn_clv.items():
        assert value == pytest.approx(expected_clv[segment]), segment
    expected_alive = predictions.groupby("rfm_segment").p_alive.mean()
    for segment, value in zip(clv[1].x, clv[1].y, strict=True):
        assert value == pytest.approx(expected_alive[segment]), segment

    files = (
        read_table(history_serving, "marts.raw_files")
        .groupby("source_table")
        .sum(numeric_only=True)
    )
    stacked = {
        trace.name: dict(zip(trace.x, trace.y, strict=True))
        for trace in charts["raw_files"].figure.data
    }
    for table, row in files.iterrows():
        parts = [stacked[name][table] for name in stacked]
        assert sum(parts) == row.rows_read, table  # accepted + quarantined, malformed once
        assert stacked["accepted"][table] == row.rows_accepted, table

    history = read_table(history_serving, "marts.customer_segment_history")
    history["snapshot_date"] = history.snapshot_date.astype(str)
    sankey = charts["transitions_sankey"]
    start = str(sankey.data.period_start.iloc[0])[:10]
    end = str(sankey.data.period_end.iloc[0])[:10]
    assert end == max(history.snapshot_date)
    at_start = history[history.snapshot_date == start].set_index("customer_id").rfm_segment
    at_end = history[history.snapshot_date == end].set_index("customer_id").rfm_segment
    moves = pd.concat([at_start.rename("a"), at_end.rename("b")], axis=1).fillna(
        {"a": "(entered)", "b": "(exited)"}
    )
    expected_moves = moves.groupby(["a", "b"]).size().to_dict()
    labels = sankey.figure.data[0].node.label
    link = sankey.figure.data[0].link
    drawn_moves = {
        (labels[s].removesuffix(" (start)"), labels[t].removesuffix(" (end)")): v
        for s, t, v in zip(link.source, link.target, link.value, strict=True)
    }
    assert drawn_moves == expected_moves

    retention = charts["retention"].data
    for row in retention.itertuples():
        period_end = str(row.period_end)[:10]
        dates = sorted(history.snapshot_date.unique())
        period_start = dates[dates.index(period_end) - 1]
        before = history[(history.snapshot_date == period_start)].set_index("customer_id")
        after = history[(history.snapshot_date == period_end)].set_index("customer_id")
        members = before[before.rfm_segment == row.segment].index
        stayed = (after.rfm_segment.reindex(members) == row.segment).sum()
        assert row.retention_rate == pytest.approx(stayed / len(members)), row

    quarantined = read_table(history_serving, "marts.quarantined_rows")
    counts = quarantined.groupby(["source_table", "rejection_reason"]).size()
    drawn_rows = {
        (trace.name, reason): n
        for trace in charts["quarantine"].figure.data
        for reason, n in zip(trace.x, trace.y, strict=True)
    }
    assert drawn_rows == counts.to_dict()


def test_report_shows_no_personal_data(history_serving: Path) -> None:
    page = history_serving.with_name("report.html").read_text(encoding="utf-8")
    features = read_table(history_serving, "marts.customer_features")
    for column in ("customer_id", "email_hash"):
        values = features[column].dropna().astype(str)
        leaked = [value for value in values if len(value) >= 6 and value in page]
        assert not leaked, (column, leaked[:3])


def chromium() -> str:
    import shutil

    for name in ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.fail("no headless Chromium: `make pytest` installs Debian's (scripts/ensure-browser)")


def test_report_renders_in_a_browser(history_serving: Path) -> None:
    report = report_of(history_serving)
    page = history_serving.with_name("report.html")
    browser = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    browser += ["--virtual-time-budget=20000", "--enable-logging=stderr", "--v=0"]
    dom = subprocess.run(
        [*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console[:5]
    drawn = [chart.chart_id for chart in report.charts if chart.figure is not None]
    assert len(drawn) >= 17  # the history has transitions: every chart has something to draw
    # plotly marks each rendered plot with a js-plotly-plot container and draws its SVG
    assert dom.stdout.count('class="plot-container plotly"') == len(drawn)
    for chart_id in drawn:
        assert f'id="plot-{chart_id}" class="plotly-graph-div js-plotly-plot"' in dom.stdout
    assert dom.stdout.count('class="main-svg"') >= 2 * len(drawn)
    shot = PROJECT_ROOT / "target" / "report-screenshot.png"
    shot.parent.mkdir(exist_ok=True)
    taken = subprocess.run(
        [*browser, "--window-size=1300,7200", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert taken.returncode == 0 and shot.stat().st_size > 50_000, taken.stderr[-2000:]


def test_report_without_history_says_so(history_serving: Path, tmp_path: Path) -> None:
    single = tmp_path / "single.duckdb"
    single.write_bytes(history_serving.read_bytes())
    con = duckdb.connect(str(single))
    con.execute("delete from marts.segment_transitions")
    con.execute("delete from marts.segment_summary_history")
    con.close()
    out = tmp_path / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "custseg", "report", "--database", str(single), "--out", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "of 19 charts drawn" in done.stdout
    page = out.read_text(encoding="utf-8")
    assert "No movement yet: the history holds one snapshot" in page
    assert "No retention yet" in page
    assert page.count("<script") == 1 + page.count('class="plotly-graph-div')  # plotly.js inlined
    # nothing is fetched: no script, style sheet or image comes from a URL
    assert "<script src" not in page and "<link" not in page and 'src="http' not in page

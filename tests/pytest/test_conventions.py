"""The project's own conventions, checked from the manifest and the built database.

- every model and every column is described, and the YAML lists exactly the built columns;
- every model has a tested primary key (unique + not_null, or unique_combination_of_columns);
- only staging models read sources; marts never do;
- every macro is documented; every seed column has a declared type.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import PROJECT_ROOT, run_dbt

# Landing models keep every raw row, duplicates and missing ids included: what they validate
# cannot also be their key.
# base_ tables keep every raw row (ids repeat by design); int_interactions_as_of is a row filter
# of stg_shop__interactions (no join), whose key is tested there: a unique test on the 30M-row
# view (at 10M transactions) cost 3.5 s of every full build and could not fail on its own
KEYLESS_MODELS = {
    "base_shop__customers",
    "base_shop__transactions",
    "base_shop__interactions",
    "int_interactions_as_of",
}


# public marts whose column names follow a var (prediction_horizons_days): no enforced contract
VAR_SHAPED_MARTS = {"customer_predictions"}


@pytest.fixture(scope="module")
def manifest(demo_build: Path) -> dict[str, Any]:
    target = demo_build.with_suffix(".target")
    run_dbt(["parse"], demo_build, target_path=target)
    return json.loads((target / "manifest.json").read_text())


def project_nodes(manifest: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == resource_type
        and node["package_name"] == "customer_segmentation"
    ]


def test_every_model_and_column_is_described(manifest: dict[str, Any], demo_build: Path) -> None:
    con = duckdb.connect(str(demo_build), read_only=True)
    try:
        problems = []
        for node in project_nodes(manifest, "model"):
            if not node["description"].strip():
                problems.append(f"{node['name']}: no description")
            built = [
                row[0]
                for row in con.execute(f"describe {node['schema']}.{node['alias']}").fetchall()
            ]
            documented = list(node["columns"])
            if sorted(built) != sorted(documented):
                problems.append(
                    f"{node['name']}: undocumented {sorted(set(built) - set(documented))}, "
                    f"stale {sorted(set(documented) - set(built))}"
                )
            problems += [
                f"{node['name']}.{name}: no description"
                for name, column in node["columns"].items()
                if not column["description"].strip()
            ]
    finally:
        con.close()
    assert not problems, "\n".join(problems)


def test_every_model_has_a_tested_primary_key(manifest: dict[str, Any]) -> None:
    tests_by_model: dict[str, list[tuple[str, str | None]]] = {}
    for test in project_nodes(manifest, "test"):
        metadata = test.get("test_metadata") or {}
        attached = test.get("attached_node") or ""
        tests_by_model.setdefault(attached, []).append(
            (metadata.get("name", ""), test.get("column_name"))
        )
    missing = []
    for node in project_nodes(manifest, "model"):
        if node["name"] in KEYLESS_MODELS:
            continue
        tests = tests_by_model.get(node["unique_id"], [])
        unique_columns = {column for name, column in tests if name == "unique"}
        not_null_columns = {column for name, column in tests if name == "not_null"}
        has_key = bool(unique_columns & not_null_columns) or any(
            name == "unique_combination_of_columns" for name, _ in tests
        )
        if not has_key:
            missing.append(node["name"])
    assert not missing, f"models without a tested primary key: {missing}"


def test_only_staging_reads_sources_and_marts_read_no_raw_data(manifest: dict[str, Any]) -> None:
    for node in project_nodes(manifest, "model"):
        sources = [parent for parent in node["depends_on"]["nodes"] if parent.startswith("source.")]
        folder = Path(node["original_file_path"]).parts[1]
        if sources:
            assert folder == "staging", f"{node['name']} reads a source outside staging"
            assert node["name"].startswith("base_shop__"), node["name"]


def test_layer_names_follow_the_conventions(manifest: dict[str, Any]) -> None:
    prefixes = {"staging": ("stg_", "base_"), "intermediate": ("int_",), "marts": ("",)}
    for node in project_nodes(manifest, "model"):
        folder = Path(node["original_file_path"]).parts[1]
        assert node["name"].startswith(prefixes[folder]), node["name"]
        if folder == "marts":
            assert not node["name"].startswith(("stg_", "int_", "base_")), node["name"]


def test_every_macro_is_documented(manifest: dict[str, Any]) -> None:
    undocumented = [
        macro["name"]
        for macro in manifest["macros"].values()
        if macro["package_name"] == "customer_segmentation"
        and not macro["name"].startswith(("default__", "duckdb__", "postgres__", "spark__"))
        and not macro["name"].startswith(("bigquery__", "snowflake__"))
        and not macro["description"].strip()
    ]
    assert not undocumented, f"macros without a description in macros/_macros.yml: {undocumented}"


def test_every_seed_declares_its_column_types(manifest: dict[str, Any]) -> None:
    for seed in project_nodes(manifest, "seed"):
        header = (PROJECT_ROOT / seed["original_file_path"]).read_text().splitlines()[0].split(",")
        declared = set(seed["config"].get("column_types") or {})
        assert set(header) <= declared, f"{seed['name']}: untyped {set(header) - declared}"
        assert seed["description"].strip(), seed["name"]


def test_python_contract_matches_the_sql_contract(manifest: dict[str, Any]) -> None:
    from custseg.contract import COLUMNS

    macro = manifest["macros"]["macro.customer_segmentation.raw_contract_columns"]
    for table, columns in COLUMNS.items():
        listed = macro["macro_sql"].split(f"'{table}': [", 1)[1].split("]", 1)[0]
        assert [name.strip(" '\n") for name in listed.split(",")] == list(columns), table


def test_relation_names_fit_postgres(manifest: dict[str, Any]) -> None:
    """PostgreSQL truncates nothing and refuses relation names over 63 bytes; dbt creates one
    relation per model, seed and unit test (named after it)."""
    too_long = sorted(
        node["name"]
        for node in [*manifest["nodes"].values(), *manifest.get("unit_tests", {}).values()]
        if node["resource_type"] in {"model", "seed", "snapshot", "unit_test"}
        and len(node["name"].encode()) > 63
    )
    assert too_long == [], f"names longer than 63 bytes: {too_long}"


def test_the_public_marts_are_the_models_under_marts(manifest: dict[str, Any]) -> None:
    """custseg.marts.PUBLIC_MARTS is the one list the refresh publishes and the tools compare:
    a new model under models/marts/ must be added there."""
    from custseg.marts import PUBLIC_MARTS

    under_marts = {
        node["name"]
        for node in project_nodes(manifest, "model")
        if node["original_file_path"].startswith("models/marts/")
    }
    assert sorted(PUBLIC_MARTS) == sorted(under_marts)


def test_the_segmentation_schemes_are_the_playbook_schemes(demo_build: Path) -> None:
    """Every scheme of macro segmentation_schemes has its labels in seed segment_playbook, and
    the seed has no scheme the marts do not report."""
    summary = duckdb.connect(str(demo_build), read_only=True)
    try:
        reported = {
            r[0]
            for r in summary.execute(
                "select distinct segmentation_scheme from marts.segment_summary"
            ).fetchall()
        }
    finally:
        summary.close()
    playbook = (PROJECT_ROOT / "seeds" / "segment_playbook.csv").read_text().splitlines()[1:]
    assert reported == {line.split(",")[0] for line in playbook if line}


def test_every_model_opens_with_its_purpose(demo_build: Path) -> None:
    """Each model's first line is a one-line `-- ` purpose comment, and it stays a line of its
    own in the compiled SQL (a whitespace-stripping Jinja tag after it would comment out the
    query that follows)."""
    compiled = demo_build.with_suffix(".target") / "compiled" / "customer_segmentation"
    problems = []
    for source in sorted((PROJECT_ROOT / "models").rglob("*.sql")):
        first = source.read_text().splitlines()[0]
        if not first.startswith("-- "):
            problems.append(f"{source.name}: no purpose comment")
            continue
        built = compiled / source.relative_to(PROJECT_ROOT)
        if built.read_text().splitlines()[0] != first:
            problems.append(f"{source.name}: the purpose comment runs into the SQL when compiled")
    assert not problems, problems


def _yaml_or_text(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def test_the_readme_lists_every_var_with_its_default() -> None:
    """A threshold changes in two files: its var in dbt_project.yml and its row in the README's
    var table (the oracle reads dbt_project.yml; docs/RULES.md names vars, not values)."""
    import re

    import yaml

    project_vars = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())["vars"]
    lines = (PROJECT_ROOT / "README.md").read_text().splitlines()
    start = lines.index("| var | default | meaning |")
    documented: dict[str, Any] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        names_cell, default_cell = line.split(" | ")[:2]
        names = re.findall(r"`([a-z_]+)`", names_cell)
        defaults = [d.strip().strip("`") for d in default_cell.split(" / ")]
        assert len(defaults) == len(names), line
        documented.update(zip(names, (_yaml_or_text(d) for d in defaults), strict=True))
    assert sorted(documented) == sorted(project_vars)
    differ = {
        name: (value, documented[name])
        for name, value in project_vars.items()
        if value != documented[name]
    }
    assert not differ, f"README default differs from dbt_project.yml: {differ}"


def test_public_marts_have_enforced_contracts(manifest: dict[str, Any], demo_build: Path) -> None:
    """What BI relies on: every public mart is `access: public` with an enforced contract whose
    data types are the built ones; everything else is protected."""
    from custseg.marts import PUBLIC_MARTS

    con = duckdb.connect(str(demo_build), read_only=True)
    try:
        built = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    for node in project_nodes(manifest, "model"):
        if node["name"] not in PUBLIC_MARTS:
            assert node["access"] == "protected", node["name"]
            continue
        assert node["access"] == "public", node["name"]
        if node["name"] in VAR_SHAPED_MARTS:  # the columns follow a var: no fixed contract
            assert node["config"]["contract"]["enforced"] is False, node["name"]
        else:
            assert node["config"]["contract"]["enforced"] is True, node["name"]
        declared = [(name, column["data_type"]) for name, column in node["columns"].items()]
        actual = [(column, kind) for table, column, kind in built if table == node["name"]]
        assert declared == actual, node["name"]  # names, types and order


def test_a_changed_column_type_fails_the_build(demo_build: Path, tmp_path: Path) -> None:
    """A contract change is caught: the SQL of a mart casts a column to another type (as an
    edit would), and building it stops with dbt's contract error instead of publishing."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_ROOT,
        project,
        ignore=shutil.ignore_patterns(".venv", "target", "logs", "data", ".git", "serving"),
    )
    mart = project / "models" / "marts" / "segments" / "rfm_thresholds.sql"
    edited = f"select * replace (cast(score as varchar) as score) from (\n{mart.read_text()}\n)"
    mart.write_text("-- contract test: one column changes type\n" + edited + " as edited\n")
    database = tmp_path / "contract.duckdb"
    database.write_bytes(demo_build.read_bytes())
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "-s",
        "rfm_thresholds",
        "--exclude-resource-type",
        "unit_test",
        "--profiles-dir",
        str(PROJECT_ROOT / "profiles"),
        "--project-dir",
        str(project),
        "--target-path",
        str(tmp_path / "target"),
        "--vars",
        json.dumps({"raw_path": str(PROJECT_ROOT / "data" / "demo")}),
    ]
    env = {**os.environ, "DBT_DUCKDB_PATH": str(database), "DBT_LOG_PATH": str(tmp_path / "logs")}
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stdout[-3000:]
    assert "This model has an enforced contract that failed" in done.stdout
    assert "| score" in done.stdout and "data type mismatch" in done.stdout


def test_metricflow_answers_equal_segment_summary(demo_build: Path, tmp_path: Path) -> None:
    """The semantic layer (models/marts/segments/_segments__semantic.yml) queried with MetricFlow
    gives segment_summary's customers, net revenue and repurchase rate per RFM segment."""
    import pandas as pd

    project = tmp_path / "mf"
    (project / "target").mkdir(parents=True)
    (project / "dbt_project.yml").write_text((PROJECT_ROOT / "dbt_project.yml").read_text())
    manifest_file = demo_build.with_suffix(".target") / "semantic_manifest.json"
    (project / "target" / "semantic_manifest.json").write_bytes(manifest_file.read_bytes())
    out = tmp_path / "answer.csv"
    command = [
        str(Path(sys.executable).with_name("mf")),
        "query",
        "--metrics",
        "customers,net_revenue,repurchase_rate,buyers",
        "--group-by",
        "customer__rfm_segment",
        "--csv",
        str(out),
    ]
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_ROOT / "profiles"),
        "DBT_DUCKDB_PATH": str(demo_build),
    }
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    answer = pd.read_csv(out).set_index("customer__rfm_segment").sort_index()
    con = duckdb.connect(str(demo_build), read_only=True)
    try:
        summary = con.execute(
            "select segment, customers, cast(net_revenue as double) as net_revenue, "
            "repurchase_rate from marts.segment_summary where segmentation_scheme = 'rfm_segment'"
        ).df()
    finally:
        con.close()
    summary = summary.set_index("segment").sort_index()
    assert list(answer.index) == list(summary.index)
    assert (answer.customers == summary.customers).all()
    assert answer.net_revenue.to_numpy() == pytest.approx(summary.net_revenue.to_numpy())
    # segment_summary leaves the rate empty where a segment has no buyers; MetricFlow divides 0/0
    rates = summary.repurchase_rate.notna()
    assert answer.repurchase_rate[rates].to_numpy() == pytest.approx(
        summary.repurchase_rate[rates].to_numpy()
    )
    assert (answer.buyers[~rates] == 0).all()

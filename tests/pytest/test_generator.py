"""The demo-data generator: deterministic, documented, and the bundled demo is its output."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT_ROOT, generate


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", customers=300, seed=3)
    second = generate(tmp_path / "b", customers=300, seed=3)
    other = generate(tmp_path / "c", customers=300, seed=4)
    for table in ("customers", "transactions", "interactions"):
        name = f"{table}.csv"
        assert filecmp.cmp(first / name, second / name, shallow=False), name
        assert not filecmp.cmp(first / name, other / name, shallow=False), name


def test_bundled_demo_data_is_the_default_generator_output(tmp_path: Path) -> None:
    regenerated = generate(tmp_path / "demo")
    for table in ("customers", "transactions", "interactions"):
        name = f"{table}.csv"
        assert filecmp.cmp(regenerated / name, PROJECT_ROOT / "data/demo" / name, shallow=False), (
            f"data/demo/{name} is stale: run `make demo-data`"
        )


def test_cli_help_documents_every_option() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "custseg.generate", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    for option in ("--customers", "--transactions", "--start", "--end", "--seed", "--out"):
        assert option in completed.stdout
    assert "--format" in completed.stdout
    assert "--bad-row-share" in completed.stdout

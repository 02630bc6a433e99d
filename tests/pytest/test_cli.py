"""The one command line: `custseg <command>`, each command's --help, and the old names."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import PROJECT_ROOT

from custseg.cli import COMMANDS


def custseg(*args: str, module: str = "custseg") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_help_lists_every_command() -> None:
    done = custseg("--help")
    assert done.returncode == 0, done.stderr
    for command in COMMANDS:
        assert f"  {command} " in done.stdout, command


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_has_its_own_help(command: str) -> None:
    done = custseg(command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: custseg {command} "), done.stdout[:200]


def test_an_unknown_command_is_a_usage_error() -> None:
    done = custseg("segment-everything")
    assert done.returncode == 2
    assert "unknown command 'segment-everything'" in done.stderr


def test_no_command_prints_the_usage_and_fails() -> None:
    done = custseg()
    assert done.returncode == 2
    assert "usage: custseg <command>" in done.stdout


@pytest.mark.parametrize(
    "module", ["custseg.generate", "custseg.refresh", "custseg.compare_marts", "custseg.benchmark"]
)
def test_the_old_module_names_still_work(module: str) -> None:
    done = custseg("--help", module=module)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: custseg "), done.stdout[:200]


def test_a_command_passes_its_exit_code_through(tmp_path) -> None:
    missing = tmp_path / "missing.duckdb"
    done = custseg("compare-marts", str(missing), str(missing))
    assert done.returncode != 0

"""The project state measured: the working tree's commit and uncommitted files, or a fixed
revision exported with ``git archive``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any


def _git(repo: Path, *args: str) -> str | None:
    completed = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() if completed.returncode == 0 else None


def export_project(repo: Path, rev: str, dest: Path) -> dict[str, Any]:
    """`git archive <rev>` of the repo into dest: a fixed project state, whatever is being
    edited in the working tree meanwhile (nothing in the repo is written)."""
    import io
    import tarfile

    commit = _git(repo, "rev-parse", "--verify", f"{rev}^{{commit}}")
    if commit is None:
        raise SystemExit(f"--project-rev {rev!r} is not a commit of {repo}")
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", commit], capture_output=True, check=True
    ).stdout
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return {"dir": str(dest), "git_commit": commit, "source": f"git archive {rev} of {repo}"}


def project_info(project_dir: Path) -> dict[str, Any]:
    """The project state measured: commit, and files differing from it (working tree)."""
    commit = _git(project_dir, "rev-parse", "HEAD")
    changed = _git(
        project_dir,
        "status",
        "--porcelain",
        "--",
        "models",
        "macros",
        "seeds",
        "tests/data_tests",
        "dbt_project.yml",
        "profiles",
    )
    return {
        "dir": str(project_dir),
        "git_commit": commit,
        "uncommitted_project_files": changed.splitlines() if changed else [],
    }

"""The dbt project and CLI resource. The manifest is prepared at setup, not at import."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

# dbt is installed beside this Python; dagster-dbt's preparer looks for it on PATH
_VENV_BIN = str(Path(sys.executable).parent)
if _VENV_BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _VENV_BIN + os.pathsep + os.environ.get("PATH", "")

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()  # acts only under `dagster dev`


def dbt_executable() -> str:
    return shutil.which("dbt") or "dbt"


def manifest_is_stale() -> bool:
    """Missing, or older than any file of the dbt project (a model edited since the last parse)."""
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", *(
        f for folder in ("models", "macros", "seeds", "tests") for f in (DBT_PROJECT_DIR / folder).rglob("*")
        if f.is_file())]
    return any(f.stat().st_mtime > built for f in sources)


def prepare_manifest(force: bool = False) -> Path:
    """Run `dbt parse` when the manifest is missing or stale (setup, tests, `cip run`, `cip ui`)."""
    if force or manifest_is_stale():
        dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())

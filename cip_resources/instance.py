"""The Dagster instance settings `cip` keeps in DAGSTER_HOME/dagster.yaml.

Runs queue one at a time: every job writes the one DuckDB warehouse, which takes a single writer,
so the 02:00 refresh, the Sunday retrain and an inbox-triggered refresh wait their turn instead of
colliding. A dagster.yaml the user wrote (without the first line below) is left alone.
"""

from __future__ import annotations

from pathlib import Path

MARKER = "# Written by cip (cip_resources/instance.py); delete this line to keep your own edits."

INSTANCE_YAML = f"""{MARKER}
concurrency:
  runs:
    max_concurrent_runs: 1   # the warehouse has one writer: runs queue instead of colliding
telemetry:
  enabled: false
"""


def write_instance_settings(dagster_home: Path) -> Path:
    """Create or update DAGSTER_HOME/dagster.yaml, unless the user has made it their own."""
    path = Path(dagster_home) / "dagster.yaml"
    if path.exists():
        current = path.read_text()
        if not current.startswith(MARKER) or current == INSTANCE_YAML:
            return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(INSTANCE_YAML)
    return path

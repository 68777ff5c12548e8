"""One way for an asset to say it had nothing to do: a warning in the run log and a `skipped` metadata
entry in the UI, so a skipped step is never mistaken for an empty success."""

from __future__ import annotations

import dagster as dg


def skipped(context: dg.AssetExecutionContext | None, reason: str, **metadata) -> dg.MaterializeResult:
    if context is not None:
        context.log.warning(f"skipped: {reason}")
    return dg.MaterializeResult(metadata={"skipped": reason, **metadata})

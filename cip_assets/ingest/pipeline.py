"""Ingest the configured sources (and files dropped in the inbox) into one raw table.

The inbox: a file dropped in `CIP_HOME/inbox/<adapter>/` is ingested with that adapter's defaults; a
JSON sidecar `<file>.json` may add options (validated like a source of `cip.yaml`, unknown keys refused).
A bad inbox file never stops the others: a malformed sidecar, an unknown file type or a file that cannot
be read is moved to `inbox/_quarantine/<adapter>/` with `<file>.reason.txt` beside it saying why, and the
other files load. A file touched within the last `ingest.inbox_settle_seconds` may still be arriving: it
is left in place (and retried next run) rather than quarantined. A configured source (`cip.yaml`) that
cannot be read still stops the asset with an error naming the file: that is the operator's own config.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cip_assets.ingest.adapters import ADAPTERS, tables_fed
from cip_assets.ingest.contract import ensure_raw_schema
from cip_assets.ingest.load import LoadResult, already_ingested, load_feed
from cip_assets.ingest.readers import (IngestLimits, SourceFileError, close_source, content_hash, file_kind,
                                       open_source)
from cip_resources.config_model import parse_sidecar
from cip_resources.settings import CipConfig, ConfigError, Paths, SourceConfig

QUARANTINE = "_quarantine"
IN_PROGRESS_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", "~")  # copies still being written


class InboxFileError(ValueError):
    """An inbox file that cannot be ingested: the reason goes beside it in the quarantine."""


def check_config(config: CipConfig) -> None:
    """Fail early, naming the source, on adapters or tables CIP does not know."""
    for source in config.sources:
        if source.adapter not in ADAPTERS:
            raise ConfigError(f"source {source.name!r}: unknown adapter {source.adapter!r}; "
                              f"known: {', '.join(sorted(ADAPTERS))}")
        try:
            tables_fed(source.adapter, source.options)
        except SourceFileError as exc:
            raise ConfigError(f"source {source.name!r}: {exc}") from exc


# ------------------------------------------------------------------ the inbox
@dataclass(frozen=True)
class InboxFile:
    adapter: str
    path: Path
    sidecar: Path | None  # `<file>.json`, when there is one

    @property
    def name(self) -> str:
        return f"inbox/{self.adapter}/{self.path.name}"

    def version(self) -> str:
        """Size and modification time of the file and its sidecar: any change is a new version."""
        parts = []
        for p in (self.path, self.sidecar):
            if p is not None:
                stat = p.stat()
                parts.append(f"{stat.st_size}-{stat.st_mtime_ns}")
        return "+".join(parts)

    def age_seconds(self, now: float | None = None) -> float:
        """Seconds since the file or its sidecar last changed."""
        mtimes = [p.stat().st_mtime for p in (self.path, self.sidecar) if p is not None]
        return (now if now is not None else time.time()) - max(mtimes)


def inbox_files(paths: Paths) -> list[InboxFile]:
    """Every data file in `inbox/<adapter>/` (sidecars, hidden files and partial downloads left out)."""
    found = []
    if not paths.inbox.exists():
        return found
    for folder in sorted(p for p in paths.inbox.iterdir()
                         if p.is_dir() and p.name in ADAPTERS and p.name != "synthetic"):
        for file in sorted(folder.iterdir()):
            name = file.name.lower()
            if (file.name.startswith(".") or name.endswith(".json") or name.endswith(IN_PROGRESS_SUFFIXES)
                    or not file.is_file()):
                continue
            sidecar = file.with_name(file.name + ".json")
            found.append(InboxFile(folder.name, file, sidecar if sidecar.is_file() else None))
    return found


def inbox_source(item: InboxFile) -> SourceConfig:
    """The source an inbox file stands for; InboxFileError (the reason) for an unknown type or a bad sidecar."""
    try:
        file_kind(item.path)
    except SourceFileError as exc:
        raise InboxFileError(str(exc)) from None
    options = {}
    if item.sidecar is not None:
        try:
            data = json.loads(item.sidecar.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InboxFileError(f"{item.sidecar}: not a valid JSON sidecar: {exc}") from None
        try:
            options = parse_sidecar(item.adapter, data, str(item.sidecar))
        except ConfigError as exc:
            raise InboxFileError(str(exc)) from None
        try:
            tables_fed(item.adapter, options)
        except SourceFileError as exc:
            raise InboxFileError(f"{item.sidecar}: {exc}") from None
    return SourceConfig(name=item.name, adapter=item.adapter, path=item.path, options=options)


def quarantine(paths: Paths, item: InboxFile, reason: str) -> Path:
    """Move the file (and its sidecar) to `inbox/_quarantine/<adapter>/`, with `<file>.reason.txt` saying why."""
    folder = paths.inbox / QUARANTINE / item.adapter
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / item.path.name
    if target.exists() or target.with_name(target.name + ".reason.txt").exists():
        target = folder / f"{time.strftime('%Y%m%dT%H%M%S')}-{item.path.name}"
    shutil.move(str(item.path), str(target))
    if item.sidecar is not None and item.sidecar.exists():
        shutil.move(str(item.sidecar), str(target.with_name(target.name + ".json")))
    target.with_name(target.name + ".reason.txt").write_text(
        f"{reason}\n\nquarantined {time.strftime('%Y-%m-%d %H:%M:%S')} from {item.path}\n"
        f"Fix the file (or its .json sidecar) and move it back to {item.path.parent} to ingest it.\n")
    return target


def inbox_sources(paths: Paths, limits: IngestLimits | None = None) -> list[SourceConfig]:
    """The inbox files that can be ingested; bad ones that have settled are quarantined on the way."""
    limits = limits or IngestLimits()
    found = []
    for item in inbox_files(paths):
        try:
            found.append(inbox_source(item))
        except InboxFileError as exc:
            if item.age_seconds() >= limits.inbox_settle_seconds:
                quarantine(paths, item, str(exc))
    return found


def all_sources(config: CipConfig, paths: Paths) -> list[SourceConfig]:
    return [*config.sources, *inbox_sources(paths, IngestLimits.from_config(config.raw))]


# ------------------------------------------------------------------ ingesting
def locate(source: SourceConfig, table: str, paths: Paths) -> Path:
    """The file that feeds `table`; the synthetic source is generated here on first use."""
    if source.adapter != "synthetic":
        return source.path
    from cip_assets.ingest import synthetic

    params = {"customers": int(source.get("customers", 2000)), "seed": int(source.get("seed", 42))}
    for key in ("start", "end"):
        if source.get(key):
            params[key] = str(source.get(key))
    if source.get("lines_per_customer"):
        params["lines_per_customer"] = float(source.get("lines_per_customer"))
    folder = source.path or paths.synthetic / "-".join(f"{k}{v}" for k, v in sorted(params.items()))
    if not (folder / "manifest.json").exists():
        synthetic.generate(folder, with_events=source.get("events", True) is not False, **params)
    return folder / table


def ingest_source(con: duckdb.DuckDBPyConnection, source: SourceConfig, table: str, paths: Paths,
                  limits: IngestLimits) -> LoadResult:
    """Read one source's file and load what it feeds into `table` (skipped when the same bytes came before)."""
    path = locate(source, table, paths)
    file_hash = content_hash(path)
    if already_ingested(con, table, file_hash):
        return LoadResult(source.name, source.adapter, table, str(path), unchanged=True)
    options = {**source.options, "_source_name": source.name}
    try:
        columns = open_source(con, path, sheet=source.get("sheet"), delimiter=source.get("delimiter"),
                              encoding=source.get("encoding"), limits=limits)
        feed_sql = ADAPTERS[source.adapter].feed_sql(table, columns, path, options)
        return load_feed(
            con, feed_sql=feed_sql, table_name=table, source=source.name, adapter=source.adapter,
            file_label=str(path), file_hash=file_hash, date_format=source.get("date_format"), file_rejects=True,
        )
    finally:
        close_source(con)


def ingest_table(con: duckdb.DuckDBPyConnection, config: CipConfig, table: str, paths: Paths) -> list[LoadResult]:
    check_config(config)
    ensure_raw_schema(con)
    limits = IngestLimits.from_config(config.raw)
    results = []
    for source in config.sources:  # the operator's own config: an unreadable file is an error
        if table in tables_fed(source.adapter, source.options):
            results.append(ingest_source(con, source, table, paths, limits))
    for item in inbox_files(paths):  # dropped files: a bad one is set aside, the others load
        settled = item.age_seconds() >= limits.inbox_settle_seconds
        try:
            source = inbox_source(item)
            if table not in tables_fed(source.adapter, source.options):
                continue
            results.append(ingest_source(con, source, table, paths, limits))
        except (InboxFileError, SourceFileError, duckdb.Error) as exc:
            reason = f"raw.{table}: {exc}" if not isinstance(exc, InboxFileError) else str(exc)
            if settled:
                where = quarantine(paths, item, reason)
                note = f"quarantined to {where}: {reason}"
            else:
                note = f"not read, still arriving? (changed {item.age_seconds():.0f}s ago; retried next run): {reason}"
            results.append(LoadResult(item.name, item.adapter, table, str(item.path), note=note))
    return results

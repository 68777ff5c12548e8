"""Ingest the configured sources (and files dropped in the inbox) into one raw table."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from cip_assets.ingest.adapters import ADAPTERS, tables_fed
from cip_assets.ingest.contract import ensure_raw_schema
from cip_assets.ingest.load import LoadResult, already_ingested, load_feed
from cip_assets.ingest.readers import SourceFileError, content_hash, open_source
from cip_resources.settings import CipConfig, ConfigError, Paths, SourceConfig


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


def inbox_sources(paths: Paths) -> list[SourceConfig]:
    """Files dropped in `inbox/<adapter>/` are ingested with that adapter's defaults.

    A JSON sidecar `<file>.json` may add options (for example the `columns` mapping).
    """
    found = []
    if not paths.inbox.exists():
        return found
    for folder in sorted(p for p in paths.inbox.iterdir() if p.is_dir() and p.name in ADAPTERS):
        for file in sorted(folder.iterdir()):
            if file.name.startswith(".") or file.suffix == ".json" or not file.is_file():
                continue
            sidecar = file.with_name(file.name + ".json")
            options = json.loads(sidecar.read_text()) if sidecar.exists() else {}
            found.append(SourceConfig(name=f"inbox/{folder.name}/{file.name}", adapter=folder.name,
                                      path=file, options=options))
    return found


def all_sources(config: CipConfig, paths: Paths) -> list[SourceConfig]:
    return [*config.sources, *inbox_sources(paths)]


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


def ingest_table(con: duckdb.DuckDBPyConnection, config: CipConfig, table: str, paths: Paths) -> list[LoadResult]:
    check_config(config)
    ensure_raw_schema(con)
    results = []
    for source in all_sources(config, paths):
        if table not in tables_fed(source.adapter, source.options):
            continue
        path = locate(source, table, paths)
        file_hash = content_hash(path)
        if already_ingested(con, table, file_hash):
            results.append(LoadResult(source.name, source.adapter, table, str(path), unchanged=True))
            continue
        options = {**source.options, "_source_name": source.name}
        columns = open_source(con, path, sheet=source.get("sheet"), delimiter=source.get("delimiter"))
        feed_sql = ADAPTERS[source.adapter].feed_sql(table, columns, path, options)
        results.append(load_feed(
            con, feed_sql=feed_sql, table_name=table, source=source.name, adapter=source.adapter,
            file_label=str(path), file_hash=file_hash, date_format=source.get("date_format"),
        ))
    return results

"""Open a source file as a DuckDB view `src` with `_row_number` (1-based data row) and `_file`.

Parquet is scanned by DuckDB in place (it scales to 100M rows); CSV/TSV (optionally gzipped)
is read by Polars as text, so no value is lost to type inference and rows keep their order;
Excel goes through openpyxl. Anything unreadable raises `SourceFileError` naming the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import polars as pl


class SourceFileError(ValueError):
    """A source file that cannot be ingested at all (wrong format, missing column)."""


def file_kind(path: Path) -> str:
    name = path.name.lower()
    if path.is_dir() or name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        return "excel"
    if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz")):
        return "csv"
    raise SourceFileError(f"{path}: unknown file type (expected .parquet, .csv, .tsv, .gz or .xlsx)")


def content_hash(path: Path) -> str:
    """blake2b of the file's bytes (of every part file, in sorted order, for a folder of Parquet parts).

    The name is left out on purpose: a renamed or re-listed copy is the same content and is skipped.
    """
    files = sorted(p for p in path.rglob("*.parquet")) if path.is_dir() else [path]
    digest = hashlib.blake2b(digest_size=20)
    for f in files:
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


def open_source(con: duckdb.DuckDBPyConnection, path: Path, *, sheet: str | int | None = None,
                delimiter: str | None = None) -> list[str]:
    """Create the temp view `src` over the file and return its column names."""
    if not path.exists():
        raise SourceFileError(f"{path}: file not found")
    kind = file_kind(path)
    if kind == "parquet":
        pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
        try:
            con.execute(
                f"""CREATE OR REPLACE TEMP VIEW src AS
                SELECT * EXCLUDE (file_row_number, filename), file_row_number + 1 AS _row_number,
                       filename AS _file
                FROM read_parquet('{_sql_str(pattern)}', file_row_number = true, filename = true)"""
            )
            con.execute("SELECT * FROM src LIMIT 0")
        except duckdb.Error as exc:
            raise SourceFileError(f"{path}: not a readable Parquet file: {exc}") from exc
    else:
        frame = _read_excel(path, sheet) if kind == "excel" else _read_csv(path, delimiter)
        frame = frame.rename({c: c.lstrip("\ufeff").strip() for c in frame.columns})
        frame = frame.with_row_index("_row_number", offset=1).with_columns(
            pl.col("_row_number").cast(pl.Int64), pl.lit(str(path)).alias("_file")
        )
        con.register("src_frame", frame.to_arrow())
        con.execute("CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM src_frame")
    return [c for c in con.execute("SELECT * FROM src LIMIT 0").fetch_arrow_table().column_names
            if c not in ("_row_number", "_file")]


def _read_csv(path: Path, delimiter: str | None) -> pl.DataFrame:
    sep = delimiter or ("\t" if ".tsv" in path.name.lower() else ",")
    try:
        frame = pl.read_csv(path, separator=sep, infer_schema=False, encoding="utf8-lossy",
                            truncate_ragged_lines=False)
    except Exception as exc:  # polars raises several error types for unparseable input
        where = _first_ragged_row(path, sep)
        raise SourceFileError(f"{path}: cannot be parsed as delimited text{where}: {_first_line(exc)}") from exc
    if frame.width <= 1:  # one column is almost always a wrong delimiter or not a CSV at all
        raise SourceFileError(f"{path}: found a single column {frame.columns!r}; wrong delimiter or not a CSV")
    return frame


def _first_ragged_row(path: Path, sep: str) -> str:
    """On the error path only: find the first data row whose field count differs from the header's."""
    import csv
    import gzip

    try:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:
            rows = csv.reader(fh, delimiter=sep)
            header = next(rows)
            for number, row in enumerate(rows, start=1):
                if len(row) > len(header):
                    return f" (row {number} has {len(row)} fields, the header {len(header)}: {row[len(header)]!r} is past the last column {header[-1]!r})"
    except Exception:  # a truncated gzip or binary file: polars' own message says enough
        return ""
    return ""


def _read_excel(path: Path, sheet: str | int | None) -> pl.DataFrame:
    import pandas as pd

    try:
        frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str, engine="openpyxl")
    except ValueError as exc:  # e.g. the sheet is missing
        raise SourceFileError(f"{path}: {exc}") from exc
    except Exception as exc:  # zipfile.BadZipFile, openpyxl InvalidFileException, ...
        raise SourceFileError(f"{path}: not a readable Excel workbook ({type(exc).__name__}: {_first_line(exc)})") from exc
    frame.columns = [str(c) for c in frame.columns]
    return pl.from_pandas(frame.astype(object).where(frame.notna(), None)).cast(pl.Utf8)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _sql_str(value: str) -> str:
    return value.replace("'", "''")

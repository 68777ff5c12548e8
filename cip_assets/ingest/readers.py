"""Open a source file as a DuckDB view `src` with `_row_number` (1-based data row) and `_file`.

Parquet is scanned by DuckDB in place (it scales to 100M rows). CSV/TSV (optionally gzipped) is read
by DuckDB as text (`all_varchar`, so no value is lost to type inference) into a temp table that spills
to disk, never whole into Python memory; rows keep their order and their number in the file. Excel goes
through openpyxl. Anything unreadable raises `SourceFileError` naming the file.

Bounded and honest:
- a `.gz` is decompressed once as a stream before it is read, stopping at `ingest.max_uncompressed_mb`
  (a small gzip that expands to gigabytes is an error naming the file, not a full disk), and a truncated
  gzip is an error instead of a silently shorter file; an Excel workbook is checked against
  `ingest.max_workbook_mb` from its zip directory before openpyxl opens it;
- the `encoding` option (default utf-8) decodes the text; DuckDB reads utf-8, utf-16 and latin-1, any
  other codec Python knows (cp1252, ...) is transcoded to a temporary UTF-8 file first. A row that cannot
  be decoded is rejected with its reason, never loaded with replacement characters;
- a row with more or fewer fields than the header (or another malformed row) is rejected on its own, with
  its line and reason, and the other rows load. These file-level rejects are in the temp table
  `src_rejects` (_row_number, _file, reason, payload), which `load.load_feed` records.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from cip_resources.config_model import DUCKDB_ENCODINGS, check_delimiter, check_encoding, validate_section

MB = 1024 * 1024
REPLACEMENT = "\ufffd"  # what an undecodable byte becomes when a file is transcoded: such rows are rejected
SRC_REJECTS_DDL = """CREATE OR REPLACE TEMP TABLE src_rejects (
    _row_number BIGINT, _file VARCHAR, reason VARCHAR, payload JSON)"""


class SourceFileError(ValueError):
    """A source file that cannot be ingested at all (wrong format, missing column, too large)."""


@dataclass(frozen=True)
class IngestLimits:
    """`ingest:` in cip.yaml (keys listed in cip_resources/config_model.py); the defaults are here."""

    max_uncompressed_mb: float = 20_000  # CSV/TSV, a .gz counted as it expands (DuckDB spills to disk)
    max_workbook_mb: float = 500  # the uncompressed parts of an Excel workbook (openpyxl holds it in memory)
    inbox_settle_seconds: float = 10  # an inbox file untouched this long is taken as complete

    @classmethod
    def from_config(cls, raw: dict | None) -> "IngestLimits":
        section = validate_section("ingest", (raw or {}).get("ingest"))
        given = {k: v for k, v in (section.model_dump() if section else {}).items() if v is not None}
        return cls(**given)


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


def sql_literal(value: str) -> str:
    """A DuckDB string literal: quotes doubled (DuckDB strings have no backslash escapes)."""
    text = str(value)
    if "\x00" in text:
        raise SourceFileError(f"a NUL character is not allowed in {text!r}")
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """A DuckDB identifier, whatever its characters."""
    return '"' + str(name).replace('"', '""') + '"'


def open_source(con: duckdb.DuckDBPyConnection, path: Path, *, sheet: str | int | None = None,
                delimiter: str | None = None, encoding: str | None = None,
                limits: IngestLimits | None = None) -> list[str]:
    """Create the temp view `src` (and the table `src_rejects`) over the file; return its column names."""
    limits = limits or IngestLimits()
    if not path.exists():
        raise SourceFileError(f"{path}: file not found")
    kind = file_kind(path)
    con.execute(SRC_REJECTS_DDL)
    if kind == "parquet":
        pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
        try:
            con.execute(
                f"""CREATE OR REPLACE TEMP VIEW src AS
                SELECT * EXCLUDE (file_row_number, filename), file_row_number + 1 AS _row_number,
                       filename AS _file
                FROM read_parquet({sql_literal(pattern)}, file_row_number = true, filename = true)"""
            )
            con.execute("SELECT * FROM src LIMIT 0")
        except duckdb.Error as exc:
            raise SourceFileError(f"{path}: not a readable Parquet file: {exc}") from exc
    elif kind == "excel":
        frame = _read_excel(path, sheet, limits)
        frame = frame.rename(_clean_names(frame.columns))
        frame = frame.with_row_index("_row_number", offset=1).with_columns(
            pl.col("_row_number").cast(pl.Int64), pl.lit(str(path)).alias("_file")
        )
        con.register("src_frame", frame.to_arrow())
        con.execute("CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM src_frame")
    else:
        _open_csv(con, path, delimiter, encoding, limits)
    return [c for c in con.execute("SELECT * FROM src LIMIT 0").fetch_arrow_table().column_names
            if c not in ("_row_number", "_file")]


def close_source(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what `open_source` made, so a large file's rows do not stay in the connection's memory or temp files."""
    for view in ("src", "_src_numbered"):
        con.execute(f"DROP VIEW IF EXISTS {view}")
    for table in ("_src_rows", "_src_gaps", "_src_csv_errors", "_src_csv_scans", "src_rejects"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    try:
        con.unregister("src_frame")
    except duckdb.Error:
        pass


def _clean_names(names: list[str]) -> dict[str, str]:
    """Header names without a byte-order mark or surrounding blanks, kept unique."""
    out, taken = {}, set()
    for name in names:
        clean = str(name).lstrip("\ufeff").strip() or str(name)
        base, n = clean, 1
        while clean in taken:
            clean, n = f"{base}_{n}", n + 1
        taken.add(clean)
        out[name] = clean
    return out


# ------------------------------------------------------------------ delimited text
def _open_csv(con: duckdb.DuckDBPyConnection, path: Path, delimiter: str | None, encoding: str | None,
              limits: IngestLimits) -> None:
    try:
        sep = check_delimiter(delimiter) if delimiter is not None else ("\t" if ".tsv" in path.name.lower() else ",")
        codec = check_encoding(encoding or "utf-8")
    except ValueError as exc:
        raise SourceFileError(f"{path}: {exc}") from None
    gz = path.name.lower().endswith(".gz")
    cap = int(limits.max_uncompressed_mb * MB)
    native = DUCKDB_ENCODINGS.get(codec)
    transcoded = None
    try:
        if native:
            _check_text_size(path, gz, cap, limits.max_uncompressed_mb)
            target, compression = path, "gzip" if gz else "none"
        else:
            transcoded = _transcode(path, gz, codec, cap, limits.max_uncompressed_mb)
            target, compression, native = transcoded, "none", "utf-8"
        con.execute("DROP TABLE IF EXISTS _src_csv_errors")
        con.execute("DROP TABLE IF EXISTS _src_csv_scans")
        try:
            # every dialect option pinned (only the line ending is sniffed): a '#' is data, not a comment
            con.execute(
                """CREATE OR REPLACE TEMP TABLE _src_rows AS
                SELECT * FROM read_csv(?, delim = ?, quote = '"', escape = '"', header = true, skip = 0,
                                       comment = '', all_varchar = true, encoding = ?, compression = ?,
                                       null_padding = false, store_rejects = true,
                                       rejects_table = '_src_csv_errors', rejects_scan = '_src_csv_scans')""",
                [str(target), sep, native, compression],
            )
        except duckdb.Error as exc:
            raise SourceFileError(f"{path}: cannot be parsed as delimited text: {_first_line(exc)}") from exc
    finally:
        if transcoded is not None:
            transcoded.unlink(missing_ok=True)
    names = [r[0] for r in con.execute("DESCRIBE _src_rows").fetchall()]
    if len(names) <= 1:  # one column is almost always a wrong delimiter or not a CSV at all
        raise SourceFileError(f"{path}: found a single column {names!r}; wrong delimiter or not a CSV "
                              f"(set 'delimiter' for the source)")
    file = sql_literal(str(path))
    con.execute(
        f"""INSERT INTO src_rejects
        SELECT line - 1, {file}, string_agg(reason, '; ' ORDER BY reason) || ' (line ' || line || ')',
               to_json({{'line': line, 'text': any_value(csv_line)}})
        FROM (SELECT line, error_type, arg_min({_reason(codec)}, column_idx) AS reason, any_value(csv_line) AS csv_line
              FROM _src_csv_errors GROUP BY line, error_type)  -- a short row is one error per missing column
        GROUP BY line""",
    )
    renamed = ", ".join(f"s.{quote_ident(n)} AS {quote_ident(c)}" for n, c in _clean_names(names).items())
    # good rows keep their number in the file: rowid counts only the rows read, so each is moved past the
    # rejected rows before it (k: how many good rows precede the j-th reject; c: rejects up to it)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _src_gaps AS
        SELECT k, max(c) AS c FROM (
            SELECT _row_number - 1 - (row_number() OVER (ORDER BY _row_number) - 1) AS k,
                   row_number() OVER (ORDER BY _row_number) AS c
            FROM src_rejects) GROUP BY k"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW _src_numbered AS
        SELECT {renamed}, (s._rid + 1 + coalesce(g.c, 0))::BIGINT AS _row_number, {file} AS _file
        FROM (SELECT rowid AS _rid, * FROM _src_rows) s ASOF LEFT JOIN _src_gaps g ON s._rid >= g.k"""
    )
    if transcoded is None:
        con.execute("CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM _src_numbered")
        return
    # transcoded with errors='replace': a row holding U+FFFD had bytes the encoding cannot decode
    text = "concat_ws('', " + ", ".join(quote_ident(c) for c in _clean_names(names).values()) + ")"
    undecodable = f"contains(coalesce({text}, ''), chr({ord(REPLACEMENT)}))"
    con.execute(
        f"""INSERT INTO src_rejects
        SELECT _row_number, _file, {sql_literal(f'cannot be decoded as {codec}')}, to_json(n)
        FROM _src_numbered n WHERE {undecodable}"""
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM _src_numbered WHERE NOT {undecodable}")


def _reason(codec: str) -> str:
    """SQL: the reason for a row DuckDB's CSV reader rejected (one row of its rejects table)."""
    return f"""CASE error_type
    WHEN 'TOO MANY COLUMNS' THEN 'malformed row: ' || regexp_extract(error_message, 'Found: (\\d+)', 1)
        || ' fields where the header has ' || regexp_extract(error_message, 'Columns: (\\d+)', 1)
    WHEN 'MISSING COLUMNS' THEN 'malformed row: ' || regexp_extract(error_message, 'Found: (\\d+)', 1)
        || ' fields where the header has ' || regexp_extract(error_message, 'Columns: (\\d+)', 1)
    WHEN 'INVALID ENCODING' THEN {sql_literal(f"cannot be decoded as {codec} (set the source's 'encoding')")}
    WHEN 'UNQUOTED VALUE' THEN 'malformed row: a quote inside an unquoted value'
    WHEN 'LINE SIZE OVER MAXIMUM' THEN 'malformed row: the line is longer than the reader''s maximum'
    ELSE 'malformed row: ' || split_part(error_message, chr(10), 1) END"""


def _gzip_error(path: Path, exc: Exception) -> SourceFileError:
    return SourceFileError(f"{path}: cannot be parsed as delimited text: truncated or corrupt gzip "
                           f"({type(exc).__name__}: {_first_line(exc)})")


def _too_large(path: Path, cap_mb: float) -> SourceFileError:
    return SourceFileError(f"{path}: expands to more than {cap_mb:g} MB of text (ingest.max_uncompressed_mb); "
                           "raise the limit in cip.yaml if the file is genuine")


def _check_text_size(path: Path, gz: bool, cap: int, cap_mb: float) -> None:
    """Plain files: their size. A .gz: decompressed as a stream and counted, stopping at the cap; this also
    catches a truncated gzip, which DuckDB would read as a shorter file without a word."""
    if not gz:
        if path.stat().st_size > cap:
            raise _too_large(path, cap_mb)
        return
    total = 0
    try:
        with gzip.open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                total += len(block)
                if total > cap:
                    raise _too_large(path, cap_mb)
    except (EOFError, OSError, zlib.error) as exc:
        raise _gzip_error(path, exc) from exc


def _transcode(path: Path, gz: bool, codec: str, cap: int, cap_mb: float) -> Path:
    """The file re-encoded as UTF-8 in a temporary file, streamed; undecodable bytes become U+FFFD (and their
    rows rejects). The input is counted against the cap as it is read."""
    fd, name = tempfile.mkstemp(prefix="cip-transcoded-", suffix=".csv")
    out_path = Path(name)
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    total = 0
    try:
        with (gzip.open(path, "rb") if gz else path.open("rb")) as src, os.fdopen(fd, "wb") as out:
            for block in iter(lambda: src.read(1 << 22), b""):
                total += len(block)
                if total > cap:
                    raise _too_large(path, cap_mb)
                out.write(decoder.decode(block).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except SourceFileError:
        out_path.unlink(missing_ok=True)
        raise
    except (EOFError, OSError, zlib.error) as exc:
        out_path.unlink(missing_ok=True)
        raise (_gzip_error(path, exc) if gz else SourceFileError(f"{path}: cannot be read: {exc}")) from exc
    return out_path


# ------------------------------------------------------------------ Excel
def _read_excel(path: Path, sheet: str | int | None, limits: IngestLimits) -> pl.DataFrame:
    import pandas as pd

    try:
        with zipfile.ZipFile(path) as book:
            expanded = sum(info.file_size for info in book.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceFileError(f"{path}: not a readable Excel workbook ({type(exc).__name__}: {_first_line(exc)})") \
            from exc
    if expanded > limits.max_workbook_mb * MB:
        raise SourceFileError(f"{path}: the workbook expands to {expanded / MB:,.0f} MB, over the "
                              f"{limits.max_workbook_mb:g} MB limit (ingest.max_workbook_mb); raise the limit in "
                              "cip.yaml or deliver the sheet as CSV")
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

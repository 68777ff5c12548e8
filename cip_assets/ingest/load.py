"""Validate a mapped source relation against the contract and load it, losing nothing.

Every row read ends in exactly one place: the raw table (loaded), `raw.rejected_rows` (with
the reason, naming the column, and the original row as JSON), counted as already loaded
(its key came in with an earlier file) or counted as a duplicate (an exact copy of another
row of the same file). Rows without an id of their own get a key from their content
(`contract.content_key_sql`), so an export delivered again, renamed, under another source
name or with rows added anywhere, loads only the rows that are new. A file whose bytes are
in `raw.ingest_ledger` for the same table is skipped, whatever its name or source. Rows the reader
could not take apart (a ragged or undecodable row, `src_rejects`) are rejects too, with their reason.
All the work is SQL inside DuckDB, in one transaction per file and table. The source's `date_format`
is a bound parameter, never text pasted into the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from cip_assets.ingest.contract import RAW_TABLES, RawTable, content_key_sql
from cip_assets.ingest.readers import SourceFileError
from cip_resources.config_model import check_date_format

TRUE_WORDS = ("1", "1.0", "true", "t", "yes", "y")
FALSE_WORDS = ("0", "0.0", "false", "f", "no", "n")


@dataclass
class LoadResult:
    source: str
    adapter: str
    table: str
    file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_already_loaded: int = 0
    rows_duplicate: int = 0  # exact copies of another row of the same file
    unchanged: bool = False  # the same content was ingested before: nothing done
    note: str | None = None  # an inbox file not read: quarantined (why), or still arriving
    top_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.rows_read == (self.rows_loaded + self.rows_rejected + self.rows_already_loaded
                                  + self.rows_duplicate)


DATE_FORMAT_PARAM = "$date_format"  # bound by load_feed: a format is data, never SQL


def cast_expr(column: str, duck_type: str, date_format: str | None = None) -> str:
    """SQL casting the mapped text column to its contract type. With a `date_format`, timestamps are parsed with
    it through the bound parameter `$date_format` (the caller passes {"date_format": ...})."""
    col = f'"{column}"'
    if duck_type == "BOOLEAN":
        text = f"lower(trim({col}::VARCHAR))"
        return (f"CASE WHEN {text} IN {TRUE_WORDS} THEN true "
                f"WHEN {text} IN {FALSE_WORDS} THEN false END")
    if duck_type == "INTEGER":
        num = f"TRY_CAST({col} AS DOUBLE)"
        return f"CASE WHEN {num} = round({num}) AND abs({num}) < 2147483647 THEN {num}::INTEGER END"
    if duck_type == "TIMESTAMP" and date_format:
        return f"COALESCE(TRY_STRPTIME({col}::VARCHAR, {DATE_FORMAT_PARAM}), TRY_CAST({col} AS TIMESTAMP))"
    if duck_type == "VARCHAR":
        return f"NULLIF(trim({col}::VARCHAR), '')"
    return f"TRY_CAST({col} AS {duck_type})"


def _reason_exprs(table: RawTable, mapped: set[str], derived: str | None) -> list[str]:
    reasons = []
    for column, duck_type in table.columns.items():
        if column in mapped and duck_type != "VARCHAR":
            reasons.append(
                f"""CASE WHEN "_raw_{column}" IS NOT NULL AND trim("_raw_{column}"::VARCHAR) <> ''
                    AND "{column}" IS NULL THEN 'column {column}: cannot read ''' ||
                    left("_raw_{column}"::VARCHAR, 60) || ''' as {duck_type}' END"""
            )
    for column in (c for c in table.required if c != derived):
        reasons.append(f"""CASE WHEN "{column}" IS NULL THEN 'column {column}: required value missing' END""")
    for rule, reason in table.rules:
        reasons.append(f"CASE WHEN NOT ({rule}) THEN 'column {reason}' END")
    return reasons


def already_ingested(con: duckdb.DuckDBPyConnection, table: str, file_hash: str) -> bool:
    """The same bytes went into this table before, under any name, path or source."""
    return con.execute(
        "SELECT count(*) FROM raw.ingest_ledger WHERE raw_table = ? AND file_hash = ?", [table, file_hash],
    ).fetchone()[0] > 0


def load_feed(con: duckdb.DuckDBPyConnection, *, feed_sql: str, table_name: str, source: str, adapter: str,
              file_label: str, file_hash: str, date_format: str | None = None,
              file_rejects: bool = False) -> LoadResult:
    """Validate `feed_sql` (canonical columns + `_row_number`, `_file`, over the view `src`) and load it.

    `file_rejects`: also record the rows the reader rejected (the temp table `src_rejects`), counted as read
    and rejected."""
    table = RAW_TABLES[table_name]
    if date_format is not None:
        try:
            check_date_format(date_format)
        except ValueError as exc:
            raise SourceFileError(f"{file_label}: date_format: {exc}") from None
    result = LoadResult(source=source, adapter=adapter, table=table_name, file=file_label)
    mapped = set(con.execute(f"SELECT * FROM ({feed_sql}) LIMIT 0").fetch_arrow_table().column_names)
    unknown = mapped - set(table.columns) - {"_row_number", "_file"}
    if unknown:
        raise ValueError(f"adapter {adapter} maps unknown columns {sorted(unknown)} onto raw.{table_name}")
    # a feed with no id for the key gets one from its content
    derived = table.key[0] if table.content_key and table.key[0] not in mapped else None
    casts = ",\n".join(
        f'{cast_expr(c, t, date_format)} AS "{c}"' if c in mapped else f'NULL::{t} AS "{c}"'
        for c, t in table.columns.items() if c != "source"
    )
    raws = "".join(f', "{c}" AS "_raw_{c}"' for c in table.columns if c in mapped and c != "source")
    raw_names = "".join(f', "_raw_{c}"' for c in table.columns if c in mapped and c != "source")
    reasons = ",\n".join(_reason_exprs(table, mapped, derived))
    # one window over the rows that share the key (or, with no key in the feed, the content key), ordered by the
    # rest of the row: a row equal to an earlier one in every column is a copy; a second distinct row is a
    # duplicate key, or, for a derived key, the next occurrence of that content (numbered by value, not position)
    group = table.content_key if derived else table.key
    rest = ", ".join(f'"{c}"' for c in table.columns if c in mapped and c != "source" and c not in group)
    window = "PARTITION BY _reason IS NULL, " + ", ".join(f'"{c}"' for c in group)
    window += f" ORDER BY {rest}" if rest else ""
    settle = (f'{content_key_sql(table, "_occurrence")} AS "{derived}"' if derived else
              f"""CASE WHEN _reason IS NULL AND NOT _duplicate AND _occurrence > 1
                  THEN 'duplicate key ({', '.join(table.key)}) within the file' ELSE _reason END AS _reason""")
    already = f"EXISTS (SELECT 1 FROM {table.qualified} t WHERE " + " AND ".join(
        f't."{k}" = v."{k}"' for k in table.key) + ")"
    parses_dates = bool(date_format) and any(t == "TIMESTAMP" for c, t in table.columns.items() if c in mapped)
    params = {"date_format": date_format} if parses_dates else None
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _typed AS
            WITH mapped AS ({feed_sql}),
            typed AS (SELECT _row_number, _file, {casts} {raws} FROM mapped),
            checked AS (SELECT *, NULLIF(concat_ws('; ', {reasons}), '') AS _reason FROM typed),
            marked AS (SELECT * EXCLUDE (_reason {raw_names}), _reason,
                              _reason IS NULL AND row_number() OVER w > rank() OVER w AS _duplicate,
                              dense_rank() OVER w AS _occurrence
                       FROM checked WINDOW w AS ({window})),
            deduped AS (SELECT * REPLACE ({settle}) FROM marked)
            SELECT * EXCLUDE (_occurrence), (_reason IS NULL AND NOT _duplicate AND {already}) AS _already
            FROM deduped v""", params
        )
        columns = [c for c in table.columns if c != "source"]
        col_list = ", ".join(f'"{c}"' for c in columns)
        con.execute(
            f"""INSERT INTO {table.qualified} ({col_list}, source)
            SELECT {col_list}, ? FROM _typed WHERE _reason IS NULL AND NOT _duplicate AND NOT _already""",
            [source],
        )
        con.execute(
            f"""INSERT INTO raw.rejected_rows
            SELECT ?, r._file, ?, r._row_number, r._reason, to_json(s), now()::TIMESTAMP
            FROM _typed r LEFT JOIN src s ON s._file = r._file AND s._row_number = r._row_number
            WHERE r._reason IS NOT NULL""",
            [source, table_name],
        )
        unreadable = "SELECT NULL::VARCHAR AS reason WHERE false"
        if file_rejects:  # rows the reader could not take apart: rejects of this table too
            con.execute(
                """INSERT INTO raw.rejected_rows
                SELECT ?, _file, ?, _row_number, reason, payload, now()::TIMESTAMP FROM src_rejects""",
                [source, table_name],
            )
            unreadable = "SELECT reason FROM src_rejects"
        read, loaded, rejected, already, duplicate = con.execute(
            f"""SELECT count(*) + (SELECT count(*) FROM ({unreadable})),
                      count(*) FILTER (WHERE _reason IS NULL AND NOT _duplicate AND NOT _already),
                      count(*) FILTER (WHERE _reason IS NOT NULL) + (SELECT count(*) FROM ({unreadable})),
                      count(*) FILTER (WHERE _already), count(*) FILTER (WHERE _duplicate)
               FROM _typed"""
        ).fetchone()
        (result.rows_read, result.rows_loaded, result.rows_rejected, result.rows_already_loaded,
         result.rows_duplicate) = (read, loaded, rejected, already, duplicate)
        result.top_reasons = dict(con.execute(
            f"""SELECT _reason, count(*) FROM (SELECT _reason FROM _typed WHERE _reason IS NOT NULL
                                               UNION ALL SELECT reason FROM ({unreadable}))
               GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5""").fetchall())
        con.execute(
            """INSERT INTO raw.ingest_ledger (source, adapter, file, file_hash, raw_table, rows_read, rows_loaded,
                   rows_rejected, rows_already_loaded, rows_duplicate, ingested_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)""",
            [source, adapter, file_label, file_hash, table_name, read, loaded, rejected, already, duplicate],
        )
        con.execute("DROP TABLE _typed")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return result

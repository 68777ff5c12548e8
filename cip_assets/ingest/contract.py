"""The canonical raw tables every source adapter maps onto (schema `raw`).

One place states each table's columns, types, natural key and hard rules, so the
validator, the warehouse DDL, the dbt sources and the tests all read the same contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATUSES = ("completed", "cancelled", "returned")
EVENT_TYPES = ("view", "cart", "remove_from_cart", "purchase")
CHANNELS = ("review", "support")


@dataclass(frozen=True)
class RawTable:
    name: str
    grain: str
    columns: dict[str, str]  # column -> DuckDB type, in table order
    key: tuple[str, ...]  # natural key, unique in the table
    required: tuple[str, ...]  # must be non-null after casting
    # hard rules: SQL boolean expressions over the *typed* columns that must hold, with the reason
    rules: tuple[tuple[str, str], ...] = field(default=())
    # when a feed has no id for key[0], the loader derives it from these columns (see content_key_sql), so a
    # re-delivered row gets the same key whatever the file, source name or row position
    content_key: tuple[str, ...] = field(default=())

    @property
    def qualified(self) -> str:
        return f"raw.{self.name}"


# written by the loader, never by a feed (a feed may still bring its own event_key)
LOADER_COLUMNS = ("source", "event_key")
# every raw table's last column: when the row was loaded (the loading transaction's start, so one value per load),
# filled by the column default. The incremental dbt models take only rows loaded after their own watermark.
LOADED_AT_DDL = "loaded_at TIMESTAMP DEFAULT now()::TIMESTAMP"

_NOT_FUTURE = "{col} IS NULL OR {col} <= now()::TIMESTAMP + INTERVAL 1 DAY"
_NOT_ANCIENT = "{col} IS NULL OR {col} >= TIMESTAMP '1990-01-01'"


def _date_rules(col: str) -> tuple[tuple[str, str], ...]:
    return (
        (_NOT_FUTURE.format(col=col), f"{col} is in the future"),
        (_NOT_ANCIENT.format(col=col), f"{col} is before 1990"),
    )


def _in(col: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{col} IS NULL OR {col} IN ({listed})"


RAW_TABLES: dict[str, RawTable] = {
    t.name: t
    for t in [
        RawTable(
            name="customers",
            grain="one row per customer",
            columns={
                "customer_id": "VARCHAR",
                "first_seen_at": "TIMESTAMP",
                "country": "VARCHAR",
                "city": "VARCHAR",
                "age": "INTEGER",
                "gender": "VARCHAR",
                "source": "VARCHAR",
            },
            key=("customer_id",),
            required=("customer_id",),
            rules=(("age IS NULL OR age BETWEEN 0 AND 120", "age outside 0-120"),)
            + _date_rules("first_seen_at"),
        ),
        RawTable(
            name="order_lines",
            grain="one row per order line",
            columns={
                "order_id": "VARCHAR",
                "line_no": "INTEGER",
                "customer_id": "VARCHAR",  # null = anonymous order (kept, not a customer)
                "ordered_at": "TIMESTAMP",
                "product_id": "VARCHAR",
                "product_name": "VARCHAR",
                "category": "VARCHAR",
                "quantity": "INTEGER",  # always positive; direction is in status
                "unit_price": "DOUBLE",
                "discount_pct": "DOUBLE",  # 0-100
                "status": "VARCHAR",
                "source": "VARCHAR",
            },
            key=("order_id", "line_no"),
            required=("order_id", "line_no", "ordered_at", "quantity", "unit_price", "status"),
            content_key=("customer_id", "ordered_at", "product_id"),  # who bought what when
            rules=(
                ("unit_price >= 0", "unit_price is negative"),
                ("quantity > 0", "quantity is not positive"),
                ("discount_pct IS NULL OR discount_pct BETWEEN 0 AND 100", "discount_pct outside 0-100"),
                (_in("status", STATUSES), f"status not one of {', '.join(STATUSES)}"),
            )
            + _date_rules("ordered_at"),
        ),
        RawTable(
            name="events",
            grain="one row per behavioural event",
            columns={
                "event_at": "TIMESTAMP",
                "event_type": "VARCHAR",
                "customer_id": "VARCHAR",
                "session_id": "VARCHAR",
                "product_id": "VARCHAR",
                "category": "VARCHAR",
                "brand": "VARCHAR",
                "price": "DOUBLE",
                "source": "VARCHAR",
                "event_key": "VARCHAR",  # last: where ALTER TABLE ADD COLUMN put it in older warehouses
            },
            key=("event_key",),
            required=("event_at", "event_type"),
            content_key=("event_at", "event_type", "customer_id", "session_id", "product_id", "price"),
            rules=(
                (_in("event_type", EVENT_TYPES), f"event_type not one of {', '.join(EVENT_TYPES)}"),
                ("price IS NULL OR price >= 0", "price is negative"),
            )
            + _date_rules("event_at"),
        ),
        RawTable(
            name="feedback",
            grain="one row per review or support message",
            columns={
                "feedback_id": "VARCHAR",
                "customer_id": "VARCHAR",
                "product_id": "VARCHAR",
                "category": "VARCHAR",
                "created_at": "TIMESTAMP",
                "channel": "VARCHAR",
                "rating": "DOUBLE",  # 1-5
                "title": "VARCHAR",
                "text": "VARCHAR",
                "attributes": "JSON",  # extra source columns (sub-ratings, recommended flag, ...)
                "source": "VARCHAR",
            },
            key=("feedback_id",),
            required=("feedback_id", "channel"),
            content_key=("text", "title", "rating", "product_id", "customer_id", "created_at", "channel"),
            rules=(
                ("rating IS NULL OR rating BETWEEN 1 AND 5", "rating outside 1-5"),
                (_in("channel", CHANNELS), f"channel not one of {', '.join(CHANNELS)}"),
                ("text IS NOT NULL OR rating IS NOT NULL", "neither text nor rating"),
            )
            + _date_rules("created_at"),
        ),
        RawTable(
            name="campaign_exposures",
            grain="one row per customer per campaign",
            columns={
                "campaign_id": "VARCHAR",
                "customer_id": "VARCHAR",
                "arm": "VARCHAR",
                "is_control": "BOOLEAN",
                "discount_pct": "DOUBLE",
                "exposed_at": "TIMESTAMP",
                "visited": "BOOLEAN",
                "converted": "BOOLEAN",
                "spend": "DOUBLE",
                "attributes": "JSON",  # pre-treatment covariates shipped with the test
                "source": "VARCHAR",
            },
            key=("campaign_id", "customer_id"),
            required=("campaign_id", "customer_id", "arm", "is_control"),
            rules=(
                ("spend IS NULL OR spend >= 0", "spend is negative"),
                ("discount_pct IS NULL OR discount_pct BETWEEN 0 AND 100", "discount_pct outside 0-100"),
            )
            + _date_rules("exposed_at"),
        ),
        RawTable(
            name="customer_labels",
            grain="one row per labelled customer",
            columns={
                "customer_id": "VARCHAR",
                "churned": "BOOLEAN",
                "labelled_at": "TIMESTAMP",
                "attributes": "JSON",  # every other column of the labelled table
                "source": "VARCHAR",
            },
            key=("customer_id",),
            required=("customer_id", "churned"),
            rules=_date_rules("labelled_at"),
        ),
    ]
}

REJECTED_ROWS_DDL = """
CREATE TABLE IF NOT EXISTS raw.rejected_rows (
    source VARCHAR, file VARCHAR, raw_table VARCHAR, row_number BIGINT,
    reason VARCHAR, payload JSON, rejected_at TIMESTAMP
)"""

INGEST_LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS raw.ingest_ledger (
    source VARCHAR, adapter VARCHAR, file VARCHAR, file_hash VARCHAR, raw_table VARCHAR,
    rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT, rows_already_loaded BIGINT,
    ingested_at TIMESTAMP, rows_duplicate BIGINT DEFAULT 0
)"""

# adapters that used to number rows for a missing id ('<source>-<row number>'), per table; migrated once
_ROW_NUMBER_IDS = {"feedback": ("reviews", "cx_workbook", "table"), "order_lines": ("cx_workbook",)}


def table_ddl(table: RawTable) -> str:
    cols = ",\n    ".join([*(f"{c} {t}" for c, t in table.columns.items()), LOADED_AT_DDL])
    return f"CREATE TABLE IF NOT EXISTS {table.qualified} (\n    {cols}\n)"


def content_key_sql(table: RawTable, occurrence: str) -> str:
    """SQL for a derived key: md5 over the typed content columns and the row's occurrence among its equals.

    `occurrence` numbers the distinct rows that share the content (two 5-star ratings without text for one
    product), ordered by the rest of the row, so a delivery of the same rows in any order or file gives the
    same keys. Doubles are printed with a fixed format so the key does not move with DuckDB's float formatting.
    """
    texts = [f'printf(\'%.6f\', "{c}")' if table.columns[c] == "DOUBLE" else f'"{c}"::VARCHAR'
             for c in table.content_key]
    return f"md5(to_json([{', '.join(texts)}, ({occurrence})::VARCHAR])::VARCHAR)"


def ensure_raw_schema(con) -> None:
    """Create schema `raw` and every canonical table, empty, so downstream never meets a missing table.

    A warehouse built by older code is brought up to date once (`_migrate`); the check is one catalog query.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    existing = dict(con.execute(
        """SELECT table_name, list(column_name) FROM duckdb_columns()
           WHERE database_name = current_database() AND schema_name = 'raw' GROUP BY 1""").fetchall())
    for table in RAW_TABLES.values():
        con.execute(table_ddl(table))
    con.execute(REJECTED_ROWS_DDL)
    con.execute(INGEST_LEDGER_DDL)
    keyless = [t for t in RAW_TABLES.values()
               if t.content_key and t.name in existing and t.key[0] not in existing[t.name]]
    old_ledger = "ingest_ledger" in existing and "rows_duplicate" not in existing["ingest_ledger"]
    if keyless or old_ledger:
        _migrate(con, keyless, old_ledger)
    for table in RAW_TABLES.values():  # rows from before loaded_at count as loaded now: models rebuild once
        if table.name in existing and "loaded_at" not in existing[table.name]:
            con.execute(f"ALTER TABLE {table.qualified} ADD COLUMN {LOADED_AT_DDL}")


def _migrate(con, keyless: list[RawTable], old_ledger: bool) -> None:
    """Yesterday's warehouse, in one transaction: add the derived key columns (raw.events.event_key) and fill
    them for the rows already there, add the ledger's rows_duplicate, and replace the row-number ids older
    adapters made up ('<source>-<n>') by content keys, so files delivered again match the rows they loaded."""
    con.execute("BEGIN TRANSACTION")
    try:
        for table in keyless:
            key = table.key[0]
            con.execute(f"ALTER TABLE {table.qualified} ADD COLUMN IF NOT EXISTS {key} {table.columns[key]}")
            _fill_key(con, table, "true")
        if old_ledger:
            con.execute("ALTER TABLE raw.ingest_ledger ADD COLUMN IF NOT EXISTS rows_duplicate BIGINT DEFAULT 0")
            for name, adapters in _ROW_NUMBER_IDS.items():
                table, key = RAW_TABLES[name], RAW_TABLES[name].key[0]
                listed = ", ".join(f"'{a}'" for a in adapters)
                _fill_key(con, table, f"""starts_with({key}, source || '-')
                    AND TRY_CAST(substr({key}, length(source) + 2) AS BIGINT) IS NOT NULL
                    AND source IN (SELECT source FROM raw.ingest_ledger
                                   WHERE raw_table = '{name}' AND adapter IN ({listed}))""")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _fill_key(con, table: RawTable, where: str) -> None:
    """The key the loader would give these rows (same occurrence rule as `load.load_feed`)."""
    key = table.key[0]
    rest = ", ".join(c for c in table.columns if c not in (*table.content_key, key, "source"))
    occurrence = f"dense_rank() OVER (PARTITION BY {', '.join(table.content_key)} ORDER BY {rest})"
    con.execute(
        f"""UPDATE {table.qualified} SET {key} = k.key
        FROM (SELECT rowid AS _rid, {content_key_sql(table, occurrence)} AS key
              FROM {table.qualified} WHERE {where}) k
        WHERE {table.qualified}.rowid = k._rid""")

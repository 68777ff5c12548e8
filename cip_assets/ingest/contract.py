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
    key: tuple[str, ...]  # natural key; empty = rows are facts with no key (events)
    required: tuple[str, ...]  # must be non-null after casting
    # hard rules: SQL boolean expressions over the *typed* columns that must hold, with the reason
    rules: tuple[tuple[str, str], ...] = field(default=())

    @property
    def qualified(self) -> str:
        return f"raw.{self.name}"


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
            },
            key=(),
            required=("event_at", "event_type"),
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
    ingested_at TIMESTAMP
)"""


def table_ddl(table: RawTable) -> str:
    cols = ",\n    ".join(f"{c} {t}" for c, t in table.columns.items())
    return f"CREATE TABLE IF NOT EXISTS {table.qualified} (\n    {cols}\n)"


def ensure_raw_schema(con) -> None:
    """Create schema `raw` and every canonical table, empty, so downstream never meets a missing table."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for table in RAW_TABLES.values():
        con.execute(table_ddl(table))
    con.execute(REJECTED_ROWS_DDL)
    con.execute(INGEST_LEDGER_DDL)

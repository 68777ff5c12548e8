"""Source adapters: each maps one kind of input file onto the canonical raw tables.

An adapter is SQL over the view `src` (see `readers.open_source`): it names the raw tables
it feeds and, given the file's columns, returns a SELECT per table in canonical column
names. Casting, validation and loading are shared (`load.load_feed`), so an adapter is
only the mapping. A required column that is missing raises `SourceFileError` naming it.
An adapter leaves out an id the file does not have (feedback_id, order_id): the loader then
derives it from the row's content, never from its position or the source's name.

Nothing from the config reaches the SQL as text: the file's column names are quoted identifiers
(`Columns.need`), every alias is quoted, the targets of a mapping are checked against the contract's
columns, and option values (channel, control arm, campaign id, constants) are quoted literals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from cip_assets.ingest.readers import SourceFileError, quote_ident, sql_literal

ROW = "_row_number, _file"
RATING_WORDS = {  # text scales seen in survey-style exports, mapped onto 1-5
    "very negative": 1, "negative": 2, "neutral": 3, "positive": 4, "very positive": 5,
    "very poor": 1, "poor": 2, "average": 3, "good": 4, "very good": 5, "excellent": 5,
    "very bad": 1, "bad": 2, "okay": 3, "ok": 3, "great": 5,
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


class Columns:
    """The file's columns, found by any of several spellings (case, spaces and punctuation ignored)."""

    def __init__(self, names: list[str], path: Path, adapter: str):
        self.names, self.path, self.adapter = names, path, adapter
        self._by_norm = {_norm(n): n for n in names}

    def find(self, *candidates: str) -> str | None:
        for c in candidates:
            if c in self.names:
                return _q(c)
            if _norm(c) in self._by_norm:
                return _q(self._by_norm[_norm(c)])
        return None

    def need(self, *candidates: str) -> str:
        found = self.find(*candidates)
        if found is None:
            raise SourceFileError(
                f"{self.path}: missing required column {' or '.join(repr(c) for c in candidates)} "
                f"for adapter '{self.adapter}'; the file has {self.names}"
            )
        return found

    def rest_as_json(self, used: set[str]) -> str:
        """Every column not mapped elsewhere, as one JSON object (extra attributes are kept, not dropped)."""
        rest = [n for n in self.names if _q(n) not in used]
        if not rest:
            return "NULL::JSON"
        return "to_json({" + ", ".join(f"'{_esc(n)}': {_q(n)}" for n in rest) + "})"


def _q(name: str) -> str:
    return quote_ident(name)


def _esc(value: str) -> str:
    """The inside of a string literal (quotes doubled); prefer `_lit`."""
    return sql_literal(value)[1:-1]


def _lit(value) -> str:
    """A config value as SQL: NULL, true/false, or a quoted string literal (numbers too: the loader casts)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    return sql_literal(str(value))


def _rating(expr: str) -> str:
    """A 1-5 rating from a number or a word scale ("Very Positive"); anything else stays as text to be rejected."""
    cases = " ".join(f"WHEN '{w}' THEN '{v}'" for w, v in RATING_WORDS.items())
    return f"(CASE lower(trim({expr}::VARCHAR)) {cases} ELSE {expr}::VARCHAR END)"


def _mapped_select(cols: Columns, mapping: dict[str, str | None], extra: dict[str, str] | None = None) -> str:
    parts = [f"{expr} AS {_q(target)}" for target, expr in mapping.items() if expr is not None]
    parts += [f"{expr} AS {_q(target)}" for target, expr in (extra or {}).items()]
    return f"SELECT {', '.join(parts)}, {ROW} FROM src"


@dataclass(frozen=True)
class Adapter:
    name: str
    tables: tuple[str, ...]
    build: Callable[[str, Columns, dict], str]  # (raw table, columns, options) -> SELECT over src
    doc: str

    def feed_sql(self, table: str, names: list[str], path: Path, options: dict) -> str:
        return self.build(table, Columns(names, path, self.name), options)


# --- synthetic: the generator writes the canonical columns already -----------------------------
def _synthetic(table: str, cols: Columns, options: dict) -> str:
    from cip_assets.ingest.contract import RAW_TABLES

    present = [c for c in RAW_TABLES[table].columns if c in cols.names and c != "source"]
    return f"SELECT {', '.join(_q(c) for c in present)}, {ROW} FROM src"


# --- UCI Online Retail I and II ------------------------------------------------------------------
def _online_retail(table: str, cols: Columns, options: dict) -> str:
    invoice = cols.need("InvoiceNo", "Invoice")
    customer = cols.need("CustomerID", "Customer ID")
    quantity = cols.need("Quantity")
    when = cols.need("InvoiceDate")
    price = cols.need("UnitPrice", "Price")
    # ids arrive as floats (12346.0) in Online Retail I: keep their integer spelling
    customer_id = f"CAST(TRY_CAST(TRY_CAST({customer} AS DOUBLE) AS BIGINT) AS VARCHAR)"
    lines = f"""SELECT {invoice}::VARCHAR AS order_id,
            row_number() OVER (PARTITION BY {invoice} ORDER BY _file, _row_number) AS line_no,
            {customer_id} AS customer_id, {when} AS ordered_at,
            {cols.need("StockCode")}::VARCHAR AS product_id, {cols.find("Description") or "NULL"} AS product_name,
            CASE WHEN TRY_CAST({quantity} AS DOUBLE) < 0 THEN (-TRY_CAST({quantity} AS DOUBLE))::VARCHAR
                 ELSE {quantity}::VARCHAR END AS quantity,
            {price} AS unit_price,
            CASE WHEN {invoice}::VARCHAR LIKE 'C%' THEN 'cancelled'
                 WHEN TRY_CAST({quantity} AS DOUBLE) < 0 THEN 'returned' ELSE 'completed' END AS status,
            {cols.find("Country") or "NULL"} AS _country, {ROW}
        FROM src"""
    if table == "order_lines":
        return f"SELECT * EXCLUDE (_country) FROM ({lines})"
    # customers: one per identified customer; anonymous lines are orders, never customers
    return f"""SELECT customer_id, min(TRY_CAST(ordered_at AS TIMESTAMP)) AS first_seen_at,
                      mode(_country) AS country, min(_row_number) AS _row_number, min(_file) AS _file
               FROM ({lines}) WHERE customer_id IS NOT NULL GROUP BY customer_id"""


# --- REES46 event stream ------------------------------------------------------------------------
def _events(table: str, cols: Columns, options: dict) -> str:
    when = cols.need("event_time", "event_at", "timestamp")
    category = cols.find("category_code")
    category_id = cols.find("category_id")
    category_expr = (f"COALESCE({category}, {category_id}::VARCHAR)" if category and category_id
                     else category or category_id or "NULL")
    return _mapped_select(cols, {
        "event_at": f"regexp_replace({when}::VARCHAR, ' UTC$', '')",
        "event_type": f"lower({cols.need('event_type')})",
        "customer_id": f"{cols.need('user_id', 'customer_id')}::VARCHAR",
        "session_id": cols.find("user_session", "session_id"),
        "product_id": cols.find("product_id"),
        "category": category_expr,
        "brand": cols.find("brand"),
        "price": cols.find("price"),
    })


# --- review and support files with a column mapping ------------------------------------------
REVIEW_DEFAULTS = {
    "text": ("Review Text", "text", "review", "review_text", "verified_reviews", "content", "body", "message"),
    "rating": ("rating", "Rating", "score", "stars"),
    "title": ("title", "Title", "summary"),
    "product_id": ("product_id", "Clothing ID", "Product_name", "variation", "product"),
    "created_at": ("date", "created_at", "review_date"),
    "customer_id": ("customer_id", "user_id", "customer"),
    "category": ("category", "Class Name"),
}
_REVIEW_KEYS = {"text": "text", "rating": "rating", "title": "title", "product_id": "product_id",
                "product": "product_id", "date": "created_at", "created_at": "created_at",
                "customer": "customer_id", "customer_id": "customer_id", "category": "category",
                "feedback_id": "feedback_id", "channel": "channel"}


def _reviews(table: str, cols: Columns, options: dict) -> str:
    given = {}
    for key, column in (options.get("columns") or {}).items():
        if key not in _REVIEW_KEYS:
            raise SourceFileError(f"{cols.path}: unknown key {key!r} in 'columns' (known: {sorted(_REVIEW_KEYS)})")
        given[_REVIEW_KEYS[key]] = cols.need(column)
    mapping = {target: given.get(target) or cols.find(*spellings) for target, spellings in REVIEW_DEFAULTS.items()}
    if mapping["text"] is None:
        cols.need(*REVIEW_DEFAULTS["text"])
    used = {v for v in mapping.values() if v} | {given.get("feedback_id"), given.get("channel")}
    return _mapped_select(cols, {
        **{k: v for k, v in mapping.items() if k != "rating"},
        "rating": _rating(mapping["rating"]) if mapping["rating"] else None,
        "feedback_id": given.get("feedback_id"),  # none: derived from the review's content
        "channel": given.get("channel") or _lit(options.get("channel", "review")),
        "attributes": cols.rest_as_json(used),
    })


# --- the hackathon customer-experience workbook: one row per purchase ------------------------
def _cx_workbook(table: str, cols: Columns, options: dict) -> str:
    customer = cols.need("customer_id", "customer id", "customerid")
    when = cols.need("purchase_date")
    if table == "customers":
        geo = cols.find("geo_location", "geo location", "country", "location")
        return f"""SELECT {customer}::VARCHAR AS customer_id, min(TRY_CAST({when} AS TIMESTAMP)) AS first_seen_at,
                          {f'mode({geo})' if geo else 'NULL'} AS country,
                          {f'mode({cols.find("age")})' if cols.find("age") else 'NULL'} AS age,
                          {f'mode({cols.find("gender")})' if cols.find("gender") else 'NULL'} AS gender,
                          min(_row_number) AS _row_number, min(_file) AS _file
                   FROM src WHERE {customer} IS NOT NULL GROUP BY 1"""
    if table == "order_lines":
        discount = cols.find("discount_percentage", "discount_pct", "discount")
        # a column of fractions (0.1) is read as percent (10)
        discount_expr = (f"CASE WHEN max(TRY_CAST({discount} AS DOUBLE)) OVER () <= 1 "
                         f"THEN (TRY_CAST({discount} AS DOUBLE) * 100)::VARCHAR ELSE {discount}::VARCHAR END") if discount else None
        return _mapped_select(cols, {  # no order id: derived from customer, purchase date and product
            "line_no": "1",
            "customer_id": f"{customer}::VARCHAR",
            "ordered_at": when,
            "product_id": cols.find("product_id"),
            "product_name": cols.find("product_title", "product_name"),
            "category": cols.find("product_category", "category"),
            "quantity": cols.find("quantity") or "1",
            "unit_price": cols.need("base_price", "unit_price", "price"),
            "discount_pct": discount_expr,
            "status": "'completed'",
        })
    if table == "feedback":
        sub_ratings = [c for c in ("delivery_rating", "product_quality_rating", "support_rating", "pricing_score")
                       if cols.find(c)]
        attributes = ("to_json({" + ", ".join(f"'{c}': TRY_CAST({_rating(cols.find(c))} AS DOUBLE)"
                                              for c in sub_ratings) + "})") if sub_ratings else "NULL::JSON"
        rating = cols.find("product_quality_rating", "rating")
        # no feedback id: the loader derives it from the content
        return f"""SELECT * FROM ({_mapped_select(cols, {
            "customer_id": f"{customer}::VARCHAR",
            "product_id": cols.find("product_id"),
            "category": cols.find("product_category", "category"),
            "created_at": when,
            "channel": "'review'",
            "rating": _rating(rating) if rating else None,
            "text": cols.need("user_feedback", "feedback", "review"),
            "attributes": attributes,
        })}) WHERE text IS NOT NULL OR rating IS NOT NULL"""
    # customer_labels: the label repeats on every purchase row; one row per customer
    label = cols.need("churn_label", "churn", "churned")
    extras = [c for c in ("purchase_count", "last_purchase_date", "age", "gender", "geo_location") if cols.find(c)]
    attributes = "to_json({" + ", ".join(f"'{c}': any_value({cols.find(c)})" for c in extras) + "})" \
        if extras else "NULL::JSON"
    last = cols.find("last_purchase_date")
    return f"""SELECT {customer}::VARCHAR AS customer_id, arg_max({label}, _row_number) AS churned,
                      {f'max(TRY_CAST({last} AS TIMESTAMP))' if last else 'NULL'} AS labelled_at,
                      {attributes} AS attributes, min(_row_number) AS _row_number, min(_file) AS _file
               FROM src WHERE {customer} IS NOT NULL GROUP BY 1"""


# --- randomised campaigns: Hillstrom and a generic layout ------------------------------------
def _campaign(table: str, cols: Columns, options: dict) -> str:
    mapping = options.get("columns") or {}
    campaign_id = str(options.get("campaign_id") or options.get("_source_name", "campaign"))
    hillstrom = cols.find("segment") and cols.find("visit") and cols.find("conversion") and not mapping
    if hillstrom:
        arm, control = cols.need("segment"), options.get("control_arm", "No E-Mail")
        fields = {"visited": cols.need("visit"), "converted": cols.need("conversion"), "spend": cols.find("spend")}
        customer = cols.find("customer_id", "id")
    else:
        if "arm" not in mapping or "converted" not in mapping:
            raise SourceFileError(
                f"{cols.path}: adapter 'campaign' needs the Hillstrom columns (segment, visit, conversion) or a "
                f"'columns' mapping with at least arm and converted (optionally customer_id, visited, spend, "
                f"discount_pct, exposed_at) and 'control_arm'")
        if "control_arm" not in options and "is_control" not in mapping:
            raise SourceFileError(f"{cols.path}: adapter 'campaign' needs 'control_arm' (the arm value of the control group)")
        arm, control = cols.need(mapping["arm"]), options.get("control_arm")
        fields = {k: cols.need(mapping[k]) if k in mapping else None
                  for k in ("visited", "converted", "spend", "discount_pct", "exposed_at")}
        customer = cols.need(mapping["customer_id"]) if "customer_id" in mapping else None
    is_control = (cols.need(mapping["is_control"]) if "is_control" in mapping
                  else f"({arm}::VARCHAR = {_lit(str(control))})")
    used = {arm, customer, is_control, *fields.values()}
    discount = fields.pop("discount_pct", None) or _discount_from_arm(arm)
    # without a customer column the row number is the customer: identical rows are different people (10% of
    # Hillstrom's), so a content key would merge them; an experiment file is delivered whole, once
    return _mapped_select(cols, {
        "campaign_id": _lit(campaign_id),
        "customer_id": f"{customer}::VARCHAR" if customer else f"{_lit(campaign_id + '-')} || _row_number",
        "arm": arm,
        "is_control": is_control,
        "discount_pct": discount,
        **fields,
        "attributes": cols.rest_as_json(used),
    })


def _discount_from_arm(arm: str) -> str:
    """'discount_10' or '10% off' in the arm name gives its discount level; other arms have none."""
    number = "(\\d+(\\.\\d+)?)"  # a bare number is not a discount: Cookie Cats' arm 'gate_40' is a level gate
    return (f"coalesce(TRY_CAST(regexp_extract({arm}::VARCHAR, '(?i)discount[_ -]*{number}', 1) AS DOUBLE), "
            f"TRY_CAST(regexp_extract({arm}::VARCHAR, '{number}\\s*%', 1) AS DOUBLE))")


# --- labelled customer tables: Telco, the e-commerce churn workbook ---------------------------
def _labelled(table: str, cols: Columns, options: dict) -> str:
    mapping = options.get("columns") or {}
    customer = cols.need(mapping["customer_id"]) if "customer_id" in mapping else \
        cols.need("customerID", "CustomerID", "customer_id", "id", "user_id")
    if table == "customers":
        gender = cols.find("gender")
        return _mapped_select(cols, {"customer_id": f"{customer}::VARCHAR", "gender": gender,
                                     "age": cols.find("age")})
    label = cols.need(mapping["churned"]) if "churned" in mapping else \
        cols.need("Churn", "churned", "exited", "label", "churn_label")
    labelled_at = options.get("labelled_at")
    return _mapped_select(cols, {
        "customer_id": f"{customer}::VARCHAR",
        "churned": label,
        "labelled_at": _lit(str(labelled_at)) if labelled_at else None,
        "attributes": cols.rest_as_json({customer, label}),
    })


# --- any table, driven by a column mapping ------------------------------------------------------
def _table(table: str, cols: Columns, options: dict) -> str:
    from cip_assets.ingest.contract import RAW_TABLES

    mapping = options.get("columns") or {}
    constants = options.get("constants") or {}
    target = RAW_TABLES[table]
    allowed = [c for c in target.columns if c != "source"]  # `source` is the loader's
    for key, given in (("columns", mapping), ("constants", constants)):
        unknown = set(map(str, given)) - set(allowed)
        if unknown:
            raise SourceFileError(f"{cols.path}: '{key}' names {sorted(unknown)}, not columns of raw.{table} "
                                  f"(its columns: {allowed})")
    exprs = {c: cols.need(str(src)) for c, src in mapping.items()}
    for c, value in constants.items():
        exprs[c] = _lit(value)
    if "attributes" in target.columns and "attributes" not in exprs:
        exprs["attributes"] = cols.rest_as_json(set(exprs.values()))
    if table == "feedback" and "channel" not in exprs:
        exprs["channel"] = "'review'"
    return _mapped_select(cols, exprs)


ADAPTERS: dict[str, Adapter] = {a.name: a for a in [
    Adapter("synthetic", ("customers", "order_lines", "events", "feedback", "campaign_exposures"), _synthetic,
            "the built-in generator (customers, seed, start, end, events)"),
    Adapter("online_retail", ("customers", "order_lines"), _online_retail, "UCI Online Retail I and II"),
    Adapter("events", ("events",), _events, "REES46-style event stream"),
    Adapter("reviews", ("feedback",), _reviews, "review or support files (CSV/TSV/gz) with a column mapping"),
    Adapter("cx_workbook", ("customers", "order_lines", "feedback", "customer_labels"), _cx_workbook,
            "the hackathon customer-experience workbook"),
    Adapter("campaign", ("campaign_exposures",), _campaign, "randomised tests: Hillstrom or a generic layout"),
    Adapter("labelled_customers", ("customers", "customer_labels"), _labelled,
            "labelled customer tables (Telco, the e-commerce churn workbook)"),
    Adapter("table", tuple(), _table, "any CSV/Parquet/Excel with 'table' and a column mapping"),
]}


def tables_fed(adapter: str, options: dict) -> tuple[str, ...]:
    """The raw tables a configured source feeds (the generic adapter feeds the one it names)."""
    if adapter == "table":
        from cip_assets.ingest.contract import RAW_TABLES

        table = options.get("table")
        if table not in RAW_TABLES:
            raise SourceFileError(f"adapter 'table' needs 'table:' set to one of {sorted(RAW_TABLES)}, got {table!r}")
        return (table,)
    if adapter == "synthetic" and options.get("events") is False:
        return tuple(t for t in ADAPTERS[adapter].tables if t != "events")
    return ADAPTERS[adapter].tables

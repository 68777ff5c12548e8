"""What personal data may leave the warehouse: one policy for the published copy and for previews.

The published copy (`published/cip.duckdb` and its Parquet) is handed to any SQL tool, and Dagster
metadata and MLflow artifacts are read by anyone with the UI, so all three get the same treatment:

* personal columns (name, e-mail, phone, street address, postcode, birth date, ...: `PERSONAL_COLUMNS`)
  are left out;
* a profile field (`PROFILE_COLUMNS`: city, country, gender, region) whose value holds an e-mail address
  or a phone number, someone's contact details typed into the wrong box, becomes NULL;
* an identifier (`id`, `*_id`, `*_key`) that *is* an e-mail or a phone number (some shops key customers by
  e-mail) becomes a stable pseudonym, `anon-` and 16 hex digits of its md5, so joins still work;
* every other text (reviews, support messages, quotes, alert messages, reasons) keeps its words, with
  e-mail addresses replaced by `[e-mail]` and phone numbers by `[phone]` (lists of text element by element;
  a struct or map that holds text is published as its scrubbed text).

The full records stay in the warehouse and in the analyst copy (`published/analyst/cip.duckdb`).

The patterns are written once, in the syntax both DuckDB's RE2 and Python's `re` read (no look-around),
so the publish SQL (vectorised `regexp_replace`) and the pandas previews mask the same things. Phone
numbers are: `+` and 7-15 digits (`+44 20 7946 0958`, `+1 (555) 123-4567`), `00` and a country code and
a space (`0044 20 7946 0958`), a national number with a trunk 0 (`020 7946 0958`, `(030) 1234567`,
`07700900123`, `06 12 34 56 78`) and the North American `(555) 123-4567` / `555-123-4567` (one kind of
separator). Deliberately not phones: order and product codes (`O000000123`, `85123A`, `SKU-4411-22`),
bare or zero-padded numbers (`512386086`, `000123456789`), dates and times (`2024-01-15`, `15/01/2024`,
`01.02.2024 10:30`), prices and decimals (`1,299.99`, `+0.0512345`, `0.0512345678`). A bare 10-11 digit
number starting 01-09 is read as a phone: such an id is indistinguishable from a mobile number written
without spaces. tests/test_publish.py lists the cases, caught and spared.
"""

from __future__ import annotations

import re

import pandas as pd

EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
# a phone starts the text or follows a character that cannot be part of a number or a word (group 1, put back
# on replacing): so the digits after a decimal point or inside a code (`v2-0512...`) are never read as a phone
PHONE_PATTERN = r"(^|[^0-9A-Za-z_.,/)\]-])(?:" + "|".join([
    r"\+[1-9](?:[ ()/-]{0,2}[0-9]){6,14}",  # international: + country code, 7-15 digits in all
    r"00[1-9][0-9]{0,2}[ -](?:[ ()/-]{0,2}[0-9]){6,12}",  # international with 00, a space after the code
    r"\(?0[1-9][0-9]{1,3}\)?[ /-]?[0-9]{3,4}[ -]?[0-9]{3,4}",  # national with a trunk 0: UK, DE, FR, ...
    r"0[1-9](?: [0-9]{2}){4}",  # French style pairs
    r"\([2-9][0-9]{2}\) ?[0-9]{3}[ .-][0-9]{4}",  # North American: (555) 123-4567
    *(rf"[2-9][0-9]{{2}}{sep}[0-9]{{3}}{sep}[0-9]{{4}}" for sep in ("-", r"\.", " ")),  # 555-123-4567, one separator
]) + r")\b"
CONTACT_PATTERN = f"{EMAIL_PATTERN}|{PHONE_PATTERN}"
EMAIL_MASK, PHONE_MASK = "[e-mail]", "[phone]"
PHONE_REPLACEMENT = r"\1" + PHONE_MASK

PERSONAL_COLUMNS = frozenset({
    "name", "first_name", "last_name", "full_name", "customer_name", "surname", "given_name",
    "email", "e_mail", "email_address", "phone", "phone_number", "mobile", "mobile_number", "telephone", "tel",
    "address", "street", "street_address", "address_line_1", "address_line_2", "address_1", "address_2",
    "postcode", "post_code", "postal_code", "zip", "zip_code", "date_of_birth", "birth_date", "dob",
    "ip", "ip_address", "iban", "card_number",
})
PROFILE_COLUMNS = frozenset({"city", "country", "gender", "region", "state"})

_EMAIL = re.compile(EMAIL_PATTERN)
_PHONE = re.compile(PHONE_PATTERN)
_CONTACT = re.compile(CONTACT_PATTERN.replace("(^|", "(?:^|", 1))  # no capture group: pandas' str.contains warns


def _norm(column: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(column).lower()).strip("_")


def is_personal(column: str) -> bool:
    return _norm(column) in PERSONAL_COLUMNS


def is_identifier(column: str) -> bool:
    name = _norm(column)
    return name == "id" or name.endswith("_id") or name.endswith("_key")


def _sql_literal(pattern: str) -> str:
    return "'" + pattern.replace("'", "''") + "'"


def scrub_sql(expr: str) -> str:
    """SQL: the text with e-mail addresses and phone numbers replaced (e-mails first: they may hold digits)."""
    inner = f"regexp_replace({expr}, {_sql_literal(EMAIL_PATTERN)}, '{EMAIL_MASK}', 'g')"
    return f"regexp_replace({inner}, {_sql_literal(PHONE_PATTERN)}, {_sql_literal(PHONE_REPLACEMENT)}, 'g')"


def safe_column_sql(column: str, duck_type: str) -> str | None:
    """The published copy's expression for one column, or None to leave it out."""
    if is_personal(column):
        return None
    quoted = '"' + column.replace('"', '""') + '"'
    if duck_type == "VARCHAR[]":
        return f"list_transform({quoted}, lambda x: {scrub_sql('x')}) AS {quoted}"
    if duck_type not in ("VARCHAR", "JSON") and ("VARCHAR" in duck_type or "JSON" in duck_type):
        return f"{scrub_sql(quoted + '::VARCHAR')} AS {quoted}"  # a struct or map holding text: as scrubbed text
    if duck_type not in ("VARCHAR", "JSON"):
        return quoted
    text = f"{quoted}::VARCHAR" if duck_type == "JSON" else quoted
    contact = f"regexp_matches({text}, {_sql_literal(CONTACT_PATTERN)})"
    if is_identifier(column):
        expr = f"CASE WHEN {contact} THEN 'anon-' || left(md5({text}), 16) ELSE {text} END"
    elif _norm(column) in PROFILE_COLUMNS:
        expr = f"CASE WHEN {contact} THEN NULL ELSE {text} END"
    else:
        expr = scrub_sql(text)
    return f"({expr})::{duck_type} AS {quoted}"


def safe_select_sql(columns: list[tuple[str, str]]) -> str:
    """The SELECT list of a table's safe copy, from its (column, DuckDB type) pairs."""
    kept = [e for e in (safe_column_sql(c, t) for c, t in columns) if e is not None]
    return ", ".join(kept) if kept else "NULL AS no_public_columns"


# ---------------------------------------------------------------- the same rules in Python, for previews
def scrub_text(text: str) -> str:
    """A string (a markdown table, a log line) with e-mail addresses and phone numbers replaced."""
    return _PHONE.sub(PHONE_REPLACEMENT, _EMAIL.sub(EMAIL_MASK, text))


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as the published copy would show it: personal columns dropped, text scrubbed (vectorised)."""
    out = frame.drop(columns=[c for c in frame.columns if is_personal(c)])
    for column in out.columns:
        values = out[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        text = values.astype("string")
        contact = text.str.contains(_CONTACT, regex=True, na=False)
        if not contact.any():
            continue
        if is_identifier(column):
            import hashlib

            out[column] = text.where(~contact, text[contact].map(
                lambda v: "anon-" + hashlib.md5(v.encode()).hexdigest()[:16]))  # a handful of rows, previews only
        elif _norm(column) in PROFILE_COLUMNS:
            out[column] = text.where(~contact, pd.NA)
        else:
            out[column] = (text.str.replace(_EMAIL, EMAIL_MASK, regex=True)
                           .str.replace(_PHONE, PHONE_REPLACEMENT, regex=True))
    return out


def safe_markdown(frame: pd.DataFrame, rows: int = 5, empty: str = "(empty)", **to_markdown) -> str:
    """A markdown preview of the first `rows` rows, safe for Dagster metadata."""
    if not len(frame):
        return empty
    return safe_frame(frame.head(rows)).to_markdown(index=False, **to_markdown)

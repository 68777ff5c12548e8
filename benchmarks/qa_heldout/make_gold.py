"""Re-run every item's gold_sql of a held-out QA bank against a warehouse and rewrite its `gold`.

Usage:
    python benchmarks/qa_heldout/make_gold.py WAREHOUSE_DB [--bank BANK_JSON] [--check]

    WAREHOUSE_DB  the built warehouse (e.g. /tmp/full_or/home/warehouse.duckdb); opened read-only.
    --bank        the bank to refresh (default: benchmarks/qa_heldout/online_retail.json next to this script).
    --check       do not write: exit 1 and list the items whose stored gold differs from a fresh run.

What each kind's gold_sql must return (the first columns are used, in the SQL's own order):
    scalar   one row; column 1 = the number                      -> gold = number
    ranking  rows (label, value[, alias])                        -> gold = [[label, value], ...],
             alias (e.g. a product's stock code) is another accepted spelling of the label -> label_aliases
    series   rows (period_label, value)                          -> gold = [[period, value], ...]
    refuse   no SQL                                              -> gold = {"refuse": true}

The gold SQL reads only staging tables (stg_order_lines, stg_customers) except the model-output questions, which
read ml.churn_scores / marts.customer_rfm as they are published.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import sys
from pathlib import Path

import duckdb

DEFAULT_BANK = Path(__file__).with_name("online_retail.json")


def _num(v):
    if v is None:
        return None
    if isinstance(v, (decimal.Decimal, float)):
        return round(float(v), 6)
    if isinstance(v, int):
        return v
    raise TypeError(f"not a number: {v!r}")


def _label(v) -> str:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    return str(v)


def gold_for(con: duckdb.DuckDBPyConnection, item: dict) -> tuple[object, list | None]:
    kind = item["kind"]
    if kind == "refuse":
        return {"refuse": True}, None
    rows = con.execute(item["gold_sql"]).fetchall()
    if kind == "scalar":
        if len(rows) != 1:
            raise ValueError(f"{item['id']}: scalar SQL returned {len(rows)} rows")
        return _num(rows[0][0]), None
    if kind in ("ranking", "series"):
        gold = [[_label(r[0]), _num(r[1])] for r in rows]
        aliases = [(_label(r[2]) if r[2] is not None else None) for r in rows] if rows and len(rows[0]) > 2 else None
        return gold, aliases
    raise ValueError(f"{item['id']}: unknown kind {kind!r}")


def same(a, b) -> bool:
    """Equal, numbers up to float summation noise (DuckDB sums in parallel, so the last bits can move)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("warehouse")
    ap.add_argument("--bank", default=str(DEFAULT_BANK))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    bank_path = Path(args.bank)
    items = json.loads(bank_path.read_text())
    con = duckdb.connect(args.warehouse, read_only=True)
    changed = []
    for item in items:
        gold, aliases = gold_for(con, item)
        if not same(gold, item.get("gold")) or aliases != item.get("label_aliases"):
            changed.append(item["id"])
        item["gold"] = gold
        if aliases is not None:
            item["label_aliases"] = aliases
        else:
            item.pop("label_aliases", None)
    if args.check:
        print(f"{len(changed)} of {len(items)} items differ" + (f": {', '.join(changed)}" if changed else ""))
        return 1 if changed else 0
    bank_path.write_text(json.dumps(items, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {bank_path}: {len(items)} items, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

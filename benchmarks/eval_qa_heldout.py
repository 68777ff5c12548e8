"""Grade `cip ask` against the held-out analyst question bank (benchmarks/qa_heldout/online_retail.json).

Usage:
    python benchmarks/eval_qa_heldout.py --published /tmp/full_or/home/published/cip.duckdb \
        --index-dir /tmp/qa_heldout_index [--bank BANK_JSON] [--json OUT] [--tol-rel 0.005] [--tol-abs 0.01]

The engine is called through its public API exactly as `cip ask --json` does (cip_assets/qa/cli.py):
`Engine(published_db, index_dir).ask(question, None)` then `card.to_dict()`; every question is asked on its own
(no session, so no follow-up context). The bank was written and given gold answers by independent SQL over the
warehouse (benchmarks/qa_heldout/make_gold.py) before the engine was changed for it.

Grades (one per question):
    right                  answerable: the figure(s) match gold (|x - gold| <= max(tol_rel * |gold|, tol_abs));
                           rankings: the first N rows carry gold's labels in gold's order with matching values;
                           series: exactly gold's periods (extra periods only if their value is 0) with matching values.
                           must-refuse: status not_understood / not_available / refused and no figure.
    refused                answerable, but the card gave no figure (any non-answered status, or no value and no
                           numeric table cell).
    wrong_figure           answerable, a figure/table was given that does not match gold: an answer to a different
                           question.
    answered_unanswerable  must-refuse, but the card gave a figure: also an answer to a different question.
    no_refusal             must-refuse, answered without any figure but without refusing (e.g. a definition): not
                           right, not counted as a different-question figure.
    error                  the engine raised.

Figure extraction (conservative): a scalar is the card's `value`; only when `value` is null and the table has a
single row is that row's `value` column (or its only numeric cell) used. Ranking/series rows come from
`table.rows`; a row's value is its `value` column when the table has one, else its last numeric cell; its labels are
all its other cells. Period labels are normalised to the gold's grain (YYYY-MM, YYYY-MM-DD, YYYY-Qn, weekday name).
A top-1 ranking answered with a value but no table is right only if the label appears in the answer text.
Items with "unit": "percent" (gold in percent) also accept the fraction, "fraction" items also accept the percent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import sys
import time
from pathlib import Path

BANK = Path(__file__).parent / "qa_heldout" / "online_retail.json"
REFUSAL_STATUSES = {"not_understood", "not_available", "refused"}
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


# ------------------------------------------------------------------------------------------------ numbers
def is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not (isinstance(v, float) and math.isnan(v))


def close(x: float, gold: float, tol_rel: float, tol_abs: float, unit: str | None = None) -> bool:
    cands = [x]
    if unit == "percent":
        cands.append(x * 100.0)
    elif unit == "fraction":
        cands.append(x / 100.0)
    return any(abs(c - gold) <= max(tol_rel * abs(gold), tol_abs) for c in cands)


# ------------------------------------------------------------------------------------------------ labels
def _text(v) -> str:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if is_num(v) and float(v).is_integer():
        return str(int(v))
    return " ".join(str(v).split()).casefold()


def grain_of(gold_label: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}", gold_label):
        return "month"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", gold_label):
        return "day"
    if re.fullmatch(r"\d{4}-Q[1-4]", gold_label):
        return "quarter"
    if gold_label.casefold() in WEEKDAYS:
        return "weekday"
    return "text"


def _as_date(s: str) -> dt.date | None:
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", s)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


def norm_label(cell, grain: str) -> str | None:
    """The cell spelled like a gold label of this grain, or None when it cannot be one."""
    if cell is None:
        return None
    s = _text(cell)
    if grain == "text":
        return s
    if grain == "weekday":
        for name in WEEKDAYS:
            if s == name or (len(s) >= 3 and name.startswith(s.rstrip("."))):
                return name
        return None
    d = _as_date(s)
    if grain == "day":
        return d.isoformat() if d else None
    if grain == "month":
        if d:
            return None if d.day != 1 and not re.match(r"^\d{4}-\d{2}$", s) else f"{d.year:04d}-{d.month:02d}"
        m = re.fullmatch(r"(\d{4})-(\d{2})", s)
        if m:
            return s
        m = re.fullmatch(r"([a-z]{3})[a-z]*\.? (\d{4})", s)
        if m and m[1] in MONTHS:
            return f"{m[2]}-{MONTHS[m[1]]:02d}"
        return None
    if grain == "quarter":
        if d:
            return f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}" if d.day == 1 and d.month in (1, 4, 7, 10) else None
        m = re.fullmatch(r"(\d{4})[- ]?q([1-4])", s) or re.fullmatch(r"q([1-4])[- ]?(\d{4})", s)
        if m:
            year, q = (m[1], m[2]) if len(m[1]) == 4 else (m[2], m[1])
            return f"{year}-Q{q}"
        return None
    return s


# ------------------------------------------------------------------------------------------------ card reading
def card_rows(card: dict) -> tuple[list[str], list[list]]:
    table = card.get("table") or {}
    return list(table.get("columns") or []), [list(r) for r in (table.get("rows") or [])]


def has_figure(card: dict) -> bool:
    if is_num(card.get("value")):
        return True
    _, rows = card_rows(card)
    return any(is_num(c) for r in rows for c in r)


def split_row(columns: list[str], row: list) -> tuple[list, float | None]:
    """(label cells, value) of one table row."""
    vi = None
    if "value" in columns:
        vi = columns.index("value")
    else:
        nums = [i for i, c in enumerate(row) if is_num(c)]
        vi = nums[-1] if nums else None
    value = row[vi] if vi is not None and vi < len(row) and is_num(row[vi]) else None
    labels = [c for i, c in enumerate(row) if i != vi]
    return labels, value


def scalar_figure(card: dict) -> float | None:
    if is_num(card.get("value")):
        return float(card["value"])
    columns, rows = card_rows(card)
    if len(rows) != 1:
        return None
    if "value" in columns and is_num(rows[0][columns.index("value")]):
        return float(rows[0][columns.index("value")])
    nums = [c for c in rows[0] if is_num(c)]
    return float(nums[0]) if len(nums) == 1 else None


# ------------------------------------------------------------------------------------------------ grading
def grade(item: dict, card: dict, tol_rel: float, tol_abs: float) -> tuple[str, str]:
    """(grade, reason)."""
    status = card.get("status")
    figure = has_figure(card)
    if item["kind"] == "refuse":
        if figure:
            return "answered_unanswerable", f"status={status}, gave a figure"
        if status in REFUSAL_STATUSES:
            return "right", f"status={status}"
        return "no_refusal", f"status={status}, no figure but no refusal"
    if status in REFUSAL_STATUSES or status != "answered" or not figure:
        return "refused", f"status={status}" + ("" if figure else ", no figure")
    unit = item.get("unit")
    gold = item["gold"]
    if item["kind"] == "scalar":
        x = scalar_figure(card)
        if x is None:
            return "wrong_figure", "no single figure (a table of several rows or an ambiguous row)"
        if close(x, gold, tol_rel, tol_abs, unit):
            return "right", f"{x:g} ~ {gold:g}"
        return "wrong_figure", f"{x:g} != {gold:g}"
    columns, rows = card_rows(card)
    if item["kind"] == "ranking":
        aliases = item.get("label_aliases") or [None] * len(gold)
        if not rows and len(gold) == 1 and is_num(card.get("value")):
            label, g = gold[0]
            answer = " ".join(str(card.get("answer") or "").split()).casefold()
            names = [_text(label)] + ([_text(aliases[0])] if aliases[0] else [])
            if close(float(card["value"]), g, tol_rel, tol_abs, unit) and any(
                    re.search(r"(?<![\w-])" + re.escape(n) + r"(?![\w-])", answer) for n in names):
                return "right", "top-1 from value and answer text"
            return "wrong_figure", "top-1 without a table: value or label does not match"
        if len(rows) < len(gold):
            return "wrong_figure", f"{len(rows)} rows for a top {len(gold)}"
        for i, ((label, g), alias) in enumerate(zip(gold, aliases)):
            grain = grain_of(label)
            labels, v = split_row(columns, rows[i])
            names = {norm_label(c, grain) for c in labels} - {None}
            want = {norm_label(label, grain)} | ({norm_label(alias, "text")} if alias else set())
            if not names & want:
                return "wrong_figure", f"row {i + 1}: {label!r} expected, got {labels}"
            if v is None or not close(float(v), g, tol_rel, tol_abs, unit):
                return "wrong_figure", f"row {i + 1} ({label}): {v} != {g:g}"
        extra = f" (+{len(rows) - len(gold)} extra rows)" if len(rows) > len(gold) else ""
        return "right", f"top {len(gold)} match{extra}"
    if item["kind"] == "series":
        grain = grain_of(gold[0][0])
        got: dict[str, float] = {}
        for r in rows:
            labels, v = split_row(columns, r)
            keys = [k for k in (norm_label(c, grain) for c in labels) if k is not None]
            if not keys or v is None:
                return "wrong_figure", f"row {r} has no {grain} label or no value"
            if keys[0] in got:
                return "wrong_figure", f"period {keys[0]} twice (another grain?)"
            got[keys[0]] = float(v)
        want = {norm_label(p, grain): g for p, g in gold}
        extra = [p for p, v in got.items() if p not in want and abs(v) > tol_abs]
        missing = [p for p in want if p not in got]
        if extra or missing:
            return "wrong_figure", f"periods differ: missing {missing[:4]}, extra {extra[:4]}"
        bad = [p for p, g in want.items() if not close(got[p], g, tol_rel, tol_abs, unit)]
        if bad:
            return "wrong_figure", f"values differ in {bad[:4]}"
        return "right", f"{len(want)} periods match"
    raise ValueError(f"unknown kind {item['kind']!r}")


def short(card: dict, width: int = 90) -> str:
    text = " ".join(str(card.get("answer") or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="grade cip ask on the held-out QA bank")
    ap.add_argument("--published", required=True, help="the published DuckDB the engine answers from")
    ap.add_argument("--index-dir", required=True, help="the engine's index directory (a scratch dir is fine)")
    ap.add_argument("--bank", default=str(BANK))
    ap.add_argument("--json", dest="json_out", help="write per-question results here")
    ap.add_argument("--tol-rel", type=float, default=0.005)
    ap.add_argument("--tol-abs", type=float, default=0.01)
    args = ap.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from cip_assets.qa.engine import Engine

    items = json.loads(Path(args.bank).read_text())
    Path(args.index_dir).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    engine = Engine(Path(args.published), Path(args.index_dir))
    results = []
    for item in items:
        try:
            card = engine.ask(item["question"], None).to_dict()
            g, why = grade(item, card, args.tol_rel, args.tol_abs)
        except Exception as exc:  # noqa: BLE001 - an engine failure is a graded outcome
            card, g, why = {"status": "error", "answer": f"{type(exc).__name__}: {exc}"}, "error", repr(exc)
        results.append({"id": item["id"], "kind": item["kind"], "question": item["question"], "grade": g,
                        "reason": why, "gold": item["gold"], "status": card.get("status"),
                        "answer": card.get("answer"), "value": card.get("value"), "table": card.get("table"),
                        "sql": card.get("sql"), "params": card.get("params")})
    elapsed = time.perf_counter() - t0

    print(f"{'id':5} {'grade':22} {'question':58} answer")
    for r in results:
        q = r["question"] if len(r["question"]) <= 58 else r["question"][:57] + "…"
        print(f"{r['id']:5} {r['grade']:22} {q:58} {short(r)}")

    n = len(results)
    count = {g: sum(r["grade"] == g for r in results) for g in
             ("right", "refused", "wrong_figure", "answered_unanswerable", "no_refusal", "error")}
    answerable = [r for r in results if r["kind"] != "refuse"]
    must_refuse = [r for r in results if r["kind"] == "refuse"]
    different = count["wrong_figure"] + count["answered_unanswerable"]
    print()
    print(f"total questions:            {n}  ({len(answerable)} answerable, {len(must_refuse)} must refuse)")
    print(f"right:                      {count['right']}")
    print(f"accuracy:                   {100.0 * count['right'] / n:.1f}%")
    print(f"  answerable right:         {sum(r['grade'] == 'right' for r in answerable)} / {len(answerable)}")
    print(f"  must-refuse right:        {sum(r['grade'] == 'right' for r in must_refuse)} / {len(must_refuse)}")
    print(f"refused (no figure):        {count['refused']}")
    print(f"different-question figures: {different}  (wrong_figure {count['wrong_figure']}, "
          f"answered_unanswerable {count['answered_unanswerable']})")
    print(f"no_refusal (no figure):     {count['no_refusal']}")
    print(f"errors:                     {count['error']}")
    print(f"elapsed:                    {elapsed:.1f} s")
    if args.json_out:
        summary = {"total": n, **count, "accuracy_pct": round(100.0 * count["right"] / n, 2),
                   "different_question_figures": different, "bank": str(args.bank),
                   "published": str(args.published)}
        Path(args.json_out).write_text(json.dumps({"summary": summary, "results": results}, indent=1,
                                                  default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

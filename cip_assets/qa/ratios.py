"""A ratio's definition said beside the question: "average order value in March 2011, i.e. net revenue divided by
the number of orders". The clause is taken out before parsing and checked against the measure the rest of the
question asks for: the same ratio is a definition said again; another ratio is refused, never answered as the
engine's own measure. A definition that names one of two readings the engine knows (cancelled orders over all
orders or over completed ones) chooses it."""

from __future__ import annotations

import re
from dataclasses import dataclass

DIVIDED = re.compile(r"\bdivided\s+by\b|\u00f7|\b(?:shared|spread|split) out over\b|"
                     r"(?<=\s)over\b(?=\s+(?:the\s+)?(?:number|count)\s+of\b|\s+(?:its\s+|the\s+)?(?:net\s+)?(?:units|orders)\b)")
# where a clause starts: after punctuation (not the dots of "i.e."), a dash, or a word that introduces a definition
_BOUNDARY = re.compile(r"[,:;?!(]|(?<!\bi)(?<!\bi\.e)\.(?=\s|$)|\s[-–—]\s")
_LEAD = re.compile(r"^\s*(?:(?:i\.e\.|ie|that is|meaning|i mean|by which i mean|by (?:that|this) i mean|calculated as|computed as|"
                   r"worked out as|defined as|i define (?:it|this|that) as|(?:it|this|that)(?:'s| is) just)\s*,?\s+|"
                   r"(?:(?:i'?m|i am|we'?re|we are)\s+)?(?:define|defining)\s+(?:the\s+|our\s+)?(?P<term>[a-z][a-z' -]{2,40}?)"
                   r"\s*(?:\bas\b|=)\s*)")
# where the divisor ends: punctuation, "times 100", "as a percentage", or a period of the question ("for 2011")
_DIVISOR_END = re.compile(r"\s*(?:[,.?;!)]|$|,?\s*(?:times|x|multiplied by)\s+100\b|\s+as an? (?:%|percent)|"
                          r"\s+(?:for|in|during|across)\s+(?:\d|q[1-4]\b|h[12]\b|(?:the\s+)?(?:year|quarter|month)\b|"
                          r"(?:january|february|march|april|may|june|july|august|september|october|november|december)\b))")
# words a divisor never holds when it only names a ratio's side: a grouping, a condition, another group of customers
_NOT_A_SIDE = re.compile(r"\b(?:each|per|by|from|repeat|returning|new|over|under|above|below|more|less|fewer|than|excluding|"
                         r"before|after|between|until|since|for|products?|stock|codes?|customers? \d|countries|segments?|"
                         r"except|without|only|top|bottom|guests?|anonymous|weekdays?|weekends?|(?:mon|tues|wednes|thurs|fri|"
                         r"satur|sun)days?)\b")
_TIMES_100 = re.compile(r"^,?\s*(?:times|x|multiplied by)\s+100\b")

# what each side of the ratio counts (the first that fits, in this order)
_SIDES = [
    ("cancelled_orders", r"\bcancell?(?:ed|ations?)\b[^,]{0,20}?\b(?:orders?|invoices?)\b|\borders?\s+(?:with|having|that had)\s+"
                         r"(?:a|at least one|any)\s+cancell?ed\s+line\b"),
    ("completed_orders", r"\b(?:orders?|invoices?)\s+(?:with|having|that had)\s+(?:a|at least one|any)\s+completed\s+line\b|"
                         r"\bcompleted\s+(?:orders?|invoices?)\b(?!\s+lines?\b)"),
    ("all_orders", r"\ball\s+(?:the\s+)?(?:orders?|invoices?)\b"),
    ("order_lines", r"\blines?\b"),
    ("quantity", r"\b(?:units|quantity|items|pieces)\b"),
    ("revenue", r"\b(?:revenue|rev|spend|spending|sales|takings|turnover|money)\b"),
    ("days", r"\bdays\b"),
    ("customers", r"\b(?:customers?|custs?|buyers?|shoppers?|clients?|accounts?)\b|\bhow many (?:of them )?(?:bought|ordered)\b"),
    ("orders", r"\b(?:orders?|invoices?|baskets?|transactions?)\b"),
]
# (numerator, divisor) -> the measure it defines; "revenue per customer" is the average of revenue over customers
RATIO_MEASURES = {
    ("revenue", "orders"): "aov", ("revenue", "completed_orders"): "aov",
    ("quantity", "orders"): "units_per_order", ("quantity", "completed_orders"): "units_per_order",
    ("order_lines", "orders"): "lines_per_order", ("order_lines", "completed_orders"): "lines_per_order",
    ("revenue", "quantity"): "revenue_per_unit",
    ("revenue", "customers"): "revenue per customer",
    ("revenue", "days"): "revenue per day", ("orders", "days"): "orders per day",
    ("cancelled_orders", "completed_orders"): "cancelled_per_completed",
    ("cancelled_orders", "all_orders"): "cancellation_rate",
}
# how the parser hears each measure, for a question that is only the ratio ("net revenue divided by orders in 2011")
MEASURE_WORDS = {"aov": "average order value", "units_per_order": "units per order", "lines_per_order": "lines per order",
                 "revenue_per_unit": "revenue per unit", "revenue per customer": "average revenue per customer",
                 "revenue per day": "average revenue per day", "orders per day": "average orders per day",
                 "cancelled_per_completed": "cancelled orders as a percentage of completed orders",
                 "cancellation_rate": "cancellation rate"}
TWO_READINGS = {"cancellation_rate", "cancelled_per_completed"}  # the definition chooses between these


@dataclass
class RatioSaid:
    clause: str             # the words taken out of the question
    numerator: str
    divisor: str
    measure: str | None     # what the definition defines (None: no measure the engine knows)
    term: str | None = None  # "define the cancellation rate as ...": the name it gives
    at: int = 0             # where it stood in the question without it


def ratio_said(text: str) -> tuple[str, RatioSaid] | None:
    """`text` without a ratio's definition, and the definition; None when it has none."""
    m = DIVIDED.search(text.lower())
    if m is None:
        return None
    low = text.lower()
    cuts = list(_BOUNDARY.finditer(low, 0, m.start()))
    start = cuts[-1].end() if cuts else 0
    lead = _LEAD.match(low[start:m.start()])
    numerator = low[start + (lead.end() if lead else 0):m.start()].strip()
    if not numerator or len(numerator.split()) > 7:
        return None
    end = _DIVISOR_END.search(low, m.end())
    divisor = low[m.end():end.start()].strip()
    stop = end.start()
    times = _TIMES_100.match(low[stop:])
    if times:
        stop += times.end()
    if not divisor or len(divisor.split()) > 14 or re.search(_NOT_A_SIDE, divisor):
        return None  # "net revenue divided by net units in each month": more is asked than a definition says
    opened = cuts[-1].group(0) if cuts else ""
    if opened == "(" and low[stop:].lstrip().startswith(")"):  # "(net revenue divided by orders)": the brackets too
        stop = len(low) - len(low[stop:].lstrip()) + 1
    cut = cuts[-1].start() if opened in (",", ";", "(") or opened.strip() in ("-", "–", "—") else start
    sides = (_side(numerator), _side(divisor))
    measure = RATIO_MEASURES.get(sides) if None not in sides else None
    term = lead.group("term") if lead and lead.group("term") else None
    said = RatioSaid(text[start:stop], numerator, divisor, measure, term, at=cut)
    rest = text[:cut] + (" " if cut and stop < len(text) and text[stop:stop + 1] not in "?.!," else "") + text[stop:]
    if term:  # "Define the cancellation rate as ... . What was it for October?": "it" is the term
        rest = re.sub(r"^\s*[.:]\s*", "", rest)
        if term not in rest.lower():
            rest = re.sub(r"\b(?:it|that|this)\b", term, rest, count=1)
    return rest, said


def _side(phrase: str) -> str | None:
    for name, pattern in _SIDES:
        if re.search(pattern, phrase):
            return name
    return None

"""Questions about a cohort: the customers whose first completed order fell in one period, and how many of them
came back ("Of the customers who placed their first order in January 2011, what percentage ordered again between
1 February and 9 December 2011?", "the December 2010 cohort: how many ordered in November 2011?").

Read only when the whole question is such a question: any word left over sends it back to the general parser,
which answers it otherwise or refuses. Every word read is listed on the card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from cip_assets.qa.dates import Period, parse_period
from cip_assets.qa.gazetteer import normalise
from cip_assets.qa.lexicon import FUNCTION_WORDS

_FIRST_ORDER = (r"(?:customers|people|those|buyers|accounts|clients|shoppers)\s+(?:who|that)?\s*"
                r"(?:whose\s+first\s+(?:completed\s+)?(?:order|purchase)\s+(?:was|came|fell|is|happened|landed)\s+|"
                r"(?:first\s+(?:ordered|bought|purchased|shopped)|(?:placed|made)\s+their\s+(?:very\s+)?first\s+"
                r"(?:completed\s+)?(?:order|purchase))\s+)(?:in|during)\s+|"
                r"\bnew\s+(?:customers|buyers|clients|accounts)\s+(?:(?:we\s+)?(?:won|acquired|gained)\s+)?"
                r"(?:in|during|from|of)\s+")
_COHORT_NAMED = r"\bcohort\b"  # "the January 2011 cohort": the period said right before it
_AGAIN = (r"\b(?:ordered|bought|purchased|shopped|came back|come back|returned)\s+(?:(?:from|with) us\s+)?"
          r"(?:again|a second time)\b|\b(?:placed|made)\s+(?:a\s+second|another|a\s+repeat|a\s+further)\s+"
          r"(?:order|purchase)\b|\bre-?ordered\b")
_ORDERED_IN = (r"\b(?:ordered|bought|purchased|shopped|placed\s+(?:an?\s+)?orders?)\s+(?:(?:from|with) us\s+)?"
               r"(?=(?:in|during|between|from)\b)")
_AT_LEAST_BY = (r"\b(?:had\s+|have\s+)?(?:placed|made)\s+(?:at least\s+(two|2|three|3|four|4)|"
                r"(two|2|three|3|four|4)\s+or\s+more)\s+orders\s+(?:in total\s+)?(?:by|on or before)\s+")
_NUMBERS = {"two": 2, "2": 2, "three": 3, "3": 3, "four": 4, "4": 4}
_SHARE = r"\b(?:percentage|percent|share|proportion|fraction|rate)\b|%"
_READ_WORDS = {"how", "many", "what", "percentage", "percent", "share", "proportion", "fraction", "rate", "them",
               "those", "customers", "take", "cohort", "already", "since", "later", "went", "on", "number", "count"}


@dataclass
class Cohort:
    first: Period                   # the customers whose first completed order falls in it
    window: Period | None           # the orders counted; None: any time
    min_orders: int                 # at least this many completed orders in the window
    after_first: bool               # only orders after the customer's first one ("ordered again")
    share: bool                     # of the cohort, in percent; else how many
    words: dict[str, str]


def _period_at(text: str, start: int, as_of: date) -> tuple[Period, int] | None:
    """The period said right at `start` (within a few characters), and where its words end."""
    _, spans, periods = parse_period(text[start:start + 60], as_of)
    found = sorted(zip(spans, periods), key=lambda sp: sp[0][0]) if len(spans) == len(periods) else []
    if not found or found[0][0][0] > 3:
        return None
    (_, end), period = found[0]
    return period, start + end


def _period_before(text: str, end: int, as_of: date) -> tuple[Period, int] | None:
    """The period said right before `end` ("the January 2011 cohort")."""
    for start in range(max(0, end - 30), end):
        if start and text[start - 1].isalnum():
            continue
        found = _period_at(text[:end], start, as_of)
        if found and not text[found[1]:end].strip():
            return found[0], start
    return None


def read_cohort(low: str, as_of: date | None) -> Cohort | None:
    """The cohort question `low` (lower case, rewritten) asks, or None when it is not one, wholly."""
    if as_of is None:
        return None
    used: list[tuple[int, int]] = []
    words: dict[str, str] = {}
    first = None
    m = re.search(_FIRST_ORDER, low)
    if m:
        found = _period_at(low, m.end(), as_of)
        if found:
            first = found[0]
            used += [m.span(), (m.end(), found[1])]
    named = re.search(_COHORT_NAMED, low)
    if named:
        before = _period_before(low, named.start(), as_of)
        if before and (first is None or before[0] == first):
            first = before[0]
            used += [(before[1], named.end())]
        elif first is None:
            return None
    if first is None:
        return None
    window, min_orders, after_first = None, 1, False
    action = re.search(_AT_LEAST_BY, low)
    if action:
        day = _period_at(low, action.end(), as_of)
        if day is None or day[0].grain != "day":
            return None
        min_orders = _NUMBERS[action.group(1) or action.group(2)]
        window = Period(first.start, day[0].end, f"{first.start.isoformat()} to {day[0].start.isoformat()}", "range")
        used += [action.span(), (action.end(), day[1])]
    else:
        action = re.search(_AGAIN, low) or re.search(_ORDERED_IN, low)
        if action is None:
            return None
        again = bool(re.match(_AGAIN, low[action.start():]))
        rest = re.match(r"\s*(?:(?:in|during|between|from|over)\s+)?", low[action.end():])
        found = _period_at(low, action.end() + rest.end(), as_of)
        if found and found[0] != first:
            window = found[0]
            used += [(action.end(), found[1])]
        elif not again:
            return None  # "ordered in" needs the period they ordered in
        used.append(action.span())
        if again and window is None:
            min_orders = 2  # a second completed order, any time
        else:
            after_first = again
    if window is not None and window.end <= first.start:
        return None
    leftover = " ".join(low[a:b] for a, b in _outside(len(low), used))
    if any(w not in FUNCTION_WORDS and w not in _READ_WORDS for w in normalise(leftover).split()):
        return None
    share = bool(re.search(_SHARE, low))
    if not share and not re.search(r"\bhow many\b|\bnumber of\b|\bcount\b", low):
        return None
    for a, b in used:
        for w in normalise(low[a:b]).split():
            words.setdefault(w, f"customers whose first order is in {first.label}" if (a, b) == used[0] else
                             "their orders counted" + (f" in {window.label}" if window else ""))
    for w in normalise(leftover).split():
        words.setdefault(w, "function word")
    return Cohort(first, window, min_orders, after_first, share, words)


def _outside(length: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of [0, length) that no span covers."""
    out, at = [], 0
    for a, b in sorted(spans):
        if a > at:
            out.append((at, a))
        at = max(at, b)
    if at < length:
        out.append((at, length))
    return out

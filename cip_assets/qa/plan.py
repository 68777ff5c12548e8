"""The typed plan of a question: what the parser understood, what the handlers execute, what a follow-up
changes. Every word of the question is accounted for in `words` (word -> what it became)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from typing import Any

from cip_assets.qa.dates import Period

MAX_ROWS = 100  # the most rows any answer lists (LIMIT is bound and capped)


@dataclass
class Plan:
    intent: str                                   # count | sum | average | top | bottom | compare | trend | share | cohort
    question: str = ""                            # | profile | why_risk | feedback | define
    text: str = ""                                # the lower-cased question with periods and ids blanked out
    metric: str | None = None                     # a key of templates.METRICS
    filters: dict[str, Any] = field(default_factory=dict)         # kind -> value (country, segment, product...)
    exclude: dict[str, list[str]] = field(default_factory=dict)   # kind -> values left out ("excluding the UK")
    orders_condition: list | None = None          # [op, n] on each customer's lifetime orders ("bought once")
    group_condition: list | None = None           # [op, n] on each ranked group's orders ("countries with 50+ orders")
    growth: bool = False                          # compare: the change from the first period to the second
    base_kinds: list = field(default_factory=list)  # share: the filters that make the whole ("of Champions, ...")
    both_periods: bool = False                    # count: customers who bought in each of two periods
    first_not_second: bool = False                # count: customers who bought in the first period, not the second
    period: dict | None = None
    periods: list[dict] = field(default_factory=list)
    n: int | None = None
    dims: list[str] = field(default_factory=list)
    pairs: list = field(default_factory=list)     # [kind, [value, value]] to compare
    ids: list[str] = field(default_factory=list)  # customer ids
    grain: str = "month"                          # of a trend
    how: str = "rule"                             # rule | nearest example
    confidence: float = 0.9
    follow_up: bool = False
    words: dict[str, str] = field(default_factory=dict)
    term: str | None = None                       # define: the glossary term and its text
    definition: str | None = None
    n_capped: bool = False
    per_day: bool = False                         # average: a day's total, averaged over the days with orders
    every_period: str | None = None               # count: customers who bought in every month (quarter) of the period
    min_months: int | None = None                 # count: customers who bought in at least N months of the period
    top_percent: float | None = None              # share / sum: of the top P% of customers ("the top 1% of customers")
    day_orders: list | None = None                # count of trading days: only those with more (fewer) orders than n
    #                                               ([op, n]), or revenue than an amount ([op, amount, "revenue"])
    cohort: dict | None = None                    # cohort: {min_orders, after_first, share}; periods = [first, window?]
    over_metric: str | None = None                # share: the whole is another measure of the same orders ("the value
    #                                               of cancelled lines as a percentage of net revenue")

    @property
    def period_obj(self) -> Period | None:
        return Period.from_dict(self.period) if self.period else None

    @property
    def periods_obj(self) -> list[Period]:
        return [Period.from_dict(p) for p in self.periods or []]

    def to_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self), default=json_default))

    @classmethod
    def from_dict(cls, data: dict | None) -> "Plan | None":
        """A plan saved by this or an earlier version (unknown keys are dropped)."""
        if not data or "intent" not in data:
            return None
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def json_default(v):
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return str(v)

"""Question -> `Plan`, with every word accounted for.

The parser finds periods, customer ids, entities (countries, segments, products...), a measure, a
grouping, exclusions ("excluding the UK"), conditions on customers' orders ("bought exactly once")
and N of top-N, then decides the intent. Each word of the question must become one of those, a
known function word or a glossary term; a word left over means the question asks something the
engine does not know, and the parser says so (`NotUnderstood`) instead of answering a broader
question. The patterns themselves (measures, conditions, paraphrases, function words) live in `lexicon.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable

from cip_assets.qa.cohort import read_cohort
from cip_assets.qa.dates import (MONTHS, NUM_WORDS, Period, _half, _quarter, parse_period, period_before,
                                 restated_bounds, same_span_in_year, whole_months_only)
from cip_assets.qa.gazetteer import Gazetteer, Mention, english_words, normalise
from cip_assets.qa.intents import MIN_SIMILARITY, RULES, rule_intent
from cip_assets.qa.lexicon import (
    ANONYMOUS, BUT_NOT_SECOND, BUYER_MEASURES, CHURN_WORDS, CODE_LIST_JOIN, CODES_IN_BRACKETS, CODES_LISTED, CONDITION_OPS,
    CONDITION_WORDS, DAY_NAMES, DAY_ORDERS, DAY_REVENUE,
    COUNTRY_CODES, COUNTS_OF_CUSTOMERS, CUSTOMER_CONDITIONS, CUSTOMER_NOUNS, DIM_PATTERNS, EVERY_MONTH, MIN_MONTHS, EXCLUDE,
    EXCLUDED_AFTER, FILLER_PHRASES, FIRST_ORDER_ONLY, FOLLOW_UP, FROM_NEW_CUSTOMERS, FUNCTION_WORDS,
    GROUPS_WITH_ORDERS, GROUP_CONDITION, GROUP_CONDITION_VERB, GROWTH, GROWTH_WORDS, LAST_ORDER_CONDITIONS,
    MEAN_METRICS, METRIC_PATTERNS, NAME_HOLDS, NOT_CHURN_WORDS, NOT_PUBLISHED, OF_A_CUSTOMER_GROUP, ORDER_CONDITIONS,
    ORDER_LINES, ORDER_LINES_CONDITION, ORDER_VALUE, ORDER_VALUE_WORDS, PER_DAY, PER_DAY_MEASURES,
    PRIOR_PERIOD, QUESTION_LABEL, LEADING_SENTENCE, IDENTITY_OPENER, PURPOSE, CONTEXT_BEFORE,
    CONTEXT_AFTER, RATIO, RETURNING_BEFORE, SET_ASIDE, LEFT_ASIDE, ONCE_BOUGHT, DAYS_AS_A_FILTER, DAYS_SAID,
    RETURNING_DEFINED, RETURNING_DEFINED_AFTER, REVENUE_NOUNS, REWRITES, RFM_SCORED, RISK_WORDS, SCORED_WORDS, SUMMED_OVER_PRODUCTS, TOP_N,
    TOP_PERCENT, VOCABULARY, WEEKDAY_FILTER, HOUR_FILTER, WORDS_NOT_NAMES, WRITE_REQUEST, _num,
)
from cip_assets.qa.plan import MAX_ROWS, Plan
from cip_assets.qa.ratios import MEASURE_WORDS, TWO_READINGS, RatioSaid, ratio_said
from cip_assets.qa.templates import METRICS, NONE_SINCE

MAX_QUESTION_CHARS = 500


class NotUnderstood(Exception):
    """The question has words or a shape the engine cannot map; `filters` says what was understood."""

    def __init__(self, why: str, plan: Plan | None = None, unknown: list[str] | None = None):
        super().__init__(why)
        self.why = why
        self.plan = plan
        self.unknown = unknown or []  # the words no rule, entity or glossary term took


def ascii_digits(text: str) -> str:
    """Digits of any script (Arabic-Indic, Devanagari...) as ASCII, so `int()` and `[0-9]` agree."""
    if text.isascii():
        return text
    import unicodedata

    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch for ch in text)


@dataclass
class Slots:
    period: Period | None
    periods: list[Period]
    mentions: list[Mention]
    ids: list[str]
    metric: str | None
    n: int | None
    dims: list[str]
    text: str                                   # lower-case, periods and ids blanked
    exclude: dict[str, list[str]] = field(default_factory=dict)
    orders_condition: list | None = None
    product_codes: list[str] = field(default_factory=list)
    words: dict[str, str] = field(default_factory=dict)
    question: str = ""                          # as typed (case tells "At Risk", the segment, from "at risk")
    group_condition: list | None = None
    customer_conditions: list = field(default_factory=list)  # [column, op, value]: on each customer's own figure
    top_percent: float | None = None
    named_with: list | None = None              # [words, codes, excluded]: the products whose name holds the words
    order_lines: list | None = None             # [op, n(, "units")]: orders by their number of completed lines (units)
    day_orders: list | None = None              # [op, n]: the days by their number of orders


class Parser:
    def __init__(self, gaz: Gazetteer, glossary: dict[str, str], as_of: date | None,
                 classify: Callable[[str], Any] | None = None):
        self.gaz = gaz
        self.glossary = glossary
        self.as_of = as_of
        self.classify = classify  # nearest example phrasing, when no rule fires (None: rules only)
        self.asked = ""  # the question being parsed, as typed

    # ------------------------------------------------------------------ slots
    def slots(self, q: str) -> Slots:
        low = q.lower()
        words: dict[str, str] = {}
        prior = re.search(PRIOR_PERIOD, low)  # "vs the previous month" names no period of its own
        if prior:
            low = low[:prior.start()] + " " * (prior.end() - prior.start()) + low[prior.end():]
        period, spans, periods = parse_period(low, self.as_of)
        restated = restated_bounds(low, periods, self.as_of)  # "Q4 2011 (1 October to 9 December)": Q4 said again
        kept: list = []
        for found in restated:  # each kept only where, without it (and those kept before), its period is still named
            again = parse_period(_blanked(low, [span for span, _, _ in kept + [found]]), self.as_of)
            if all(p in again[2] or end_only and any(o.start <= p.start and p.end <= o.end for o in again[2])
                   for _, p, end_only in kept + [found]):  # (a bound of a period inside another: "2011? Q4 runs to ...")
                kept.append(found)
                period, spans, periods = again
        for (a, b), p, _ in kept:
            for w in normalise(low[a:b]).split():
                words.setdefault(w, f"where {p.label} starts and ends, said again")
        low = _blanked(low, [span for span, _, _ in kept])
        text = _blanked(low, spans)
        for a, b in spans:
            for w in normalise(low[a:b]).split():
                words[w] = f"period {period.label if period else ''}".strip()
        if prior and (len(periods) == 2 or len(periods) == 1 and _two_in_a_row(period, prior)):
            # "qoq change from Q2 to Q3 2011", "mom growth oct -> nov 2011": the periods named say which
            for w in normalise(prior.group(0)).split():
                words[w] = "between the periods named"
        elif prior and period is not None and len(periods) == 1:  # "mom revenue change for November 2011"
            said = next(i for i, g in enumerate(prior.groups()) if g)  # 0 month, 1 quarter, 2 week, 3 day, 4 year,
            # 5 named ("vs the previous month"), 6 the days before ("than the 30 days before that")
            grain = prior.group(6) if said == 5 else ("month", "quarter", "week", "day", None, None, None)[said]
            if grain in (None, "period", period.grain):  # "mom" needs a month, "qoq" a quarter
                before = period_before(period, "year" if said == 4 else "previous")
                periods = [period, before]  # this one against the one before: growth reads them by date
                for w in normalise(prior.group(0)).split():
                    words[w] = f"against {before.label}"
        whole = re.search(WHOLE_MONTHS_ONLY, text)
        if whole and period is not None and self.as_of is not None:  # "complete months only": not the month still open
            trimmed = whole_months_only(period, self.as_of)
            periods = [trimmed if p is period else p for p in periods]
            period = trimmed
            for w in normalise(whole.group(0)).split():
                if not w.startswith("month"):  # "months" still says what is ranked or listed
                    words[w] = f"whole months only ({period.label})"
            kept = re.sub(r"\b(?!months?\b)\w+", lambda m: " " * len(m.group(0)), whole.group(0))
            text = text[:whole.start()] + kept + text[whole.end():]
        if prior and not any(w in words for w in normalise(prior.group(0)).split()):
            text = text[:prior.start()] + prior.group(0) + text[prior.end():]  # not read: its words stay to be refused
        customer_conditions = []
        if period is not None and len(spans) == 1:  # "last purchase before June 2011": the period bounds last orders
            for pattern, how in LAST_ORDER_CONDITIONS:
                m = re.search(pattern, text[:spans[0][0]])
                if m and how == "none in":  # "no purchase in Q3" is not "last purchase before Q3" when Q3 is over
                    if self.as_of is None or period.end <= self.as_of:
                        continue
                    # no order from its start on: a last order before it, or none ever, unless only those who bought
                    # are asked about ("customers who've bought before", "did not order anymore")
                    how = "before" if re.search(ONCE_BOUGHT, low) or re.search(ONCE_BOUGHT, self.asked) else "none in"
                if m:
                    customer_conditions += {
                        "none in": [["last_order_at", NONE_SINCE, period.start.isoformat()]],
                        "before": [["last_order_at", "<", period.start.isoformat()]],
                        "on or before": [["last_order_at", "<", period.end.isoformat()]],
                        "after": [["last_order_at", ">=", period.end.isoformat()]],
                        "since": [["last_order_at", ">=", period.start.isoformat()]],
                        "in": [["last_order_at", ">=", period.start.isoformat()],
                               ["last_order_at", "<", period.end.isoformat()]]}[how]
                    for w in normalise(m.group(0) + " " + low[spans[0][0]:spans[0][1]]).split():
                        words[w] = f"customers whose last order is {how} {period.label}"
                    text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
                    period, periods = None, []
                    break
        named_with = None
        m = NAME_HOLDS.search(text)
        said = m and (m.group("in_name") or m.group("quoted") or m.group("word") or "").strip()
        named_codes = self.gaz.codes_named_with(said) if said else []
        if named_codes:  # a name that holds no product's words stays unread, to be refused
            excluded = bool(re.search(EXCLUDE.pattern + r"\W+(?:\w+\W+){0,3}$", text[:m.start()]))
            named_with = [said.upper(), named_codes, excluded]
            for w in normalise(m.group(0)).split():
                words[w] = f"products whose name holds '{said.upper()}' ({len(named_codes)} codes)"
            text = _blanked(text, [m.span()])
        ids, codes = [], []
        for token in self.gaz.customer_ids(q):
            before = text[:max(0, text.find(token.lower()))]
            if re.search(r"(?:over|above|under|below|than|least|most|exceeding|>|<|=|[£$€])\s*$", before):
                continue  # "spent over 10000 in total": an amount, not customer 10000
            if token.lower() in self.gaz.product_codes and (
                    re.search(r"\b(code|stock ?code|sku|item|product|article|(?:units|qty|quantity|pieces) of)\s*$", before)
                    or not self.gaz.could_be_customer(token)):
                codes.append(self._code_as_spelled(token, q))
                words[token.lower()] = f"product code {token.upper()}"
            else:
                ids.append(token.upper() if token[:1].isalpha() else token)
                words[token.lower()] = f"customer {ids[-1]}"
            text = text.replace(token.lower(), " ")
        group_condition, group_dim = None, None
        m = re.search(GROUP_CONDITION, text)
        if m:  # "countries with at least 50 orders": a condition on each ranked group, not on customers
            op = {"at least": ">=", "a minimum of": ">=", "more than": ">", "over": ">", "fewer than": "<",
                  "less than": "<", "under": "<", "at most": "<="}[m.group(2)]
            group_condition = [op, _num(m.group(3))]
            group_dim = next((d for d, pattern in DIM_PATTERNS if re.search(pattern, m.group(1))), None)
            # blank only the condition: the words between the group and it ("countries by aov with at least 100
            # orders") still name the measure
            start = m.start() + [c.start() for c in re.finditer(GROUP_CONDITION_VERB, m.group(0))][-1]
            for w in normalise(text[start:m.end()]).split():
                words[w] = f"groups with {op} {group_condition[1]} orders"
            text = text[:start] + " " * (m.end() - start) + text[m.end():]
        top_percent = None
        m = TOP_PERCENT.search(text)
        if m:  # "the top 1% of customers": a share of the customers, never "the top 1"
            top_percent = float(m.group(1))
            for w in normalise(m.group(0)).split():
                words[w] = f"the top {m.group(1)}% of customers"
            text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
        day_orders = None
        by_day = re.search(DAY_ORDERS, text) if re.search(r"\btrading days?\b", text) else None
        if by_day:  # "on how many trading days did we receive more than 100 orders": the days, by their orders
            day_orders = [CONDITION_OPS[by_day.group(1)], int(by_day.group(2))]
            for w in normalise(by_day.group(0)).split():
                words[w] = f"days with {CONDITION_WORDS[day_orders[0]]} {day_orders[1]} orders"
            text = _blanked(text, [by_day.span()])
        by_revenue = re.search(DAY_REVENUE, text) if not by_day and re.search(r"\btrading days?\b", text) else None
        if by_revenue:  # "on how many days did net revenue exceed £30,000": the days, by their revenue
            amount = float(by_revenue.group(2).replace(",", "")) * (1000 if by_revenue.group(3) else 1)
            day_orders = [CONDITION_OPS[by_revenue.group(1)], amount, "revenue"]
            for w in normalise(by_revenue.group(0)).split():
                words[w] = f"days with revenue {CONDITION_WORDS[day_orders[0]]} {amount:,g}"
            text = _blanked(text, [by_revenue.span()])
        orders_condition, condition_start, condition_said = None, None, ""
        for pattern, make in ORDER_CONDITIONS:
            for m in list(re.finditer(pattern, text)):
                if m.group(0).endswith("before") and any(a >= m.end() and not text[m.end():a].strip() for a, _ in spans):
                    continue  # "bought before June 2011" is a date, not "have bought (ever)"
                if re.search(r"\b(?:days?|dates?)\s+(?:on which|when|where)\s+(?:there\s+(?:was|were)\s+)?$", text[:m.start()]):
                    continue  # "any date on which at least one order came in": days, never a condition on customers
                if len(spans) == 2 and make(m) == ["=", 0] and re.search(r"\bbut\s+(?:placed\s+|made\s+|had\s+)?$",
                                                                          text[:m.start()]):
                    continue  # "ordered in Q1 but placed no order from April": in the first period, not the second
                if orders_condition is None or _same_count(orders_condition, make(m)):  # the same condition said
                    # twice ("repeat buyers, i.e. placed more than one order", "more than once, so 2 or more") is one;
                    # another one stays unread
                    orders_condition = orders_condition or make(m)
                    condition_start = m.start() if condition_start is None else condition_start
                    condition_said = f"{condition_said} {m.group(0)}"
                    for w in normalise(m.group(0)).split():
                        words[w] = f"customers with {orders_condition[0]} {orders_condition[1]} orders"
                    text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
        order_lines = None
        by_lines = re.search(ORDER_LINES, text)
        if by_lines:  # "orders that had more than 100 lines": the lines say which orders, not what is measured
            order_lines = [{**CONDITION_OPS, "exactly": "="}[by_lines.group(1)], int(by_lines.group(2).replace(",", ""))]
            if not by_lines.group(3).startswith("line"):  # "orders that carried at least 1,000 units"
                order_lines.append("units")
            condition = re.search(ORDER_LINES_CONDITION, text[by_lines.start():])
            a, b = by_lines.start() + condition.start(), by_lines.start() + condition.end()
            for w in normalise(text[a:b]).split():
                words[w] = "orders by their number of lines"
            text = _blanked(text, [(a, b)])
        for column, pattern in CUSTOMER_CONDITIONS:
            m = re.search(pattern, text)
            if m:
                value = float(m.group(2).replace(",", ""))
                if column == "churn_probability" and (m.group(3) or value > 1):
                    value /= 100  # "80%", "above 80": a probability
                if column == "lifetime_revenue" and period is not None and not (m.group(3) or "").strip():
                    column = "period_revenue"  # "spent more than 500 in 2011": their spend in the period
                customer_conditions.append([column, CONDITION_OPS[m.group(1)], value])
                for w in normalise(m.group(0)).split():
                    words[w] = f"customers whose {column.replace('_', ' ')} {CONDITION_OPS[m.group(1)]} {value:g}"
                text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
        mentions = [m for m in self.gaz.find(text)  # "us" is the USA only when written "US"
                    if not (m.text in ("us", "u s") and not re.search(r"\bU\.?\s?S\b", q))
                    and not (m.score < 100 and set(m.text.split()) <= WORDS_NOT_NAMES)]  # "entire" is not EIRE
        for code in re.findall(r"\b[0-9]{4,6}[a-z]{0,2}\b|\b[a-z]{1,4}[0-9]{2,6}[a-z]?\b|(?<=code )[a-z]{1,12}\b", text):
            named = re.search(rf"\b(code|stock ?code|sku|item|product|article)\s+{code}\b", text)
            if code in self.gaz.product_codes and (named or re.search(r"[0-9][a-z]|[a-z][0-9]", code)):  # 85123A alone too
                codes.append(self._code_as_spelled(code, q))
                words[code] = f"product code {codes[-1]}"
                text = re.sub(rf"\b{code}\b", " ", text)
        for m in re.finditer(r"\(\s*([a-z0-9_]{1,12})\s*\)", text):  # "postage (POST)": a name, then its code
            code = m.group(1)
            if code in self.gaz.product_codes and any(
                    p.kind == "product" and set(p.text.split()) & self._code_name_words([code]) for p in mentions):
                codes.append(self._code_as_spelled(code, q))
                words[code] = f"product code {codes[-1]}"
                text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
        named = self._code_name_words(codes)
        if named:  # "22086 paper chain kit": the words of the code's own name say the same product again
            mentions = [m for m in mentions if not (m.kind == "product" and 2 * len(set(m.text.split()) & named)
                                                    >= len(m.text.split()))]
        metric = None
        by_value = re.search(ORDER_VALUE, text)  # "customers with orders over 5000": the orders are the filter
        measured = text[:by_value.start()] + " " * (by_value.end() - by_value.start()) + text[by_value.end():] \
            if by_value else text
        not_second = re.search(BUT_NOT_SECOND, measured) if len(spans) == 2 else None
        if not_second:  # "but placed no order in Q2": the orders say which customers, not what is measured
            measured = _blanked(measured, [not_second.span()])
        for name, pattern in METRIC_PATTERNS:
            if re.search(pattern, measured):
                metric = name
                break
        if metric is None and by_value:
            metric = "orders"  # "how many orders over £500"
        of_new = re.search(FROM_NEW_CUSTOMERS, text)
        if of_new:  # "revenue from new customers": the measure is revenue, of the period's new customers
            metric = ("orders" if of_new.group(1) == "orders" else "quantity" if of_new.group(1) in ("units", "quantity")
                      else "aov" if of_new.group(1) in ("aov", "average order value", "order value", "basket value")
                      else "revenue")
        if metric == "revenue" and not re.search(REVENUE_NOUNS, text):  # "which weekday brings in the most orders"
            metric = next((alt for alt in ("orders", "customers", "quantity")
                           if re.search(dict(METRIC_PATTERNS)[alt], text)), metric)
        if metric == "revenue" and re.search(r"\bhow many\b", text) and (codes or any(m.kind == "product" for m in mentions)) \
                and not re.search(r"revenue|sales|turnover|takings|spend|spent|money|income|earn", text):
            metric = "quantity"  # "how many JUMBO BAG RED RETROSPOT did we sell": units
        tokens = normalise(text).split()
        if any(m.kind == "product" and tokens[max(0, m.start - 2):m.start] == ["how", "many"] for m in mentions):
            # "how many WHITE HANGING HEART T-LIGHT HOLDERs went to UK customers": units; "how many regency
            # cakestands came back as returns": the units returned; "... were cancelled": the units cancelled
            metric = ("returned_units" if (metric or "").startswith("returned") else
                      "cancelled_units" if (metric or "").startswith("cancelled") else "quantity")
        many = re.search(r"\bhow many (?:of (?:the|our|those) )?([a-z0-9'-]+)", text)  # the name right after "how many"
        if many and codes and many.group(1).rstrip("s") in {w.rstrip("s") for w in self._code_name_words(codes)}:
            metric = "quantity"  # "how many regency cakestands (22423) did German customers buy": units
        n = None
        m = TOP_N.search(text)
        if m:
            tok = m.group(1) or m.group(2) or m.group(3)
            n = _num(tok)
            words[tok] = f"N = {n}"
        dims = [d for d, pattern in DIM_PATTERNS if re.search(pattern, text)]
        ranked = next((d for d in dims if d in GROUPS_WITH_ORDERS), None)
        if orders_condition and group_condition is None and ranked and orders_condition[0] != "=" \
                and not re.search(CUSTOMER_NOUNS + r"\W+(?:\w+\W+){0,2}$", text[:condition_start]) \
                and not re.search(_PEOPLE_SAID, condition_said):  # "repeat customers": of customers, said so
            # "which country had the highest aov (min 50 orders)": said of the ranked groups, not of customers
            group_condition, group_dim, orders_condition = orders_condition, ranked, None
            for w, said in list(words.items()):
                if said.startswith("customers with"):
                    words[w] = f"groups with {group_condition[0]} {group_condition[1]} orders"
        if group_dim and group_dim not in dims:  # "among countries with at least 100 orders, which ..."
            dims.insert(0, group_dim)
        if "day" in dims and ("weekday" in dims or "hour" in dims):  # "day of the week", "hour of the day"
            dims.remove("day")
        exclude = self._exclusions(text, mentions)
        if named_with is None:  # "postage (POST and DOT)": a name, then the codes it stands for, every one of them
            listed = self._codes_listed_after_a_name(text, mentions, exclude)
            if listed:
                named_with, text, said = listed
                for w in [c.lower() for c in named_with[1]] + normalise(said).split():
                    words[w] = f"{named_with[0]}: product codes {', '.join(named_with[1])}"
        return Slots(period, periods, mentions, ids, metric, n, dims, text, exclude, orders_condition, codes, words, q,
                     group_condition, customer_conditions, top_percent, named_with, order_lines, day_orders)

    def _codes_listed_after_a_name(self, text: str, mentions: list[Mention], exclude: dict) -> tuple | None:
        """([name, codes, excluded], text without the list, the name as said) for a product named and then its codes in
        brackets or after "codes", "postage (POST and DOT)", "the postage codes, POST and DOT": the figure is of all the
        codes listed; the name's mention gives way to them."""
        m = CODES_IN_BRACKETS.search(text)
        if not m:
            m = CODES_LISTED.search(text)
            if not m:
                return None
            codes = [c for c in re.split(CODE_LIST_JOIN, m.group(1)) if c]
            known = next((i for i, c in enumerate(codes) if c not in self.gaz.product_codes), len(codes))
            if known < 2:  # "codes, POST and DOT, account for ...": the codes up to the first word that is none
                return None
            pattern = (r"(?:" + CODE_LIST_JOIN + r")").join(re.escape(c) for c in codes[:known])
            m = re.compile(r"\b(?:stock\s+)?codes,?\s+(" + pattern + r")\b,?").search(text, m.start())
            if not m:
                return None
        listed = [c for c in re.split(CODE_LIST_JOIN, m.group(1)) if c]
        if len(listed) < 2 or not all(c in self.gaz.product_codes for c in listed):
            return None
        ends_at = len(normalise(text[:m.start()]).split())
        products = [p for p in mentions if p.kind == "product"]
        names = {self.gaz.code_names.get(c.lower(), "").upper() for c in listed}
        named = next((p for p in products if ends_at - 2 <= p.end <= ends_at), None) or (
            products[0] if len(products) == 1 and products[0].value.upper() in names else None)
        if named is None:  # the name right before the brackets, a word or two before ("postage takings (...)"), or the
            return None    # one product named, when it is the name of one of the codes ("postage ... (POST and DOT)")
        for said_again in [p for p in products if p.value == named.value]:  # "postage ...? Postage is the codes ...": one
            mentions.remove(said_again)
        excluded = bool(getattr(named, "excluded", False))
        if excluded:
            exclude["product"] = [v for v in exclude.get("product", []) if v != named.value]
            if not exclude["product"]:
                del exclude["product"]
        codes = [self._code_as_spelled(c, c) for c in listed]
        said = [hit.span() for hit in re.finditer(r"\b" + re.escape(named.text) + r"\b", text)
                if hit.end() <= m.start() or hit.start() >= m.end()]
        spans = [m.span()] + said  # the brackets and the name's mentions
        return [named.value, codes, excluded], _blanked(text, spans), named.text

    def _code_name_words(self, codes: list[str]) -> set[str]:
        return {w for code in codes for w in normalise(self.gaz.code_names.get(code.lower(), "")).split()
                if w not in FUNCTION_WORDS}

    def _code_as_spelled(self, code: str, q: str) -> str:
        """The data's spelling of a product code: the question's own case when the data has it."""
        spellings = self.gaz.product_codes[code.lower()]
        typed = re.search(re.escape(code), q, re.IGNORECASE)
        return typed.group(0) if typed and typed.group(0) in spellings else spellings[0]

    @staticmethod
    def _exclusions(text: str, mentions: list[Mention]) -> dict[str, list[str]]:
        """Mentions right after "excluding", "other than", "outside"... (lists joined by and/or/nor)."""
        tokens = normalise(text).split()
        out: dict[str, list[str]] = {}
        starts = {m.start: m for m in mentions}
        norm = " ".join(tokens)
        for hit in EXCLUDE.finditer(norm):
            i = len(norm[:hit.end()].split())
            while i < len(tokens):
                if tokens[i] in ("the", "and", "or", "nor", "also", "both", "in", "from", "for", "to", "other", "any",
                                 "all", "every", "each", "our"):
                    i += 1
                    continue
                mention = starts.get(i)
                if mention is None:
                    break
                mention.excluded = True
                out.setdefault(mention.kind, []).append(mention.value)
                i = mention.end
        ends = {m.end: m for m in mentions}
        for hit in EXCLUDED_AFTER.finditer(norm):  # "postage excluded": the mention right before it
            mention = ends.get(len(norm[:hit.start()].split()))
            if mention is not None and not mention.excluded:
                mention.excluded = True
                out.setdefault(mention.kind, []).append(mention.value)
        return {kind: list(dict.fromkeys(values)) for kind, values in out.items()}  # "outside the UK ... outside the UK"

    def filters(self, slots: Slots) -> tuple[dict, list]:
        filters: dict[str, Any] = {}
        multi: dict[str, list] = {}
        low = slots.text
        for m in slots.mentions:
            if m.kind == "topic" or getattr(m, "excluded", False):
                continue
            multi.setdefault(m.kind, [])
            if m.value not in multi[m.kind]:
                multi[m.kind].append(m.value)
        # "at risk" names the RFM segment only when the question says segment; otherwise the churn risk band high
        named = re.search(r"\bAt Risk\b", slots.question) or re.search(r"['\"‘“]at risk['\"’”]", low)  # typed as a name
        if "segment" in multi and multi["segment"] == ["At Risk"] and not re.search(r"\bsegment", low) \
                and self.gaz.values.get("risk_band") and not named and "risk_band" not in multi:  # a band named too:
            # "at risk customers that are also high churn risk" names the segment
            multi["segment"].remove("At Risk")
            if not multi["segment"]:
                del multi["segment"]
            multi.setdefault("risk_band", ["high"] if "high" in self.gaz.values["risk_band"] else [])
        if re.search(r"\b(likely to (churn|leave)|risky)\b", low) and "risk_band" not in multi \
                and "high" in self.gaz.values.get("risk_band", []):
            multi["risk_band"] = ["high"]
        for kind, vals in multi.items():
            if vals:
                filters[kind] = vals[0]
        classes = {"filter": filters.pop("product_class", None), "exclude": (slots.exclude.pop("product_class", None)
                                                                            or [None])[0]}
        for how, value in classes.items():  # a class of codes is the list of its codes
            if value is None:
                continue
            keep = (value == "non-merchandise") == (how == "filter")
            if keep:
                filters["product_code"] = list(self.gaz.non_merchandise)
            else:
                slots.exclude["product_code"] = sorted(set(slots.exclude.get("product_code", []))
                                                       | set(self.gaz.non_merchandise))
        if slots.named_with and slots.named_with[2]:  # "excluding anything with 'POSTAGE' in the name"
            slots.exclude["product_code"] = sorted(set(slots.exclude.get("product_code", [])) | set(slots.named_with[1]))
        elif slots.named_with:
            filters["product_code"] = slots.named_with[1]
        if slots.product_codes:
            filters["product_code"] = slots.product_codes[0]
        if slots.customer_conditions:
            filters["customer_condition"] = slots.customer_conditions
        if re.search(RFM_SCORED, low):
            filters["rfm_scored"] = True
        elif re.search(SCORED_WORDS, low):
            filters["scored"] = True
        if re.search(FROM_NEW_CUSTOMERS, low):
            filters["new_in_period"] = True
        guests = re.search(ANONYMOUS, low)
        if guests:  # "excluding guest orders", "guests excluded": the orders with a customer id
            left_out = _left_out_by(low[:guests.start()]) or \
                re.match(r"\s*[),]?\s*(?:are\s+|were\s+|being\s+)?" + EXCLUDED_AFTER.pattern, low[guests.end():])
            filters["anonymous"] = not left_out
        days = _weekdays(low)
        if days:
            said = re.search(WEEKDAY_FILTER, low)
            if _left_out_by(low[:said.start()]) or re.search(r"\b(?:not|never|but not)\s+$", low[:said.start()]):
                days = [d.capitalize() for d in DAY_NAMES if d.capitalize() not in days]  # "other than on Sundays"
            filters["weekday"] = days
        hours = _hours(low)
        if hours:
            filters["hour"] = hours
        if slots.order_lines:  # "orders with more than 100 lines": completed orders by their number of lines (units)
            filters["order_units" if slots.order_lines[2:] else "order_lines"] = slots.order_lines[:2]
        value = re.search(ORDER_VALUE, low)
        if value:
            op = "<" if value.group(1) in ("under", "below", "less than") else ">"
            if _left_out_by(low[:value.start()]):
                op = {"<": ">=", ">": "<="}[op]  # "excluding orders over 5000": the orders of at most 5000
            filters["order_value"] = [op, float(value.group(2).replace(",", "") + "." + (value.group(3) or "0"))]
        if re.search(NOT_CHURN_WORDS, low):
            filters["churned"] = False
        elif re.search(CHURN_WORDS, low) and ("segment" not in multi or re.search(r"\b(?:churned|inactive)\b", low)):
            filters["churned"] = True  # "Champions in the churned segment": both ("lost customers" names a segment)
        return filters, [[k, v] for k, v in multi.items() if len(v) >= 2]

    # ------------------------------------------------------------------ the plan
    def parse(self, q: str, previous: Plan | None = None) -> Plan:
        """The plan of a question; paraphrases are rewritten first, and a mistyped grammar word is respelled once
        (the words of the card say so) before the parser gives up on it."""
        asked = q
        self.asked = q.lower()  # as typed: the rewrites may take out words the slots still weigh ("who've bought before")
        q = _returning_defined_after(q, self.as_of)
        for pattern, reason in NOT_PUBLISHED:  # before the rewrites too: "time from order to dispatch" is no sale
            if re.search(pattern, q.lower()):
                raise NotUnderstood(reason)
        ratio = ratio_said(q)  # before the rewrites, which may shorten its words ("orders with a completed line")
        if ratio is not None:
            q, defined = ratio
            said_in_it = parse_period(defined.clause.lower(), self.as_of)
            if said_in_it[0] is not None and parse_period(q.lower(), self.as_of)[0] is None:
                # "may 2011 net revenue divided by the days we traded": the period stays the question's
                q = q.rstrip(" ?.") + " in " + " ".join(defined.clause.lower()[a:b] for a, b in said_in_it[1]) + "?"
            # the sentence that held it, without its periods
            low = q.lower()
            begin = max([m.end() for m in re.finditer(r"[.?!]\s", low[:defined.at])], default=0)
            end = next((m.start() for m in re.finditer(r"[.?!](?:\s|$)", low[defined.at:])), len(low) - defined.at)
            sentence = low[begin:defined.at + end]
            unsaid = _blanked(sentence, parse_period(sentence, self.as_of)[1])
            unsaid = re.sub(r"\b(?:per|each|an?)\s+(?:order|customer|unit|day)\b", " ", unsaid)  # "the mean per order"
            if defined.measure and not any(re.search(pattern, unsaid) for _, pattern in METRIC_PATTERNS):
                # "For July 2011, completed order lines divided by orders?": the ratio is the question's measure
                q = f"{q[:defined.at]} {MEASURE_WORDS[defined.measure]} {q[defined.at:]}"
        q, base = _base_said(q)  # before the rewrites, which shorten "orders with a completed line" to "orders"
        said = _returning_defined_again(self._country_codes(_rewrite(self._region_listed(q))), self.as_of)
        said = self._antecedent(self._named_range(self._postage_codes(self._growth_defined(self._never_again(said)))))
        asker = bool(re.match(r"^\W*" + IDENTITY_OPENER, q.lower()))
        for _ in range(3):  # "I look after partnerships. We're pitching a donation, so I need a baseline: how many ...?"
            shorter = self._without_a_label(said, asker=asker)
            if shorter == said:
                break
            said, asker = shorter, bool(re.match(r"^\W*" + IDENTITY_OPENER, shorter.lower()))
        said = self._without_a_purpose(said)
        try:
            plan = self._parse(said, previous)
        except NotUnderstood as err:
            plan = self._parse_without_context(said, err, previous)
            if plan is None:
                fixes = respell(err.unknown)
                if not fixes:
                    raise
                try:
                    plan = self._parse(_replace_words(said, fixes), previous)
                except NotUnderstood:
                    raise err from None
                plan.confidence = round(float(plan.confidence or 0.9) * 0.9, 3)
                plan.words = {**plan.words, **{typed: f"read as '{word}'" for typed, word in fixes.items()}}
        if ratio is not None:
            self._as_defined(plan, defined)
        if base is not None:  # "..., and the base is orders with a completed line": it chooses the reading
            if plan.metric == "cancelled_orders" and plan.intent == "share" and not plan.filters and not plan.dims:
                plan.intent, plan.metric = "sum", "cancellation_rate"  # "cancelled orders as a percentage of orders"
            if plan.metric not in TWO_READINGS:
                raise NotUnderstood(f"the base said ('{base}') is not how I work out "
                                    f"{METRICS[plan.metric].label if plan.metric in METRICS else 'that'}", plan)
            plan.metric = BASES[base]
            plan.words = {**plan.words, **{w: f"the base of {METRICS[plan.metric].label}" for w in normalise(base).split()}}
        if not plan.follow_up:
            plan.question = asked
        return plan

    def _parse_without_context(self, said: str, err: NotUnderstood, previous: Plan | None) -> Plan | None:
        """The plan of the question without the sentences that hold the words it did not know, when those sentences
        name nothing the rest does not, read as words about the asker ("Those two halls sell out first.", "Big orders
        go out on a pallet."): no value of the data, period, number, filter, condition or ask of their own. None when
        no sentence is left, or the rest is still not understood."""
        # sentences, and clauses before a colon or after "so" ("For the turnover clause I need a gap between two months:
        # how much more ...?", "We size the haulage contract on volume, so: monthly orders for 2011")
        sentences = [s for s in re.split(r"(?<=[.?!:;])\s+(?=\S)|\s+[-–—]\s+(?=[a-z])|,?\s+so\b:?\s*(?=[a-z])", said.strip(),
                                         flags=re.IGNORECASE) if s.strip(" .?!:;,")]
        unknown = set(err.unknown)
        aside = [s for s in sentences if unknown & set(normalise(s).split())]
        rest = " ".join(s for s in sentences if s not in aside)
        if not aside or not rest or unknown - set(normalise(" ".join(aside)).split()):
            return None
        asks = r"^\W*(?:how\s+(?:many|much)|what|which|who|when|where|total|count|number|list|show|give|top|share|average)\b"
        if any(s.rstrip().endswith("?") or re.search(asks, s, re.IGNORECASE) for s in aside) and "?" not in rest:
            return None  # "japanese customers, 2011: total units purchsed?": the question itself holds the unknown word
        if any(self._names_something(s.lower().strip(" .?!:;,"), True, rest=rest) or re.search(LEFT_ASIDE, s.lower())
               for s in aside):
            return None
        try:
            plan = self._parse(rest, previous)
        except NotUnderstood:
            return None
        plan.confidence = round(float(plan.confidence or 0.9) * 0.85, 3)
        plan.words = {**plan.words, **{w: "context, not the question" for w in sorted(unknown)}}
        return plan

    def _as_defined(self, plan: Plan, ratio: RatioSaid) -> None:
        """Check a ratio's definition said beside the question against the plan's measure (it may choose one of two
        readings); one that defines another measure, or names a value or period the question does not, is refused."""
        label = METRICS[plan.metric].label if plan.metric in METRICS else "no measure"
        if ratio.measure == "revenue per customer":
            alike = plan.metric == "revenue" and plan.intent == "average" and plan.dims == ["customer"]
        elif ratio.measure in ("revenue per day", "orders per day"):  # a day's total over the days with orders
            alike = plan.per_day and plan.metric == ratio.measure.split()[0]
        elif ratio.measure in TWO_READINGS and plan.metric in TWO_READINGS:
            plan.metric, alike = ratio.measure, True
            label = METRICS[plan.metric].label
        elif ratio.measure == "revenue_per_unit" and plan.metric == "revenue" and plan.intent == "average" \
                and not set(plan.dims) - {"product"} and re.search(r"\b(?:sell|sold|sells|selling|price|priced)\b", plan.text):
            # "what did it actually sell for on average? Net revenue divided by net units": the price, defined
            plan.intent, plan.metric, alike = "sum", "revenue_per_unit", True
            label = METRICS[plan.metric].label
        else:
            alike = ratio.measure is not None and plan.metric == ratio.measure
        clause = ratio.clause.lower()
        period, spans, _ = parse_period(clause, self.as_of)
        asked = plan.period_obj
        if period is not None and (asked is None or not (period.start <= asked.start and asked.end <= period.end)):
            alike = False  # "... divided by the customers who bought in 2010" beside a question about 2011
        named = {(m.kind, m.value) for m in self.gaz.find(_blanked(clause, spans)) if m.score >= 95}
        if any(value not in (plan.filters.get(kind) if isinstance(plan.filters.get(kind), list)
                             else [plan.filters.get(kind)]) for kind, value in named):
            alike = False
        if not alike:
            raise NotUnderstood(f"the definition said ('{ratio.numerator} divided by {ratio.divisor}') is not how I work "
                                f"out {label}, so I did not answer it", plan)
        for w in normalise(clause).split():
            plan.words.setdefault(w, f"{label}, defined again")

    def _never_again(self, said: str) -> str:
        """ "bought in Q1 2011 and then never again up to 9 December 2011": the second period said as the one after the
        first, to the day named (or to the end of the data), so the customers of the first with no order in it."""
        m = NEVER_AGAIN.search(said)
        if not m or self.as_of is None:
            return said
        before = parse_period(said[:m.start()].lower(), self.as_of)[2]
        end = parse_period(m.group("end").lower(), self.as_of)[0] if m.group("end") else None
        if not before or m.group("end") and (end is None or end.end - end.start != timedelta(days=1)):
            return said
        start, last = before[-1].end, end.start if end else self.as_of
        if start > last:
            return said
        return f"{said[:m.start()]} but not from {start.isoformat()} to {last.isoformat()}{said[m.end():]}"

    def _growth_defined(self, said: str) -> str:
        """`said` without growth defined again as the engine works it out, later less earlier over earlier ("grow from
        September 2011 to October 2011? Growth meaning (October - September) / September"); another formula stays, so
        its words are not understood."""
        m = GROWTH_FORMULA.search(said)
        if not m or not re.search(GROWTH, said.lower()) or m.group("a").lower().strip() != m.group("base").lower().strip():
            return said
        later, earlier = (parse_period(m.group(side).lower(), self.as_of)[0] for side in ("b", "a"))
        if later is None or earlier is None or not earlier.end <= later.start:
            return said
        return said[:m.start()] + said[m.end():]

    def _postage_codes(self, said: str) -> str:
        """"postage" said alone is every postage code (POST and DOT in Online Retail), not the one product named
        POSTAGE: the question reads as if its codes were listed after it."""
        codes = sorted(c for c in self.gaz.non_merchandise if "postage" in self.gaz.code_names.get(c.lower(), "").lower())
        if len(codes) < 2 or any(re.search(rf"\b{re.escape(c)}\b", said, re.IGNORECASE) for c in codes):
            return said
        # (after an exclusion said after it: "postage excluded (DOT and POST)")
        return re.sub(r"(?<!dotcom )\bpostage(?:\s+(?:" + EXCLUDED_AFTER.pattern + r"))?\b(?!\s*\(|\s+(?:stock\s+)?codes?\b)",
                      lambda m: f"{m.group(0)} ({' and '.join(codes)})", said, count=1, flags=re.IGNORECASE)

    @staticmethod
    def _two_measures_asked(low: str) -> bool:
        """A question that asks a second measure after "and what / and how many" ("how many orders in October 2011 and
        what revenue?"); "which day had the most orders, and how many?" asks the same measure again."""
        m = re.search(r"\b(?:and|also|plus)\s+(?:what|how many|how much)\b", low)
        if not m:
            return False
        if re.match(r"[^?]*?\b(?:share|percentage|proportion|part)?\s*of (?:them|those|these)\b", low[m.end():]):
            return True  # "how many customers ordered in 2011 and how many of them were new"
        first, second = (next((name for name, pattern in METRIC_PATTERNS if re.search(pattern, part)), None)
                         for part in (low[:m.start()], low[m.start():]))
        return first is not None and second is not None and first != second

    @staticmethod
    def _over_a_measure(low: str, slots: Slots) -> str | None:
        """The measure that makes the whole of a share, when it is another measure of the same orders: "the value of
        cancelled lines as a percentage of net revenue", "returned units as a percentage of units sold" (the part is
        the measure named before it)."""
        m = re.search(OVER_A_MEASURE, low)
        if not m:
            return None
        part = next((name for name, pattern in METRIC_PATTERNS if re.search(pattern, low[:m.start()])), None)
        whole = next((name for name, pattern in METRIC_PATTERNS if re.search(pattern, m.group("whole"))), None)
        if (part, whole) in SHARES_OF_A_MEASURE:
            slots.metric = part
            return whole
        return None

    def _region_listed(self, said: str) -> str:
        """A region named and then listed by its countries ("Scandinavia, by which I mean Denmark, Norway and Sweden"):
        the countries listed are the question's, the region's name only a word for them."""
        m = REGION_LISTED.search(said)
        if not m:
            return said
        named = [x for x in self.gaz.find(m.group("listed").lower()) if x.kind == "country" and x.score >= 95]
        rest = m.group("listed").lower()
        for x in named:
            rest = re.sub(r"\b" + re.escape(x.text) + r"\b", " ", rest)
        if len(named) < 2 or re.search(r"[a-z]", re.sub(r"\b(?:and|the|or)\b", " ", rest)) \
                or not {x.value for x in self.gaz.find(m.group("region").lower())} <= {x.value for x in named}:
            return said  # a list of countries alone, after a name of none but them ("German-speaking countries")
        return said[:m.start()] + m.group("listed") + said[m.end("listed"):]

    def _named_range(self, said: str) -> str:
        """Products ranked among those whose name holds a word said as a range: "Of the RIBBON REEL designs, which three
        sold the most units?", "which 3 CONFETTI items shifted the most units?" (the words must name products)."""
        m = re.search(r"\b(?:of|among)\s+(?:the|all the|our|all|your)\s+(?P<x>[a-z0-9][a-z0-9' &-]{1,30}?)\s+(?:designs|items|"
                      r"products|lines|range|styles|variants)\b\s*,?\s*", said, re.IGNORECASE) or re.match(
            r"^\W*(?P<x>[A-Z][A-Z0-9' &-]{1,30}?)\s+(?:designs|items|products|lines|range|styles|variants)\s*:\s*", said)
        # ("CHANDELIER products: which 2 earned the most?")
        which = re.compile(r"\bwhich\s+(\d+|two|three|four|five|six|seven|eight|nine|ten)\b(?!\s+(?:products|items))",
                           re.IGNORECASE)
        if m and which.search(said, m.end()) and self.gaz.codes_named_with(m.group("x")):
            said = said[:m.start()] + said[m.end():]
            return which.sub(lambda w: f"{w.group(0)} products with '{m.group('x').upper()}' in the name", said, count=1)
        m = re.search(r"\bwhich\s+(\d+|two|three|four|five|six|seven|eight|nine|ten)\s+(?P<x>[A-Z][A-Z0-9' &-]{1,30}?)\s+"
                      r"(?:items|products|designs|lines)\b", said)
        if m and self.gaz.codes_named_with(m.group("x")):
            return f"{said[:m.start()]}which {m.group(1)} products with '{m.group('x')}' in the name{said[m.end():]}"
        return said

    def _antecedent(self, said: str) -> str:
        """What the question calls "it" or "those countries", named in the sentence before it: a product ("JUMBO BAG RED
        RETROSPOT (85099B) takes up a lot of space in a crate. How many orders included it in Q3 2011?"), countries
        ("A Dutch speaker could serve both the Netherlands and Belgium. What was those two countries' combined net
        revenue?") or a measure ("I need the average order value for the board. What is it for March 2011?"). The
        question names it, and the sentence, naming nothing else, is then dropped as context."""
        m = re.match(r"^\s*([^.?!]{3,200}?[.!])\s+(?=[^.?!]*\?\s*$)", said)
        if not m:
            return said
        sentence, question = m.group(1), said[m.end():]
        low, asked = sentence.lower(), self.gaz.find(question.lower())
        named = self.gaz.find(low)
        products = {x.value for x in named if x.kind == "product" and x.score >= 95}
        countries = list(dict.fromkeys(x.value for x in named if x.kind == "country" and x.score >= 95))
        metrics = [(name, hit) for name, pattern in METRIC_PATTERNS for hit in [re.search(pattern, low)] if hit][:1]
        them = re.search(THOSE_COUNTRIES, question, re.IGNORECASE)
        measured = any(re.search(pattern, question.lower()) for _, pattern in METRIC_PATTERNS)
        said_again: list[str] = []
        if len(products) == 1 and re.search(IT_MEANS_A_PRODUCT, question, re.IGNORECASE) and \
                not any(x.kind == "product" for x in asked):
            codes = [c for c in re.findall(r"\(\s*([a-z0-9]{3,12})\s*\)", low) if c in self.gaz.product_codes]
            if len(codes) > 1:
                return said
            product = next(iter(products))
            question = re.sub(IT_MEANS_A_PRODUCT, product + (f" ({codes[0].upper()})" if codes else ""), question,
                              count=1, flags=re.IGNORECASE)
            said_again = [product.lower()] + [f"({c})" for c in codes]
        elif len(countries) >= 2 and them and not any(x.kind == "country" for x in asked) and (
                not them.group(1) or NUM_WORDS.get(them.group(1).lower(), 0) == len(countries)
                or them.group(1) == str(len(countries))):
            listed = ", ".join(countries[:-1]) + " and " + countries[-1]
            said_now = f"{them.group('who')} in {listed}" if them.group("who") else listed  # "customers there"
            question = question[:them.start()] + said_now + question[them.end():]
            said_again = [x.text for x in named if x.kind == "country"]
        elif metrics and not measured and re.search(IT_MEANS_A_FIGURE, question, re.IGNORECASE):
            words = metrics[0][1].group(0)
            question = re.sub(IT_MEANS_A_FIGURE, words, question, count=1, flags=re.IGNORECASE)
            said_again = [words]
        elif metrics and not measured and re.search(r"^\W*(?:top|bottom|which|what)\b", question, re.IGNORECASE):
            # "The biggest dots on the map are order counts. Top three non-UK countries for Q3?": ranked by that measure
            words = metrics[0][1].group(0)
            question = re.sub(r"\s*[?.]?\s*$", f" by {words}?", question, count=1)
            said_again = [words]
        else:
            return said
        others = low
        for words in said_again:
            others = re.sub(r"\b" + re.escape(words) if words[0].isalnum() else re.escape(words), " ", others)
        if self._names_something(others.strip(" .!"), False, rest=question):
            return f"{sentence} {question}"
        return question

    def _without_a_purpose(self, said: str) -> str:
        """`said` without what the question is for, when that names nothing the rest of it does not ("for the flash
        report", "for the board", "For the German consignments: ... customers in Germany ...")."""
        for m in reversed(list(re.finditer(PURPOSE, said, re.IGNORECASE))):
            rest = said[:m.start()] + " " + said[m.end():]
            if not self._names_something(m.group(1).lower(), about_the_asker=False, rest=rest):
                said = rest
        return said

    def _without_a_label(self, said: str, asker: bool = False) -> str:
        """`said` without a leading label that names nothing the data holds ("Underwriting file:", "For the export
        file -", "Fact check, please:"), or a leading sentence before the question that names nothing ("I research
        the web shop's checkout. How many ...?"): no value of the data, period, measure, grouping or number in it
        that the question does not name itself ("I'm booking the Swedish loads. How many units went to Sweden?")."""
        after = CONTEXT_AFTER.search(said)
        said_after = after.group(1).lower() if after else ""
        if after and not self._names_something(said_after, bool(re.match(IDENTITY_OPENER, said_after)),
                                               rest=said[:after.start()]):
            said = said[:after.start()] + "?"  # "How many ...? I'm reconciling the dashboard."
        m = QUESTION_LABEL.match(said) or LEADING_SENTENCE.match(said) or CONTEXT_BEFORE.match(said)
        if not m:
            return said
        label = m.group(1).lower()
        # who is asking ("I'm a buyer for a gift floor.", "We're weighing up a subscription box."): a measure's or a
        # grouping's word in it describes the asker, not the question (`asker`: the question opened so, before the
        # rewrites took "I run" out as filler)
        about_the_asker = bool(asker and m.re is LEADING_SENTENCE or re.match(IDENTITY_OPENER, label))
        rest = said[m.end():]
        period, spans, _ = parse_period(label, self.as_of)
        if period is not None and m.re is QUESTION_LABEL and parse_period(rest, self.as_of)[0] is None \
                and not self._names_something(_blanked(label, spans), about_the_asker, rest=rest):
            # "Fraud review, October 2011: what was the quantity cancelled?": the label's period is the question's
            return re.sub(r"[\s?.!]*$", "", rest) + " in " + " ".join(label[a:b] for a, b in spans) + "?"
        return said if self._names_something(label, about_the_asker, rest=rest) else rest

    def _names_something(self, label: str, about_the_asker: bool, rest: str = "") -> bool:
        """Whether `label` names a value of the data, a period, a number, a filter or a condition (a measure's or a
        grouping's word too, unless the words describe the asker) that `rest`, the question without it, does not:
        a country or a measure said again there, or a period holding the question's own, adds nothing."""
        rest = rest.lower()
        # "your shop is next month's guest": a time after the data's end names none of the data's periods
        label = re.sub(r"\b(?:next|coming|upcoming)\s+(?:week|month|quarter|year|season)(?:'s)?\b", " ", label)
        period, spans, periods = parse_period(label, self.as_of)
        if period is not None:
            asked = parse_period(rest, self.as_of)[0] if rest else None
            # each period it names ("Q2 2011 compared with Q1 2011: how many more orders in Q2?" names Q1 too)
            if asked is None or any(not (p.start <= asked.start and asked.end <= p.end) for p in periods or [period]):
                return True
            label = _blanked(label, spans)  # "our 2011 review ... from 1 January to 9 December 2011": said again
        if set(re.findall(r"\d+", label)) - set(re.findall(r"\d+", rest)):  # a number the question does not say
            return True
        if re.search(r"\b(?:names?|descriptions?|titles?)\b", label) and not re.search(r"\b(?:names?|descriptions?|titles?)\b", rest):
            return True  # "ALPHABET in the product name: ...": a word of the products' names
        # "us" as a word of the sentence, not the country ("Swiss orders go by road with us.")
        label = re.sub(r"\b(with|to|for|from|by|through|via|past|let|tell|give|help|about|of|at|on|between|among|sends?|sells?|buys?|"
                       r"pays?|bills?|asks?)\s+us\b(?!\s+(?:customers|clients|buyers|shoppers|market|orders|sales|accounts|"
                       r"revenue|dollars))", r"\1", label)
        label = re.sub(r"\bguest-(?=[a-z])", "", label)  # "guest-room gifts": no guest order
        if re.search(BUT_NOT_SECOND, rest):  # "Lapsed-customer postcards: customers who bought in Q1 and never again"
            label = re.sub(r"\b(?:lapsed|lapsing|win-?back|churned|dormant)\b", " ", label)  # the rest says who they are
        label = re.sub(r"\b(?:each|every) one\b", " ", label)  # "Each one gets a thank-you card."
        label = re.sub(r"\b(?:worst|best)[- ]case\b", " ", label)  # "The busiest day sets my worst case at the gate."
        # a value of the data; in words about the asker only one said as it is ("I plan" is not a misspelt Poland)
        mentions = [m for m in self.gaz.find(label) if not about_the_asker or m.score >= 95]
        asked = {(m.kind, m.value) for m in self.gaz.find(rest)}
        left_out = self._exclusions(label, mentions)
        if left_out and all(any(kind == k and value not in left_out[kind] for k, value in asked) for kind in left_out):
            # "sizing up overseas markets. ... customers in France": France is already outside the UK
            label = " ".join(t for t in normalise(label).split() if not EXCLUDE.fullmatch(t))
            mentions = [m for m in mentions if not m.excluded]
        values = {(m.kind, m.value) for m in mentions}
        if values and not values <= asked:
            return True
        codes = {t for t in normalise(label).split() if t in self.gaz.product_codes and (
            re.search(r"\d", t) or re.search(r"\bcodes?\b", label))}
        if codes - set(normalise(rest).split()):  # "Postage is billed under the codes POST and DOT."
            return True
        if not about_the_asker:
            named = {name for name, pattern in METRIC_PATTERNS + DIM_PATTERNS if re.search(pattern, label)}
            if named and not named <= {name for name, pattern in METRIC_PATTERNS + DIM_PATTERNS
                                       if re.search(pattern, rest)}:
                return True
        asks = [(r"\b(?:differences?|change|increase|decrease|growth|gap|minus)\b(?!-)",  # what is asked: "I want the
                 r"\bhow much (?:more|less|higher|lower)\b|\b(?:more|less|fewer|higher|lower)\b[^?.]{0,80}\bthan\b"),
                (r"\b(?:share|percent|percentage|ratio|(?<!run-)(?<!run )rate|proportion)\b(?!-)", None),  # difference:";
                (r"\b(?:average|mean|median)\b(?!-)", None)]  # the question asking the same in its own words settles it
        # ("what percentage", "how much more ... than"); a word of a compound asks nothing ("growth-grant applications")
        if any(re.search(pattern, label) and not re.search(pattern, rest) and not (same and re.search(same, rest))
               for pattern, same in asks):
            return True
        if re.search(SET_ASIDE, label):  # "Skip the December spike.", "Make it a monthly figure."
            return True
        if re.search(DAYS_AS_A_FILTER, label) and not re.search(DAYS_SAID, rest):
            return True  # "We care mostly about weekends.", "Fridays, January and February 2011: how many orders?"
        filters = [ANONYMOUS, CHURN_WORDS, NOT_CHURN_WORDS, RISK_WORDS, WEEKDAY_FILTER, ORDER_VALUE_WORDS,
                   FROM_NEW_CUSTOMERS, TOP_N.pattern, r"\b(?:only|not|no|never|new|repeat|returning|guests?|known|"
                   r"identified|top|bottom|best|worst)\b"]
        if not about_the_asker:  # "a non-executive director", "I just joined": words about the asker
            filters += [EXCLUDE.pattern, r"\bjust\b|\b(?:each|every|per)\s+(?:[a-z]+\s+)?(?:month|week|day|quarter|year|hour|"
                        r"customer|client|buyer|country|market|product|item|order|segment|band|city|category|weekday)s?\b"]
            # ("each", "every", "per" and "by" only with a grouping's noun: "Every couple wants confetti.")

        def said(pattern: str, text: str) -> set[str]:
            return {m.group(0).strip() for m in re.finditer(pattern, text)}

        # a filter the question says again in the same words adds nothing ("how much of our trade is anonymous.
        # Guest orders per month ...": the guests are the question's own)
        return any(said(pattern, label) - said(pattern, rest) for pattern in filters) \
            or any(re.search(pattern, label) for pattern, _ in ORDER_CONDITIONS + CUSTOMER_CONDITIONS)

    def _country_codes(self, q: str) -> str:
        countries = set(self.gaz.values.get("country", []))

        def name(m: re.Match) -> str:
            code = m.group(0)
            country = COUNTRY_CODES.get(code)
            if country == "EIRE" and country not in countries:
                country = "Ireland"
            if country == "USA" and country not in countries:
                country = "United States"
            return country if country in countries and code not in ("US", "UK") else code

        return re.sub(r"\b[A-Z]{2}\b", name, q)

    def _parse(self, q: str, previous: Plan | None = None) -> Plan:
        low = q.lower()
        if re.search(WRITE_REQUEST, low):  # "please change customer 12347's country to Germany": never a figure
            raise NotUnderstood("I only read the published data; I cannot change, add or delete anything")
        for pattern, reason in NOT_PUBLISHED:
            if re.search(pattern, low):
                raise NotUnderstood(reason)
        definition = self.definition(low)
        if definition:
            return Plan("define", question=q, text=low, term=definition[0], definition=definition[1], confidence=0.95,
                        words={w: f"glossary term {definition[0]}" for w in normalise(low).split()})
        cohort = read_cohort(low, self.as_of)
        if cohort is not None:  # "of the customers whose first order was in Q1, how many ordered again": the whole question
            periods = [cohort.first] + ([cohort.window] if cohort.window else [])
            return Plan("cohort", question=q, text=low, metric="customers", period=cohort.first.to_dict(),
                        periods=[p.to_dict() for p in periods], words=cohort.words,
                        cohort={"min_orders": cohort.min_orders, "after_first": cohort.after_first,
                                "share": cohort.share})
        slots = self.slots(q)
        if len(normalise(q).split()) == 1 and slots.metric and previous is None:  # "sales?": which figure of it?
            said = slots.metric.replace("_", " ")
            raise NotUnderstood(f"one word names a measure but not the figure: ask e.g. 'total {said} in 2011' or "
                                f"'monthly {said}'", self._partial(q, slots, {}))
        filters, pairs = self.filters(slots)
        than = re.search(r"\bthan\b", low)
        if pairs and than:  # "Belgium vs the Netherlands: how much more did the Dutch bring in than the Belgians": NL - BE
            kind, values = pairs[0]
            said_at = {m.value: low.find(m.text) for m in slots.mentions if m.kind == kind}
            after = [v for v in values if said_at.get(v, -1) > than.start()]
            if len(after) == 1 and len(values) == 2:
                pairs[0] = [kind, [v for v in values if v not in after] + after]
        how, confidence = "rule", 0.9
        scores = [m.score for m in slots.mentions]
        if scores:
            confidence *= min(scores) / 100
        intent = rule_intent(_without_product_names(slots.text, slots.mentions))
        one_figure = ((intent in ("count", "sum", "average", None) or intent in ("top", "bottom") and slots.metric in (
                          "largest_order", "median_order_value")) and len(slots.ids) == 1
                      and slots.metric not in (None, "customers")
                      and not re.search(r"\b(about|profile|who is|show|details|tell)\b|\b(?:which|what) country\b|"
                                        r"\band (?:what|how|when|which|where)\b", low))  # two things asked: the card
        if one_figure and intent is None:  # "churn probability of customer 12347"
            intent = "average" if slots.metric in MEAN_METRICS else "sum"
        if one_figure:  # "how many orders has customer 17850 placed": that customer's figure, not the profile card
            filters["customer"] = slots.ids[0]
        elif slots.ids and intent not in ("why_risk",):
            intent = "profile" if intent in (None, "count", "sum", "define") or re.search(
                r"\b(about|profile|who is|show|details|tell)\b", low) else intent
        if re.match(r"^\W*why\b", low) and intent != "why_risk":  # "why did customer X cancel so many orders"
            raise NotUnderstood("'why' is answered only for a customer's churn risk ('why is customer X at risk')",
                                self._partial(q, slots, filters))
        if intent == "why_risk" and not slots.ids:
            if not re.search(r"\bwhich\b", low):
                raise NotUnderstood("a 'why' question needs a customer id, e.g. 'why is customer C0000057 at risk'",
                                    self._partial(q, slots, filters))
            intent = "top"
        is_follow = previous is not None and (FOLLOW_UP.match(q) is not None or (
            intent is None and slots.metric is None and (slots.mentions or slots.period or slots.n)))
        if is_follow and (FOLLOW_UP.match(q) or intent is None) and intent not in ("define", "profile", "why_risk",
                                                                                   "feedback"):
            plan = self.follow_up(previous, slots, filters, low)
            if intent in ("top", "bottom", "trend", "share", "average") and intent != plan.intent:
                plan.intent = intent
            plan.words = self.account(q, slots, plan.intent)
            return plan
        if intent != "feedback":
            self.account(q, slots, intent)  # raises NotUnderstood naming the words left over
        if intent is None and (slots.metric or filters or slots.orders_condition) and \
                not re.search(r"\b(weather|joke|poem|translate)\b", low):
            intent = "count" if slots.metric in (None, "customers") else "sum"
            confidence *= 0.8
        if intent is None:
            if self.classify is None:
                raise NotUnderstood("no rule matched", self._partial(q, slots, filters))
            guess = self.classify(q)
            if guess.intent == "unknown" or guess.confidence < MIN_SIMILARITY:
                raise NotUnderstood(f"closest known question was '{guess.example}' ({guess.confidence:.2f})",
                                    self._partial(q, slots, filters))
            intent, how, confidence = guess.intent, "nearest example", guess.confidence * confidence / 0.9
            if intent in ("count", "sum", "average", "top", "bottom", "share", "compare", "trend") \
                    and not (slots.metric or filters or slots.period):
                raise NotUnderstood(f"it sounds like a '{intent}' question but I found no measure or filter in it",
                                    self._partial(q, slots, filters))
        which = (re.search(r"\b(?:which|who)\b[^?]*?\b(more|most|higher|highest|bigger|biggest|larger|largest|better|best|"
                           r"fewer|fewest|less|least|lower|lowest|smaller|smallest|worse|worst)\b", low)
                 or re.search(r"\bor\b", low) and not re.search(r"\bhow (?:much|many) (?:more|less|fewer)\b", low)
                 and re.search(r"\b(more|higher|bigger|larger|better|fewer|less|lower|smaller|worse)\b(?!\s+than\b)", low))
        if intent in ("count", "sum", "average") and pairs and which and not slots.orders_condition:
            # "which segment has more customers, Champions or Loyal": the two side by side (the larger of three or
            # more), not both added up
            if len(pairs[0][1]) == 2:
                intent = "compare"
            else:
                intent = "bottom" if which.group(1) in ("fewer", "fewest", "less", "least", "lower", "lowest", "smaller",
                                                        "smallest", "worse", "worst") else "top"
                slots.n = 1
        each_said = re.search(rf"{APART_EACH}|\b(?:each|respectively)\s*(?:[?.!,;]|$|in\b|for\b|during\b|over\b)", low)
        if intent in ("count", "sum", "average") and pairs and len(pairs[0][1]) >= 3 and each_said:
            if intent != "sum" or slots.orders_condition:  # never the total of them all
                raise NotUnderstood(f"each of {len(pairs[0][1])} values side by side is worked out for totals only (revenue, "
                                    "orders, units): ask for one at a time", self._partial(q, slots, filters))
            intent, slots.n = "top", len(pairs[0][1])  # "revenue in Germany, France and Spain separately": each, ranked
        if intent in ("count", "sum", "average", "share") and pairs and len(pairs[0][1]) == 2 \
                and (re.search(f"{APART}|{RATIO}", low) or each_said) and not slots.orders_condition:
            intent = "compare"  # "the difference in revenue between Germany and France", "ratio of German to French
            # revenue", "Germany and France separately": the two side by side, never the two added up
            minus = re.search(r"\bminus\b", low)
            if minus:  # "..., France minus Germany": the one said right before "minus" first
                kind, values = pairs[0]
                said = {m.value: low.rfind(m.text.lower(), 0, minus.start()) for m in slots.mentions if m.kind == kind}
                pairs[0] = [kind, sorted(values, key=lambda v: -said.get(v, -1))]
        if intent == "trend" and pairs:  # "quarterly orders from the Nordics": their orders together, one series
            if re.search(f"{APART}|{RATIO}|{APART_EACH}|\\bvs\\b|\\bversus\\b|\\bcompared?\\b|\\beach\\b", low):
                raise NotUnderstood("a series for each of several countries (segments, products) is not drawn; ask for one "
                                    "at a time, or for them together", self._partial(q, slots, filters))
            kind, values = pairs[0]
            filters[kind], pairs = list(values), []
        if (intent in ("count", "sum", "average") or intent == "share" and re.search(r"\bor\b", low)) and pairs \
                and not slots.orders_condition:  # "Swiss or Norwegian revenue", "% of customers in Lost or Hibernating"
            kind, values = pairs[0]
            filters[kind], pairs = list(values), []
        if intent in ("top", "bottom") and pairs:
            kind, values = pairs[0]
            ranked = [d for d in slots.dims if d != "customer"]
            if not ranked or ranked[0] == kind:  # "rank Sweden, Norway and Denmark by revenue": within them
                slots.dims = [kind] + [d for d in slots.dims if d != kind]
                filters.pop(kind, None)
            else:  # "top products in France or Germany": either of them
                filters[kind], pairs = list(values), []
        if intent == "compare" and pairs and re.search(r"\beither\b", low):  # "either Hibernating or Lost": both
            kind, values = pairs[0]
            filters[kind], pairs = list(values), []
            intent = "count" if slots.metric in (None, "customers") else "sum"
        if intent == "compare" and pairs and re.match(r"^\W*(?:how many|how much|number of|count of|total)\b", low) \
                and re.search(r"\bor\b", low) and len(re.findall(r"\bhow (?:many|much)\b", low)) == 1 and not re.search(r"\b(?:which|vs|versus|compar\w*|than|difference|between|each|separately|respectively|"
                                  r"more|less|fewer|higher|lower)\b", low):
            kind, values = pairs[0]  # "how many customers are based in Austria or Switzerland": the two together
            filters[kind], pairs = list(values), []
            intent = "count" if slots.metric in (None, "customers") else "sum"
        if intent in ("sum", "count") and slots.metric in BUYER_MEASURES and re.search(r"\bper customer\b", slots.text):
            intent = "average"  # "revenue per buyer in Australia"
        if slots.metric == "orders" and re.search(r"\b(?:placed|made|put in|had)\s+(?:an?\s+|any\s+)?orders?\b", low) and \
                re.match(r"^\s*(how many|number of|count of)\s+" + _FEW_WORDS + r"(customers|clients|buyers)\b", low):
            slots.metric = "customers"  # "how many (French) customers placed orders in both Q1 and Q4": who ordered
        if re.match(r"^\s*(how many|number of|count of|count the)\s+" + _FEW_WORDS + r"(customers|clients|buyers|"
                    r"shoppers|people)\b", low) and slots.metric not in COUNTS_OF_CUSTOMERS and not slots.ids:
            raise NotUnderstood(f"a count of customers by their {slots.metric.replace('_', ' ')} is not something I can "
                                "work out; I count customers by country, segment, risk band, product, period or number "
                                "of orders", self._partial(q, slots, filters))
        if slots.metric in ("largest_order", "median_order_value") and intent in ("top", "bottom", "average", "count", None):
            intent = "sum"  # one figure over the orders, not a ranking
        if intent == "trend" and len(slots.periods) == 2 and not re.search(r"\b(?:vs|versus|compared?|against|than|"
                                                                          r"change|difference|growth)\b", low):
            outer, inner = sorted(slots.periods, key=lambda p: p.end - p.start, reverse=True)
            series = re.search(r"\b(?:quarterly|monthly|weekly|daily|(?:by|per|each|every) (?:quarter|month|week|day)|"
                               r"(?:quarter|month|week|day) by (?:quarter|month|week|day))\b", low)
            nested = outer.start <= inner.start and inner.end <= outer.end
            if nested and inner.grain == "range":  # "monthly ... through 2011, January to November": those months
                slots.period, slots.periods = inner, [inner]
            elif nested and series:
                raise NotUnderstood(f"a series over {outer.label} and {inner.label} at once: ask for one of them",
                                    self._partial(q, slots, filters))
            elif slots.periods[0].grain == slots.periods[1].grain and slots.periods[0].end <= slots.periods[1].start \
                    and series and not re.search(r"\b(?:grow|grew|grown|rise|rose|fall|fell|increase|decrease|move|moved|percent)\b|%",
                                      low):
                first, last = slots.periods  # "quarterly revenue for Q1 to Q3 2011": one span, not Q1 against Q3
                span = Period(first.start, last.end, f"{first.label} to {last.label}", "range")
                slots.period, slots.periods = span, [span]
        if intent == "trend" and len(slots.periods) == 2:  # "how did orders change between Q2 and Q3": two periods
            intent = "compare"
        said_prior = re.search(PRIOR_PERIOD, low) is not None  # "mom", "vs the previous month", "yoy"
        against_before = len(slots.periods) == 2 and said_prior
        if against_before and intent in ("trend", "sum", "count", "average", None):
            intent = "compare"  # "month on month revenue growth for November 2011": November against October
        from_to = re.search(r"\bfrom\b", low) or said_prior  # "from October to November", "oct -> nov mom"
        growth = bool(re.search(GROWTH, low)) or against_before and not re.search(r"\b(difference|how (?:much|many) more)\b",
                                                                                low) or bool(re.search(r"\bgrowth\b", low) and (
            len(slots.periods) == 2 or (len(slots.periods) == 1 and from_to)))
        # "change in active customers from October to November": the difference between the two
        change = not growth and bool(re.search(r"\b(change|difference)\b", low)) and 1 <= len(slots.periods) <= 2
        if (growth or change) and intent in ("trend", "compare", "share", "sum", "count", None):
            two = slots.periods
            if len(two) == 1 and from_to and two[0].grain == "range":  # "from October to November"
                first = two[0]
                ends = _ends_of_a_range(first)
                two = ends if ends[0].start != ends[1].start else two
            if len(two) == 2:
                intent, slots.periods = "compare", two
            else:
                growth = False
        if intent in ("sum", "count", "average", None) and len(slots.periods) < 2 and \
                re.search(r"\b(?:grow|grew|grown|growth|increased?|decreased?|declined?)\b(?!-)", low):
            # "revenue growth in 2011": never the year's revenue with the growth dropped
            raise NotUnderstood("a change is between two periods: name both (\"from 2010 to 2011\", \"Q3 against Q2\"), "
                                "or ask for a series (\"by month\")")
        both_periods = bool(intent in ("count", "compare") and len(slots.periods) == 2
                            and re.search(r"\bboth\b|\balso\b", low)
                            and slots.metric in (None, "customers"))
        first_not_second = bool(intent in ("count", "sum", "compare", None) and len(slots.periods) == 2
                                and re.search(BUT_NOT_SECOND, low) and (slots.metric in (None, "customers") or re.search(
                                    r"\b(customers?|custs?|clients?|buyers?|shoppers?)\b", low)))
        if intent == "compare" and len(slots.periods) == 2 and not both_periods and not first_not_second:
            slots.periods = _same_span_for_a_bare_year(slots.periods)
            days = [p for p in slots.periods if p.end - p.start == timedelta(days=1)]
            same_day = re.search(r"\bsame day (?:last|the previous|a|the week before) week\b|\bsame day a week "
                                 r"(?:earlier|before)\b", low)
            if same_day and len(days) == 1:  # "yesterday vs the same day last week": that day, seven days earlier
                day = days[0].start - timedelta(days=7)
                slots.periods = [days[0], Period(day, day + timedelta(days=1), day.isoformat(), "day")]
        if first_not_second:  # the customers of the first period, the second one left out ("ordered" names no measure)
            intent, both_periods, slots.metric = "count", True, "customers"
            if re.search(r"\blapsed\b", low):  # "lapsed customers: bought in H1 but nothing in H2" says how
                filters.pop("churned", None)
        apart = re.search(f"{APART}|{RATIO}|{APART_EACH}", low)  # each of two periods, not the two together
        if intent == "share" and len(slots.periods) == 2 and re.search(RATIO, low) and \
                not (slots.periods[0].start < slots.periods[1].end and slots.periods[1].start < slots.periods[0].end):
            intent = "compare"  # "revenue in Q3 2011 as a percentage of Q4 2011": one over the other
        if intent in ("count", "sum", "average") and len(slots.periods) == 2 and not both_periods:
            a, b = slots.periods
            if a.start < b.end and b.start < a.end:  # "year-to-date sales 2011": the narrower of nested periods
                narrow = _narrower(a, b, low)
                slots.period, slots.periods = narrow, [narrow]
            elif apart or not (a.end == b.start and re.search(r"\band\b", low)):
                intent = "compare"  # "how many more new customers in October than in September": both periods
        elif intent in ("top", "bottom", "trend") and len(slots.periods) == 2:
            a, b = slots.periods
            if a.start <= b.start and b.end <= a.end or b.start <= a.start and a.end <= b.end:
                narrow = _narrower(a, b, low)  # "weakest 3 months of 2011, jan-nov only"
                slots.period, slots.periods = narrow, [narrow]
            elif intent != "trend" and a.end == b.start and re.search(r"\band\b", low) and not growth and not change:
                slots.period = Period(a.start, b.end, f"{a.label} and {b.label}", "range")  # "in October and
                slots.periods = [slots.period]  # November": a ranking over both months, never the first alone
            elif intent != "trend" and not growth and not change:
                raise NotUnderstood("a ranking over two periods: ask for one span, or for each period",
                                    self._partial(q, slots, filters))
        either = re.search(r"\bor\b|\beither\b", low) and not re.search(r"\b(?:which|more|fewer|less|higher|lower|vs|versus|"
                                                                  r"compared?)\b", low)
        customers_of_two = (intent in ("count", "sum", "compare") and len(slots.periods) == 2 and not both_periods
                            and not first_not_second and not apart and not growth and not change
                            and slots.metric in (None, "customers", "active_customers"))
        if customers_of_two and (either or re.search(r"\band\b", low)):
            a, b = sorted(slots.periods, key=lambda p: p.start)
            if not either:  # "customers who ordered in Q3 and Q4": in both, or in either? Not guessed
                raise NotUnderstood("customers of two periods: in both of them, or in either? Say 'both' or 'either'",
                                    self._partial(q, slots, filters))
            if a.end != b.start:
                raise NotUnderstood("customers in either of two periods apart from each other are not counted",
                                    self._partial(q, slots, filters))
            intent = "count"  # "customers who ordered in Q3 or Q4": anyone in the two together
        if intent in ("count", "sum", "average") and len(slots.periods) == 2 and not both_periods and not apart and \
                slots.periods[0].end == slots.periods[1].start and re.search(r"\band\b|\bor\b|\beither\b", low):
            first, second = slots.periods  # "in October and November 2011": both months
            joined = "or" if either and slots.metric in (None, "customers", "active_customers") else "and"
            slots.period = Period(first.start, second.end, f"{first.label} {joined} {second.label}", "range")
            slots.periods = [slots.period]
        per_day = bool(re.search(PER_DAY, low) and slots.period is not None and intent in ("average", "trend", "sum")
                       and (slots.metric or "customers") in PER_DAY_MEASURES and not slots.orders_condition)
        if per_day:
            intent = "average"
        every = re.search(EVERY_MONTH, slots.text)
        every_period = every.group(1) if every else None
        if every_period and re.search(r"\d|\b(?:two|three|four|six|twelve)\b", every.group(0)):
            slots.n = None  # "in each of the three months of Q3": the count of the period's months, said again
        if every_period and slots.orders_condition == [">=", 1] and slots.metric in (None, "customers"):
            slots.orders_condition = None  # "placed an order in every quarter": an order in each is what is asked
        if every_period and slots.metric in (None, "customers") and slots.period is not None \
                and intent in ("count", "sum", None) and not slots.orders_condition:
            intent, slots.dims = "count", []  # the month (quarter) names no grouping here
        elif every_period:
            every_period, intent = None, "trend"  # "revenue in each month of 2011": month by month
        months = re.search(MIN_MONTHS, slots.text)
        min_months = _num(months.group(1) or months.group(2)) if months else None
        if months and min_months >= 1 and slots.metric in (None, "customers") and slots.period is not None \
                and not slots.orders_condition and not every_period and not slots.n:
            intent, slots.dims = "count", []  # "different months" names no grouping here
        elif months:
            raise NotUnderstood("a number of months with orders counts customers within one period",
                                self._partial(q, slots, filters))
        if intent in (None, "sum", "count") and re.search(r"\b(?:by|for each|per each|broken down by|split by) customers?\b"
                                                          r"(?!\s+(?:gender|age|country|city|segment|type|group|category))",
                                                          low) and slots.metric not in (None, "customers") and not slots.ids:
            intent = "top"  # "revenue by customer in Germany": each customer's figure, largest first
            slots.dims, slots.n = ["customer"], slots.n or 10
        if intent == "share" and slots.metric == "orders" and slots.orders_condition and re.search(
                r"\b(?:percentage|share|proportion|fraction)\s+(?:of\s+(?:them|those)\s+)?with\b", low) \
                and re.search(r"\bcustomers\b", low):
            slots.metric = "customers"  # "among customers with an order, the percentage with two or more orders": customers
        if intent == "share" and slots.metric in METRICS and METRICS[slots.metric].kind == "share" and not filters \
                and not pairs and not slots.exclude and re.search(r"\bas an? (?:%|percent(?:age)?)\b|\bin per ?cent\b", low):
            intent = "sum"  # "the cancellation rate in Q3 2011, as a percentage": the rate itself, said in percent
        if intent == "share" and pairs and all(kind in ("country", "segment", "risk_band", "category") for kind, _ in pairs):
            for kind, values in pairs:  # "what % came from Australia, Japan and the USA": all of them together
                filters[kind] = list(values)
            pairs = []
        over_metric = self._over_a_measure(low, slots) if intent == "share" else None
        self._never_dropped(q, slots, filters, pairs, intent, low)
        plan = Plan(intent, question=q, text=slots.text, metric=slots.metric, per_day=per_day,
                    every_period=every_period, min_months=min_months, filters=filters, exclude=slots.exclude,
                    orders_condition=slots.orders_condition, group_condition=slots.group_condition, growth=growth,
                    top_percent=slots.top_percent, day_orders=slots.day_orders, over_metric=over_metric,
                    both_periods=both_periods, first_not_second=first_not_second,
                    base_kinds=_share_base(slots, filters) if intent == "share" else [],
                    period=slots.period.to_dict() if slots.period else None,
                    periods=[p.to_dict() for p in slots.periods], n=slots.n, dims=slots.dims, pairs=pairs,
                    ids=slots.ids, how=how, confidence=round(confidence, 3),
                    grain=_grain(slots.text))
        plan.words = self.account(q, slots, intent) if intent != "feedback" else {
            w: "search words" for w in normalise(low).split()}
        return self.cap(plan)

    def _never_dropped(self, q: str, slots: Slots, filters: dict, pairs: list, intent: str | None, low: str) -> None:
        """What the plan cannot carry is refused, not left out: a second product code, customers of two products
        together, a customer id the intent does not read, a series split by a second grouping."""
        why = None
        if len(slots.periods) > 2:  # "orders in 2011 during Q2 and Q3": never the year for the quarters named
            why = (f"{len(slots.periods)} periods in one question ({', '.join(p.label for p in slots.periods)}); ask for "
                   "one span, or two periods to compare")
        elif len(slots.product_codes) > 1 and intent != "compare":
            why = "two product codes in one figure: ask for each product"
        elif re.search(r"\b(?:average|avg|mean)\b[^?.]{0,40}?\b(?:per|a|each|for each)\s+(?:product|item|sku|stock code|"
                       r"article|country|market|category|segment|city|region|invoice line|order line|line)\b", low) \
                and slots.metric in (None, "revenue", "gross_revenue", "orders", "quantity", "returned_units",
                                     "cancelled_units", "products"):  # a total's average: never the one per customer
            why = "an average per product, country, category or line is not worked out; ask for the ranking or the total"
        elif slots.metric == "aov" and re.search(r"\b(?:units|items|pieces|quantity|lines)\b", low) and not re.search(
                r"\b(?:value|revenue|spend|spent|sales|money|£|\$|€|worth)\b|[£$€]", low):
            why = "units or lines per order are asked, not the order value"  # "how many units did an average order hold"
        elif intent in ("sum", "count", "average", None) and self._two_measures_asked(low):
            why = "two questions in one: ask each"  # "how many orders in October and what revenue?": never one of them
        elif slots.metric in COUNTS_OF_CUSTOMERS and slots.metric and re.search(
                r"\b(?:they|their|them)\b[^?.]{0,25}?\b(?:spend|spent|spending|revenue|sales|turnover|takings|brought in|"
                r"bring in|units|worth|value)\b", low) and intent not in ("top", "bottom"):
            why = ("a count of customers is read here, and what they spent or ordered is asked too: ask e.g. 'revenue "
                   "from new customers in October'")  # "new customers in October: how much did they spend?"
        elif intent in ("compare", "count", "sum", "share", "average", "trend") and re.search(
                r"\b(?:per|for each|by)\s+(?:customer|client|buyer|account|country|segment|category|product|item)s?\b", low) \
                and (intent in ("compare", "share") or re.search(r"\bper\s+(?:customer|client|buyer|account)\b", low)
                     and (intent not in ("average", "trend") or intent == "trend" and slots.metric not in MEAN_METRICS
                          or re.search(PER_DAY, low) or slots.metric in (
                         "aov", "median_order_value", "largest_order", "units_per_order", "lines_per_order",
                         "revenue_per_unit"))):
            why = "a figure per customer or by a grouping is not worked out for this question; ask for the total or the ranking"
        elif re.search(r"\b(?:for|from|of|among|by|did|do|have|had)\s+(?:our\s+|the\s+)?top\s+(?:\d+|[a-z]+)\s+"
                       r"(?:customers|buyers|clients)\b", low) \
                and (intent in ("compare", "trend") or intent in ("top", "bottom") and slots.dims[:1] != ["customer"]
                     or slots.metric not in ("revenue", "orders", "quantity")):
            why = "what the top customers brought is worked out only as a total of revenue, orders or units"
        elif re.search(r"\b(?:for|from|of|among|by)\s+(?:our\s+|the\s+)?(?:new|first[- ]time)\s+(?:customers|buyers|clients)\b", low) \
                and "new_in_period" not in filters and slots.metric not in (None, "customers", "new_customers"):
            why = "a figure for new customers only is worked out for revenue, orders and units; ask e.g. 'revenue from new customers in March'"
        elif slots.metric in ("order_lines", "cancelled_lines", "returned_lines") and re.search(
                r"\b(?:qty|quantity|quantities|units|(?<!line )items|pieces|value|worth|price|revenue|sales)\b", low):
            why = "a count of lines is read here, and units or value are asked too: ask for one of them"  # "lines: sum of qty?"
        elif slots.metric in ("products", "countries") and re.search(
                r"\b(?:returned|returns|cancell?ed|cancellations?|came back|sent back)\b", low):  # never all of them sold
            why = (f"{slots.metric} by their returns or cancellations are not counted; ask for the units returned or "
                   "cancelled")
        elif (any(kind in ("product", "product_code") for kind, _ in pairs)
              or isinstance(filters.get("product"), list)
              or isinstance(filters.get("product_code"), list) and not slots.named_with) \
                and slots.metric in (None, "customers"):  # the products named by a word in their name: any of them
            why = "customers of two products at once (both, or either) are not counted; ask for each product"
        elif (isinstance(filters.get("product"), list) or isinstance(filters.get("product_code"), list)) \
                and (slots.metric or "revenue") not in SUMMED_OVER_PRODUCTS \
                and slots.metric not in ("customers", "products") \
                and not (intent in ("top", "bottom") and slots.dims[:1] == ["product"]):
            label = METRICS[slots.metric].label if slots.metric in METRICS else slots.metric
            why = (f"{label} of several products together are not added up (an order holding two of them would count "
                   "twice); ask for each product, or for their revenue or units")
        elif re.search(r"\b(?:more than|fewer than|less than|at least|at most|over|under|exactly|above|below|[<>]=?)\s*"
                       r"(?<!at least )(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)(?<!at least 1)(?<!at least one)\s+"
                       r"(?:cancel\w*|return\w*|refund\w*)\s+"
                       r"(?:orders?|lines?|invoices?|items?|units?)\b", low):
            why = "a condition on each customer's number of cancelled or returned orders is not worked out"
        elif re.search(r"\bmore\s+(?:cancel\w*|return\w*|completed)\s+(?:orders?|lines?|units?)\s+than\b", low):
            why = "each customer's cancelled orders against their completed ones is not worked out"
        elif intent in ("top", "bottom") and re.search(r"\bat (?:least|most)\b", low) and not re.search(
                r"(?<!at )\b(?:least|most|fewest|lowest|smallest|bottom|worst|weakest|top|highest|largest|biggest|best|"
                r"strongest|busiest|quietest|rank\w*)\b", low):
            why = "'at least' or 'at most' is a condition here, not a ranking"
        elif re.search(r"\b(?:how many|number of|count of|count the)\s+(?:\w+\s+)?(?:days|weeks|months|hours|quarters|"
                       r"years)\b", low) and slots.metric not in ("trading_days", "recency") and not slots.ids:
            why = ("a number of days is answered only as the days with orders, or days since a customer's last order; "
                   "weeks, months or hours are counted only for one customer")  # "count of weeks in 2011 with orders": never the orders
        elif re.search(EXCLUDE.pattern + r"\s+(?:the\s+|our\s+)?(?:new|returning|repeat|existing|first[- ]time)\s+"
                       r"(?:customers|buyers|clients)\b", low):
            why = "customers other than a group (new, returning, repeat) are not worked out; ask for the other group by name"
        elif intent in ("top", "bottom") and slots.dims[:1] != ["customer"] and re.search(
                r"\b(?:countries|products|cities|segments|categories|items|lines|codes|weekdays|months|weeks|days)\s+"
                r"(?:combined|together|put together)\b|\b(?:in total|altogether|between them|in aggregate)\b", low):
            why = "the top ones of a ranking added together is not worked out here; ask for the ranking"
        elif slots.metric in ("largest_order", "median_order_value") and re.search(
                r"\b(?:units?|items?|pieces?|quantity|qty)\b|\b(?:by|most|in|of)\s+(?:order\s+)?lines\b", low):
            why = "the largest (median) order is measured by its value only, not by units or lines"
        elif intent == "trend" and re.search(r"\b(?:per|each|every)\s+(?:customer|buyer|client|order)\b", low) \
                and slots.metric in ("revenue", "orders", "quantity", "gross_revenue"):
            why = "a per-customer (per-order) figure in a series is not worked out; ask for one period"
        elif intent == "trend" and re.search(r"\b(?:growth|grow|change|changes|increase|decrease)\b", low) \
                and not slots.periods[1:] and not re.search(  # "how did orders change month by month": the series
                    r"^\W*how\s+(?:did|has|have|do|does)\b(?![^?]*\b(?:%|percent|percentage|rate|much|many)\b)[^?]{0,60}\bchange[ds]?\b", low):
            why = "the change from one period to the next in a series is not worked out; ask for two periods"
        elif intent == "compare" and slots.orders_condition and not slots.dims:
            why = "a comparison of periods with a condition on customers' orders is not worked out"
        elif slots.top_percent is not None and (intent not in ("share", "sum") or slots.metric not in (None, "revenue", "orders",
                                                                                                   "quantity")
                                                 or slots.orders_condition or slots.customer_conditions):
            why = "the top share of customers is read only as their part of revenue, orders or units"
        elif filters.get("product_code") == list(self.gaz.non_merchandise) and re.search(
                r"\b(?:out|without|leaving|leave|excluding|exclude|except|no)\b", low):
            why = "the non-product codes are both named and left out; ask with or without them"
        elif slots.metric in ("cancelled_orders", "cancellation_rate") and re.search(
                r"\b(?:of|over|to|against)\s+(?:the\s+|all\s+)?(?:completed|successful|fulfilled)\s+orders\b", low):
            why = "cancelled orders over completed orders is not the published cancellation rate (over all orders)"
        elif re.search(OF_A_CUSTOMER_GROUP, low) and not (slots.metric in COUNTS_OF_CUSTOMERS and re.search(
                r"\bhow many (?:returning|active|existing)\b", low)):
            group = re.search(OF_A_CUSTOMER_GROUP, low).group(1)
            why = f"a figure of {group} customers other than their number is not worked out; ask how many {group} customers"
        elif re.search(r"\bhow much (?:net |gross )?(?:revenue|money|sales|turnover|takings)\b", low) \
                and slots.metric in COUNTS_OF_CUSTOMERS and intent in ("count", "sum", "average", None):
            why = "a question about revenue came out as a count of customers; ask it as 'revenue from ...'"
        elif re.search(FIRST_ORDER_ONLY, low) and (slots.metric or "customers") != "customers":
            why = "customers' first orders are not kept apart from their other orders; ask for new customers' figures"
        elif len(set(slots.ids)) > 1 and intent != "compare":
            why = "figures of several customers together are not worked out; ask for each customer"
        elif slots.ids and "customer" not in filters and intent not in ("profile", "why_risk", "define"):
            why = f"a figure for customer {slots.ids[0]} of this kind is not something I work out"
        elif re.search(EXCLUDE.pattern + r"\s+(?:the\s+|our\s+)?(?:top|biggest|largest|best|highest|bottom|smallest)\b", low):
            why = "leaving out the top (or bottom) ones of a ranking is not something I work out; name them"
        elif slots.n is not None and intent in ("count", "sum", "average") and not re.search(r"\btop\b", low):
            why = f"the number {slots.n} is not a ranking here, and I did not guess what it counts"
        elif intent in ("top", "bottom") and re.search(r"\b(?:in|for|within|per|of)\s+(?:each|every)\s+(?:country|segment|"
                                                       r"categor|month|year|week|quarter|product|city|day)", low):
            why = "the top one within each group is not something I rank; ask for one group at a time"
        elif intent == "trend" and re.search(r"\b(?:by|per|for each|each|across|split by)\s+(?:country|countries|segments?|"
                                             r"categor(?:y|ies)|cit(?:y|ies)|products?|risk bands?|personas?)\b", low):
            why = "a series split by a second grouping: ask for one country (segment, product) at a time"
        if why:
            raise NotUnderstood(why, self._partial(q, slots, filters))

    @staticmethod
    def cap(plan: Plan) -> Plan:
        if plan.n is not None and plan.n > MAX_ROWS:
            plan.n, plan.n_capped = MAX_ROWS, True
        return plan

    def _partial(self, q: str, slots: Slots, filters: dict) -> Plan:
        return Plan("unknown", question=q, text=slots.text, metric=slots.metric, filters=filters,
                    exclude=slots.exclude, orders_condition=slots.orders_condition,
                    period=slots.period.to_dict() if slots.period else None)

    # ------------------------------------------------------------------ every word accounted for
    def account(self, q: str, slots: Slots, intent: str | None) -> dict[str, str]:
        """word -> what it became; raises NotUnderstood when a content word maps to nothing."""
        text = slots.text
        norm_tokens = normalise(text).split()
        label: dict[int, str] = {}
        norm = " ".join(norm_tokens)
        starts = _token_starts(norm)
        for m in slots.mentions:  # by the words said: a code taken out of the text since shifts the token positions
            said = f"not {m.kind} = {m.value}" if getattr(m, "excluded", False) else f"{m.kind} = {m.value}"
            hits = list(re.finditer(r"\b" + re.escape(m.text) + r"\b", norm)) if m.text else []
            for hit in hits:
                for i, start in enumerate(starts):
                    if hit.start() <= start < hit.end():
                        label[i] = said
            if not hits:
                for i in range(m.start, m.end):
                    label[i] = said

        def cover(pattern: str, what: str) -> None:
            for hit in re.finditer(pattern, norm):
                for i, s in enumerate(starts):
                    if hit.start() <= s < hit.end() and i not in label:
                        label[i] = what

        chosen = dict(METRIC_PATTERNS).get(slots.metric)
        if chosen:
            cover(chosen, f"measure {slots.metric}")
        for name, pattern in METRIC_PATTERNS:
            cover(pattern, f"measure words ({name})")
        for name, pattern in DIM_PATTERNS:
            cover(pattern, f"by {name}")
        for name, pattern in RULES:
            cover(pattern, f"question {name}")
        cover(EXCLUDE.pattern, "excluding")
        cover(r"\bwithout\b(?=\s+(?:the\s+|all\s+|any\s+)?(?:anonymous|guests?|unidentified|(?:orders|baskets)\s+(?:over|"
              r"above|under|below|more than|less than)))", "excluding")
        if slots.exclude:
            cover(EXCLUDED_AFTER.pattern, "excluding")  # "non-product codes left out"
        cover(ANONYMOUS, "orders without a customer id")
        cover(RFM_SCORED + "|" + SCORED_WORDS, "customers with a score")
        cover(WEEKDAY_FILTER, "placed on these weekdays")
        hours = _hours(text)
        if hours and hours == _hours(norm):  # the hours the filter took, said in words the normalising kept
            cover(HOUR_FILTER, f"placed from {hours[0]}:00 to before {hours[1]}:00")
        cover(ORDER_VALUE_WORDS, "orders by their value")
        cover(FROM_NEW_CUSTOMERS, "of the period's new customers")
        if re.search(GROWTH, norm) or re.search(r"\b(growth|change|difference)\b", norm):
            cover(GROWTH_WORDS, "change between the periods")
        kinds = [m.kind for m in {(m.kind, m.value): m for m in slots.mentions}.values()]
        if len(slots.periods) == 2 or any(kinds.count(k) == 2 for k in kinds):  # "Germany minus France"
            cover(r"\bminus\b|\bgap\b", "one figure minus the other")
            cover(RATIO, "one figure over the other")
            cover(r"\b(?:separately|individually|side by side|one by one)\b", "each of the two")
        if any(kinds.count(k) >= 3 for k in kinds):  # "revenue in Germany, France and Spain separately": each, ranked
            cover(r"\b(?:separately|individually|side by side|one by one|respectively)\b", "each of them")
        cover(r"\b(recorded|logged|log|registered|booked|raised|issued|created)\b", "function words")
        cover(r"\bboth\b", "each of the periods")
        if len(slots.periods) == 2:  # "bought in H1 but nothing in H2"; with one period "did not buy" stays unread
            cover(BUT_NOT_SECOND, "not in the second period")
        cover(CHURN_WORDS + "|" + NOT_CHURN_WORDS + "|" + RISK_WORDS, "churn status")
        cover(r"\b(in terms of|often|frequently)\b", "function words")
        cover(r"\bsingle (?=biggest|largest|best|top|highest|most|greatest|busiest|quietest|lowest|worst)", "emphasis")
        cover(EVERY_MONTH, "in every month (quarter) of the period")
        if re.search(MIN_MONTHS, text):  # the plan took it (else it was refused)
            cover(MIN_MONTHS, "in at least that many months of the period")
        if slots.period is not None:  # "lately ... over the last 90 days I mean": the period named says how lately
            cover(r"\b(lately|recently|of late|these days)\b", "the period named")
        if slots.metric in (None, "customers", "new_customers") and slots.period is not None:  # first order = new
            cover(r"\b(new|first|acquired|joined)\b", "customers whose first order falls in the period")
        cover(r"\b(order|ordered|ordering|buy|buys|buying|bought|purchase|purchased|"
              r"receive|received|get|got|take|took|taken|contain|contains|contained|containing|include|includes|included|"
              r"purchasing|shop|shopped|shopping|place|places|placing|placed|made|completed|sell|sells|sold|spend|spent|"
              r"appear|appears|appeared|feature|features|featured)\b", "orders")
        if slots.metric == "new_customers":
            cover(r"\b(win|won|gain|gained|attract|attracted|acquire|acquiring|sign up|signed up|get|got)\b", "acquired")
        cover(r"\b(all time|overall|ever|whole period|everyone|everywhere|all customers|all countries)\b", "all")
        cover(r"\b(per customer|by customer|each customer|customer)\b", "per customer")
        cover(FILLER_PHRASES.pattern, "function words")
        cover(FOLLOW_UP.pattern, "follow-up")
        cover(r"\b(20 ?%|20 percent|top 20)\b", "top 20%")
        cover(TOP_N.pattern, "top N")
        named = self._code_name_words(slots.product_codes)
        if named:
            cover(r"\b(" + "|".join(sorted(named)) + r")\b", "the product code's name")
            asides = re.findall(r"\(([^()]{1,60})\)", q.lower()) + re.findall(  # "the WW2 gliders (84077)"
                r"((?:[\w'-]+\s+){1,4})\(\s*(?:" + "|".join(re.escape(c.lower()) for c in slots.product_codes) + r")\s*\)",
                q.lower())
            for aside in asides:  # "84077 (the WW2 gliders)": a nickname
                said = set(normalise(aside).split())
                if said & named:
                    cover(r"\b(" + "|".join(sorted(said)) + r")\b", "the product code's name")
        cover(r"\b(stock ?codes?|codes?|skus?|item numbers?|product codes?)\b", "product code")
        cover(r"\b(more|less|fewer|higher|lower|bigger|smaller|larger|greater)\b", "comparison")
        cover(r"\b(come|comes|coming|came|contribute\w*|account for|accounts for|represent\w*)\b", "share of")
        cover(r"\b(day|days|date|dates|daily|period|periods|time|year|years|yearly|annual|annually|quarter|quarters|"
              r"quarterly|month|months|monthly|week|weeks|weekly)\b", "time grouping")
        words = dict(slots.words)
        left = []
        for i, tok in enumerate(norm_tokens):
            if i in label:
                words[tok] = label[i]
            elif tok in FUNCTION_WORDS or (tok.endswith("s") and tok[:-1] in FUNCTION_WORDS):
                words.setdefault(tok, "function word")
            elif tok in self.glossary:
                words[tok] = f"glossary term {tok}"
            else:
                left.append(tok)
        if left:
            partial = self._partial(q, slots, self.filters(slots)[0])
            partial.words = words
            raise NotUnderstood("I do not know what " + ", ".join(repr(w) for w in dict.fromkeys(left))
                                + " means here, so I did not answer a broader question", partial, left)
        return words

    # ------------------------------------------------------------------ follow-ups and definitions
    def follow_up(self, prev: Plan, slots: Slots, filters: dict, low: str) -> Plan:
        plan = Plan.from_dict(prev.to_dict())
        plan.question, plan.follow_up = low, True
        for kind, value in filters.items():
            if kind == "city":
                plan.filters.pop("country", None)
            if kind == "country":
                plan.filters.pop("city", None)
            plan.filters[kind] = value
        for kind, values in slots.exclude.items():
            plan.exclude[kind] = values
        if slots.orders_condition:
            plan.orders_condition = slots.orders_condition
        if plan.intent == "compare" and plan.pairs:
            plan.pairs = [] if filters else plan.pairs
            if filters:
                plan.intent = "sum" if plan.metric not in (None, "customers") else "count"
        if slots.period:
            plan.period = slots.period.to_dict()
            plan.periods = [p.to_dict() for p in slots.periods]
        if slots.metric and slots.metric != "customers":
            plan.metric = slots.metric
        if slots.n:
            plan.n = slots.n
        if re.search(r"\b(all time|overall|ever|whole period)\b", low):
            plan.period, plan.periods = None, []
        if re.search(r"\b(everyone|all customers|everywhere|all countries)\b", low):
            plan.filters, plan.exclude = {}, {}
        plan.confidence = round(float(prev.confidence or 0.9) * 0.95, 3)
        return self.cap(plan)

    def definition(self, low: str) -> tuple[str, str] | None:
        m = re.match(r"^\s*(?:what\s+(?:is|are|does|do)|define|definition\s+of|meaning\s+of|explain|"
                     r"how\s+(?:is|are)|what\s+(?:is|are)\s+meant\s+by)\s+(?:an?\s+|the\s+)?(.+?)\s*"
                     r"(?:mean|means|stand for|defined|calculated|computed)?\s*\??\s*$", low)
        if not m:
            return None
        term = normalise(m.group(1))
        term = re.sub(r"^(a|an|the)\s+", "", term)
        candidates = [term, re.sub(r"\s+(segment|band|customers?|score|metric)$", "", term),
                      re.sub(r"s$", "", term), re.sub(r"^(rfm|churn)\s+", "", term)]
        for c in candidates:
            if c in self.glossary:
                return c, self.glossary[c]
        from rapidfuzz import fuzz, process

        hit = process.extractOne(term, list(self.glossary), scorer=fuzz.ratio, score_cutoff=88)
        if hit:
            return hit[0], self.glossary[hit[0]]
        return None


def _share_base(slots: Slots, filters: dict) -> list[str]:
    """The filters named before "are/is" in "what fraction of Champions are high risk": they make the whole."""
    verb = re.search(r"\b(fraction|share|proportion|percent\w*|%)\s+of\b.*?\b(are|is|were|was|have|has)\b", slots.text)
    # or named first: "of our champions, what share have a high churn risk"
    lead = re.search(r"^\W*(?:among|of|for|within|out of)\b.*?\b(what|how)\b.*?(fraction|share|proportion|percent|%)",
                     slots.text)
    if not (verb or lead) or len(filters) < 2:
        return []
    said_as = re.search(r"\bas an?\s+(?:fraction|share|proportion|percent\w*|%)\s+of\b", slots.text)
    if said_as:  # "Champions as a share of all RFM-scored customers - what percentage is that?": the whole follows
        start = len(normalise(slots.text[:said_as.end()]).split())
        return [m.kind for m in slots.mentions if m.start >= start and m.kind in filters]
    cut = len(normalise(slots.text[:verb.start(2) if verb else lead.start(1)]).split())
    return [m.kind for m in slots.mentions if m.end <= cut and m.kind in filters]


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _prev_month(end: date) -> date:
    """The first day of the month before `end` (an exclusive month boundary)."""
    return date(end.year - (end.month == 1), (end.month - 2) % 12 + 1, 1)


def _weekdays(text: str) -> list[str]:
    out = []
    for m in re.finditer(WEEKDAY_FILTER, text):
        out += ([m.group(1).capitalize()] if m.group(1) else ["Saturday", "Sunday"] if m.group(2) else
                ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])  # "on weekdays": Monday to Friday
    return list(dict.fromkeys(out))


def _hours(text: str) -> list[int] | None:
    """[first hour, end hour) of the orders placed "before 9 in the morning", "from 18:00 onwards", "between 14:00 and
    14:59"; None for no such words, or a time between whole hours (9:30), which the hours cannot express."""
    m = re.search(HOUR_FILTER, text)
    if not m:
        return None
    word, start, end = m.group(1), _clock(*m.group(2, 3, 4, 5)), _clock(*m.group(6, 7, 8, 9), end=True)
    if start is None or (m.group(6) and end is None):
        return None
    span = ([start, end] if end is not None and word != "before" else [0, start] if word == "before" and end is None
            else [start, 24] if word != "between" and end is None else None)
    return span if span and 0 <= span[0] < span[1] <= 24 else None


def _clock(hour: str | None, minutes: str | None, meridiem: str | None, part_of_day: str | None,
           end: bool = False) -> int | None:
    """A whole hour of the day; an end said as HH:59 is the next hour ("until 14:59": up to 15)."""
    if hour is None:
        return None
    h = int(hour)
    if (meridiem or "").startswith("p") or part_of_day in ("afternoon", "evening"):
        h += 12 if h < 12 else 0
    elif (meridiem or part_of_day) and h == 12:
        h = 0
    if minutes not in (None, "00"):
        if not (end and minutes == "59"):
            return None
        h += 1
    return h if 0 <= h <= 24 else None


_PEOPLE_SAID = r"\b(?:customers?|clients?|buyers?|shoppers?|people|accounts?|purchasers?)\b"
APART = (r"\b(?:difference|differ|minus|gap)\b|\bhow (?:much|many) (?:more|less|fewer|bigger|larger|higher|smaller|lower|"
         r"greater)\b")  # one figure minus another
APART_EACH = (r"\b(?:separately|individually|side by side|one by one|each of)\b|\bfor\s+[\w' ]+?\s+and\s+for\b|"
              r"\bhow (?:much|many)\b[^?]*\band how (?:much|many)\b")  # each of two, not both together
WHOLE_MONTHS_ONLY = (r"\b(?:complete|completed|full|whole|finished|closed)\s+months?(?:\s+only)?\b|"
                     r"\bonly\s+(?:the\s+)?(?:complete|completed|full|whole|finished|closed)\s+months\b")


def _narrower(a: Period, b: Period, low: str) -> Period:
    """Of two nested periods the narrower one, except a day said as an end ("Q4 2011 (to 9 December)", "2011, up to
    2011-06-30"): then the wider one up to that day."""
    wide, narrow = sorted((a, b), key=lambda p: p.end - p.start, reverse=True)
    said_as_end = re.search(r"\b(?:to|up to|through|until|till)\s+(?:the\s+)?\d", low)
    if narrow.end - narrow.start == timedelta(days=1) and said_as_end:
        return Period(wide.start, narrow.end, f"{wide.label} to {narrow.start.isoformat()}", "range")
    return narrow


def _same_count(a: list, b: list) -> bool:
    """Two conditions on a whole number of orders that select the same customers: "> 1" and ">= 2"."""
    def canonical(op: str, k: float) -> tuple[str, float]:
        return {">=": (">", k - 1), "<=": ("<", k + 1)}.get(op, (op, k))
    return canonical(*a) == canonical(*b)


def _same_span_for_a_bare_year(periods: list[Period]) -> list[Period]:
    """A part of one year compared with another year said bare ("November 2011 vs 2010", "1-9 Dec 2011 minus 2010")
    means the same part of that year, not the whole of it."""
    out = list(periods)
    for i, (year, part) in enumerate(((periods[0], periods[1]), (periods[1], periods[0]))):
        whole_year = year.grain == "year" and year.start.month == 1 and year.start.day == 1
        within_one_year = part.start.year == (part.end - timedelta(days=1)).year and part.grain != "year"
        if whole_year and within_one_year and year.start.year != part.start.year:
            out[i] = same_span_in_year(part, year.start.year)
    return out


def _two_in_a_row(period: Period, prior: re.Match) -> bool:
    """A range of exactly two whole months for "mom": "mom growth oct -> nov 2011" (the growth reads its months)."""
    months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month
    whole = period.grain == "range" and period.start.day == 1 and period.end.day == 1
    return whole and prior.group(1) is not None and months == 2


def _without_product_names(text: str, mentions: list[Mention]) -> str:
    """The question with the products it names blanked: "MEDIUM CERAMIC TOP STORAGE JAR" asks for no top."""
    for m in mentions:
        if m.kind == "product":
            text = re.sub(r"\b" + r"\W+".join(map(re.escape, m.text.split())) + r"\b", " product ", text)
    return text


_REWRITES = [(re.compile(pattern, re.IGNORECASE), replacement) for pattern, replacement in REWRITES]  # compiled once:
# there are more patterns than `re` caches


# the whole of a cancellation rate said as its base: "..., and the base is orders with a completed line"
BASE_SAID = re.compile(r"(?:,?\s*(?:and|with)\s+|(?<=[.?;])\s*|;\s*)(?:(?:the\s+)?(?:base|denominator|whole)\s+(?:is|being|=|:)\s+"
                       r"(?:the\s+)?(?P<base>[^.?;]{3,60}?)|(?:use|using|take|taking)\s+(?:the\s+)?(?P<used>[^.?;]{3,60}?)\s+as\s+"
                       r"(?:the\s+)?(?:base|denominator|whole)|(?:divide|divided|dividing)\s+(?:it\s+|that\s+)?by\s+(?:the\s+)?"
                       r"(?:number\s+of\s+)?(?P<divisor>[^.?;]{3,60}?))(?:,?\s*and\s+(?:give|express|show)\s+(?:it\s+)?(?:as\s+)?(?:a\s+)?"
                       r"(?:percentage|percent|%))?\s*(?:[.?;]|$)", re.IGNORECASE)
_COMPLETED_ORDERS = "cancelled_per_completed"
BASES = {"completed orders": _COMPLETED_ORDERS, "orders with a completed line": _COMPLETED_ORDERS,
         "orders with at least one completed line": _COMPLETED_ORDERS, "orders with any completed line": _COMPLETED_ORDERS,
         "orders": "cancellation_rate", "all orders": "cancellation_rate", "all the orders": "cancellation_rate",
         "every order": "cancellation_rate"}


def _base_said(said: str) -> tuple[str, str | None]:
    """`said` without a base the question names for its share, and that base; a base the engine does not know stays
    in the words, to be refused."""
    m = BASE_SAID.search(said)
    base = (m.group("base") or m.group("used") or m.group("divisor")).lower().strip() if m else None
    if base is not None:  # "divide by the orders that have a completed line"
        base = re.sub(r"\b(?:that|which)\s+(?:have|has|had|carry|carried)\b|\bhaving\b", "with", base)
    if base not in BASES:
        return said, None
    return f"{said[:m.start()]} {said[m.end():]}".strip(), base


def _returning_defined_after(said: str, as_of: date | None) -> str:
    """`said` without a sentence after the question that defines its returning customers as the engine does ("I count
    someone as returning if they had a completed order before 1 November and ordered again during November"); read
    before the what-if refusal, which its "if they" would meet."""
    after = RETURNING_DEFINED_AFTER.search(said.lower())
    if not after or as_of is None or not re.search(r"\b(?:returning|came back|come back|coming back)\b",
                                                  said[:after.start()].lower()):
        return said
    rest = said[:after.start()]
    main = parse_period(rest.lower(), as_of)[0]
    again = parse_period(after.group("again"), as_of)[0]
    if again is not None and not re.search(r"\d{4}", after.group("again")) and main is not None:
        again = parse_period(f"{after.group('again')} {main.start.year}", as_of)[0]  # "during November": the question's year
    if main is None or (again is not None and (again.start, again.end) != (main.start, main.end)) \
            or not _before_the_start(RETURNING_BEFORE.search(after.group("before")), main):
        return said
    return rest


def _returning_defined_again(said: str, as_of: date | None) -> str:
    """`said` without a clause that only defines its returning customers as the period's buyers whose first order came
    before the period ("returning customers in October (first order before October)"); a clause naming another
    start is kept, to be refused."""
    m = RETURNING_DEFINED.search(said.lower())
    if not m or as_of is None:
        return said
    rest = said[:m.start("clause")] + " " + said[m.end("clause"):]
    main = parse_period(rest.lower(), as_of)[0]
    before = RETURNING_BEFORE.search(m.group("clause"))
    if main is None or not _before_the_start(before, main) or re.search(
            r"\b(?:by|per|each|with|from|excluding|except|over|under|above|below|more|less|fewer|than|only|new|repeat)\b|\d",
            m.group("clause")[before.end():]):
        return said  # another start, or a condition said after it ("... before that month by country")
    return rest


def _before_the_start(before: re.Match | None, main: Period) -> bool:
    """Whether "before ..." names the start of the question's period ("before 1 November", "before it")."""
    if before is None:
        return False
    if before.group("same"):
        return True
    year = int(before.group("year")) if before.group("year") else main.start.year
    day = int(before.group("day")) if before.group("day") else 1
    return (year, MONTHS[before.group("month")], day) == (main.start.year, main.start.month, main.start.day)


# the whole of a share said as another measure: "... as a percentage of the company's 2011 net revenue"
OVER_A_MEASURE = (r"\bas an? (?:%|percent(?:age)?|share|proportion|fraction|ratio) (?:of|against|to)\s+"
                  r"(?P<whole>[^?.;]{3,80})")
# the measures one is a share of: value lost to cancellations or returns against the takings (returned units against
# net units sold is no part of a whole, so it is left out)
SHARES_OF_A_MEASURE = {("cancelled_revenue", "revenue"), ("cancelled_revenue", "gross_revenue"),
                       ("returned_revenue", "gross_revenue")}
# "bought in Q1 2011 and then never again (up to 9 December 2011)": no order after the first period
NEVER_AGAIN = re.compile(r",?\s*\b(?:and\s+)?(?:then\s+)?(?:never|not|did not (?:buy|order)|didn't (?:buy|order))\s+(?:again|after(?:wards)?|"
                         r"since)\b(?:\s+(?:up\s+to|until|till|through|to|by|before)\s+(?P<end>[^?.,;]{3,30}?))?(?=\s*[?.,;]|\s*$)",
                         re.IGNORECASE)
# growth defined again as a formula over the periods: "(October - September) / September"
GROWTH_FORMULA = re.compile(r"[,;]?\s*(?:\b(?:growth|change|increase)\s+)?(?:\b(?:meaning|i\.e\.,?|that is,?|computed as|calculated as|"
                            r"taken as|worked out as|defined as|work (?:it|this|that) (?:out )?as|"
                            r"(?:i|we)\s+(?:calculate|compute|work out|define|take|measure)\s+"
                            r"(?:it|this|that|growth|the growth)\s+as|as)\s+|=\s*)?\(\s*(?P<b>[a-z0-9 ]{1,24}?)\s*(?:-|minus)\s*"
                            r"(?P<a>[a-z0-9 ]{1,24}?)\s*\)\s*(?:/|\u00f7|divided by|over)\s*(?P<base>[a-z0-9 ]{1,24}?)"
                            r"(?:\s*(?:x|\*|times)\s*100)?(?=\s*[.?,;)!]|\s*$)", re.IGNORECASE)
# what a question calls a product, a measure or countries named in the sentence before it
IT_MEANS_A_PRODUCT = r"\b(?:it|this (?:product|item|design|line)|that (?:product|item|design|line))\b"
IT_MEANS_A_FIGURE = (r"\b(?:it|that figure|this figure|that number|this number|that)\b"
                     r"(?!\s+(?:month|quarter|year|week|day|period))")
THOSE_COUNTRIES = (r"\b(?:those|these|the|both|all)\s+(?:(two|three|four|five|six|\d)\s+)?(?:countries|markets|nations)\b'?"
                   r"|\bboth of them\b|\b(?P<who>customers|buyers|accounts|clients)\s+there\b")
# a region named and then listed: "Scandinavia, by which I mean Denmark, Norway and Sweden"
REGION_LISTED = re.compile(r"\b(?P<region>(?:[a-z]+-[a-z]+\s+)?[a-z]+),?\s+(?:by which(?:\s+i mean)?|which i take to be|i\.e\.,?|that is,?|"
                           r"meaning|namely)\s+(?P<listed>[a-z][a-z ,&-]{3,80}?)(?:\s+(?:together|combined))?(?=\s*[?.;]|\s*$|,?\s+(?:in|during|for|over|from)\s)",
                           re.IGNORECASE)


# up to two words before a noun that are not a measure's noun or a verb ("how many separate French customers", never
# "how many orders did customers ...")
_FEW_WORDS = (r"(?:(?!(?:orders?|units?|items?|products?|lines?|days?|times?|did|do|does|of|were|was|are|is|have|has|"
              r"had|in|from|with)\b)[a-z'-]+\s+){0,2}?")


def _left_out_by(before: str) -> bool:
    """Whether the text before a filter ends with a word that leaves it out ("excluding (the) ...", "without ...")."""
    return bool(re.search(r"(?:" + EXCLUDE.pattern + r"|\bwithout\b)\s+(?:the\s+|all\s+|any\s+)?$", before))


def _blanked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the spans' characters replaced by spaces (the offsets of the rest kept)."""
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


def _ends_of_a_range(span: Period) -> list[Period]:
    """The first and last quarter (half) of a range said in quarters ("from Q1 to Q3 2011"), else its first and last
    month ("from October to November")."""
    said = re.fullmatch(r"([QH])([1-4]) (\d{4}) to ([QH])([1-4]) (\d{4})", span.label)
    if said:
        return [(_quarter if kind == "Q" else _half)(int(year), int(n))
                for kind, n, year in (said.group(1, 2, 3), said.group(4, 5, 6))]
    return [Period(span.start, _next_month(span.start), f"{span.start:%Y-%m}", "month"),
            Period(_prev_month(span.end), span.end, f"{_prev_month(span.end):%Y-%m}", "month")]


def _rewrite(q: str) -> str:
    for pattern, replacement in _REWRITES:
        q = pattern.sub(replacement, q)
    return q


def respell(words: list[str]) -> dict[str, str]:
    """typed word -> the one grammar word within one edit (two from 9 letters), same first letter; words under 5
    letters and words with two equally near candidates are left alone."""
    from rapidfuzz.distance import OSA

    fixes = {}
    for word in dict.fromkeys(words):
        if len(word) < 5 or not word.isalpha() or word in NUM_WORDS or word.endswith("ly") and word in english_words():
            continue  # "three" is never "there", and an English adverb no typo ("separately" is never "separate")
        limit = 1 if len(word) < 9 else 2
        near = [(OSA.distance(word, v), v) for v in VOCABULARY if v[0] == word[0] and abs(len(v) - len(word)) <= limit]
        near = sorted((d, v) for d, v in near if 0 < d <= limit)
        if near and (len(near) == 1 or near[0][0] < near[1][0]):
            fixes[word] = near[0][1]
    return fixes


def _replace_words(q: str, fixes: dict[str, str]) -> str:
    for typed, word in fixes.items():
        q = re.sub(rf"\b{re.escape(typed)}\b", word, q, flags=re.IGNORECASE)
    return q


def _grain(text: str) -> str:
    for grain, pattern in (("day", r"\b(daily|by day|per day|each day|day by day)\b"), ("week", r"\bweek"),
                           ("quarter", r"\bquarter(ly|s)?\b(?!\s*[1-4])"), ("year", r"\b(yearly|annual\w*|by year|per year|"
                                                                           r"each year|year by year)\b")):
        if re.search(pattern, text):
            return grain
    return "month"


def _token_starts(norm: str) -> list[int]:
    out, pos = [], 0
    for tok in norm.split(" "):
        out.append(pos)
        pos += len(tok) + 1
    return out

"""One handler per intent: a `Plan` in, an `AnswerCard` out, through the templates' parameterised SQL.

Where the figure comes from follows from the plan: a product filter reads the product x month mart;
a period together with a country, segment or category (or an exclusion) reads the order facts; a
period alone the KPI marts; everything else the customer mart (lifetime figures per customer).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from cip_assets.qa.dates import parse_period
from cip_assets.qa.lexicon import CONDITION_WORDS, MEAN_METRICS, RATIO
from cip_assets.qa.plan import MAX_ROWS, Plan
from cip_assets.qa.templates import DIM_LABEL, METRICS, ORDER_ONLY_FILTERS, NotAvailable, Query

NEW_IN_PERIOD = r"\bnew\b|\bfirst\b|\bacquired\b|\bjoined\b"  # customers counted by their first order in the period

if TYPE_CHECKING:
    from cip_assets.qa.engine import AnswerCard, Engine

PLURAL = {"country": "countries", "city": "cities", "favourite category": "favourite categories",
          "category": "categories"}
PRODUCT_KINDS = ("product", "product_code")
ORDER_KINDS = ("country", "segment", "category")
BUYERS = (r"\b(buying|purchasing|paying|ordering|shopping) (customers|clients)\b|\bbuyers\b|\bpurchasers\b|"
          r"\b(customers|clients|those|people|accounts) (who|that) (have |has )?(ever )?(bought|ordered|purchased|shopped|"
          r"(completed|placed|made) an? (order|purchase))\b")
# an average said to be over every known customer, not only those who bought ("averaged over every customer on file")
EVERY_CUSTOMER = r"\b(?:over|across|among|divided by)\s+(?:every|all|each)\s+(?:known\s+|of\s+our\s+|our\s+)?(?:customers?|clients?)\b"
# each customer on file, not only those who bought: "how many orders has each German customer on file placed"
ON_FILE = r"\b(?:each|every|all)\s+(?:\w+\s+)?(?:customers?|clients?)\s+(?:we have\s+)?on (?:file|record|our books|the books)\b"
DIFFERENCE = (r"\bhow (many|much) (more|less|fewer|higher|lower|bigger|larger|smaller|greater)\b|\bdifference\b|"
              r"\bchanged?\b|\bminus\b|\bgap\b")  # a figure minus another
ORDER_FIRST = ("cancelled_lines", "returned_lines", "returned_units", "quantity")  # totals over every order line
ORDER_ONLY = ("median_order_value", "largest_order", "cancelled_units", "cancelling_customers",
              "cancelled_revenue", "units_per_order", "lines_per_order", "revenue_per_unit", "order_lines", "orders_with_returns",
              "cancelled_line_share", "cancelled_per_completed", "trading_days")  # figures only the order facts hold
# the whole of a share said to be the known customers' figure, guest orders left out ("of known customers' revenue")
KNOWN_WHOLE = r"\b(?:known|identified|registered)[\s-]+(?:customers?|clients?|custs?)\b"
# ... unless the question puts the guest orders in the whole ("by known customers outside the UK - % of all 2011
# orders, guest orders included"): then the known customers are the part
GUESTS_IN_WHOLE = (r"\b(?:guest (?:orders?|checkouts?)|guests|anonymous orders?)\s+(?:included|too|counted|in the "
                   r"(?:denominator|total|whole))|\b(?:including|with|counting)\s+(?:the\s+)?(?:guest (?:orders?|"
                   r"checkouts?)|guests|anonymous orders?)")
# the mean of a series: "average monthly revenue in 2011", "mean weekly orders in Q4"
AVERAGE_OF_A_SERIES = r"\b(?:average|avg|mean|typical)\s+(?:monthly|weekly|daily|quarterly)\b"
# one figure of the top N customers together, not their list: "how much did the top 10 customers spend in total"
TOP_GROUP_FIGURE = (r"\bhow (?:much|many)\b|\b(?:in total|combined|together|altogether|between them|in aggregate)\b|"
                    r"\b(?:average|avg|mean|total|sum)\b[^?]{0,30}\btop\b")
# a judgement with no measure named ("our best product"): which figure makes it best is the question itself
VALUE_JUDGEMENT = r"\b(best|worst|strongest|weakest|top[- ]performing|worst[- ]performing|greatest)\b(?![- ]?sell)"
GROUP_BY = re.compile(r"\b(by|per|for each|in each|across|split by|broken down by)\s+(country|countries|city|cities|"
                      r"segments?|categor(y|ies)|risk bands?|genders?|personas?|clusters?|weekdays?|day of (the )?week|"
                      r"hours?( of (the )?day)?)\b")


def known_customers_whole(question: str) -> bool:
    """Whether the whole of a share is the known customers' figure, guest orders left out."""
    low = question.lower()
    return bool(re.search(KNOWN_WHOLE, low)) and not re.search(GUESTS_IN_WHOLE, low)


def _label(v, dim: str) -> str:
    from datetime import date, datetime

    if isinstance(v, (date, datetime)):
        if dim == "quarter":
            return f"{v.year}-Q{(v.month - 1) // 3 + 1}"
        return v.strftime({"month": "%Y-%m", "year": "%Y"}.get(dim, "%Y-%m-%d"))
    return str(v)


def _has_product(plan: Plan) -> bool:
    return any(k in PRODUCT_KINDS for k in plan.filters) or any(k in PRODUCT_KINDS for k in plan.exclude)


# measures that add up over products: a category named with them is the products' category ("non-merchandise
# revenue"), not the customers' favourite one
PRODUCT_ADDITIVE = ("revenue", "quantity", "returned_units", "cancelled_units", "cancelled_revenue", "cancelled_lines",
                    "revenue_per_unit")


def _product_category(engine: "Engine", plan: Plan, name: str) -> bool:
    return name in PRODUCT_ADDITIVE and ("category" in plan.filters or "category" in plan.exclude) \
        and engine.gaz.has_table("marts.product_sales_monthly") and not plan.orders_condition


def _uses_orders(plan: Plan) -> bool:
    """Order facts are needed when a period meets a customer attribute (or an exclusion of one)."""
    kinds = set(plan.filters) | set(plan.exclude)
    return plan.period is not None and bool(kinds & set(ORDER_KINDS))


# ---------------------------------------------------------------------------------------------------- define
def define(engine: "Engine", plan: Plan) -> "AnswerCard":
    from cip_assets.qa.engine import AnswerCard

    if not plan.definition:  # a question shaped like "what does X mean" about no term of the glossary
        return engine.not_understood(plan, "I have no definition of that; ask for a figure, or a term such as 'At Risk'")
    return AnswerCard(plan.question, "answered", "define", plan.definition, filters=[f"term = {plan.term}"],
                      confidence=plan.confidence, plan=plan.to_dict(), chart={"type": "none"})


# ---------------------------------------------------------------------------------------------------- totals
def scalar(engine: "Engine", plan: Plan) -> "AnswerCard":
    """count / sum / average of one measure under the plan's filters and period."""
    if plan.group_condition == [">=", 1]:  # "how many countries placed an order": those that bought
        plan.group_condition = None
    if plan.group_condition:  # "customers in the Champions segment with more than 3 orders": the customers' own orders
        if plan.metric not in (None, "customers") or plan.orders_condition:
            return engine.not_understood(plan, "a total cannot keep only the groups with a number of orders; ask for "
                                               "a ranking of them")
        plan.orders_condition, plan.group_condition = plan.group_condition, None
    if plan.metric == "recency" and plan.period_obj is not None:  # "days since X's last order, as of 9 Dec 2011"
        day = plan.period_obj
        if not (day.grain == "day" and day.start.isoformat() == str(engine.gaz.as_of)):
            return engine.not_understood(plan, f"days since the last order are counted to the data's last day "
                                               f"({engine.gaz.as_of}), not to another")
        plan = Plan.from_dict({**plan.to_dict(), "period": None, "periods": []})
    average = plan.intent == "average"
    name = plan.metric or ("customers" if plan.intent in ("count", "sum") else None)
    if name == "customers" and plan.intent == "sum" and not plan.metric:
        name = None
    if name is None:
        return engine.not_understood(plan, "I could not tell which measure you want (revenue, orders, customers, ...)")
    if plan.top_percent is not None:  # "how much revenue did the top 1% of customers bring"
        return top_customers(engine, plan, name, dict(plan.filters), as_share=False)
    if plan.per_day and plan.n:  # "revenue per trading day ... for the top 5 customers": never every customer's
        return engine.not_understood(plan, "a figure per day is worked out over all orders, not for the top customers")
    if plan.orders_condition and plan.orders_condition != [">=", 1] and (
            plan.every_period or plan.min_months or plan.day_orders or plan.per_day):
        return engine.not_understood(plan, "a condition on customers' number of orders is not combined with this figure")
    if plan.every_period:  # "how many customers bought in every month of 2011", "in every quarter of 2011"
        query = engine.templates.customers_in_every_period(plan.filters, plan.exclude, plan.period_obj,
                                                           plan.every_period)
        rows, cols = engine.run(query)
        answer = (f"Customers who bought in every {plan.every_period}{engine.scope_text(plan)}: "
                  f"{engine.fmt(rows[0][0], 'int')}.")
        return engine.card(plan, answer, rows[0][0], rows, cols, query, {"type": "none"})
    if plan.min_months:  # "how many customers ordered in at least six different months of 2011"
        query = engine.templates.customers_in_every_period(plan.filters, plan.exclude, plan.period_obj, "month",
                                                           plan.min_months)
        rows, cols = engine.run(query)
        answer = (f"Customers who bought in at least {plan.min_months} months{engine.scope_text(plan)}: "
                  f"{engine.fmt(rows[0][0], 'int')}.")
        return engine.card(plan, answer, rows[0][0], rows, cols, query, {"type": "none"})
    if plan.day_orders:  # "on how many trading days in October did we receive more than 100 orders"
        if name != "trading_days" or average:
            return engine.not_understood(plan, "days by their number of orders are only counted")
        op, n, *measure = plan.day_orders
        measure = measure[0] if measure else "orders"
        if op in ("<", "<="):  # the days with few orders include the days with none, which the order facts do not hold
            return engine.not_understood(plan, f"days with {'fewer orders' if measure == 'orders' else 'less revenue'} "
                                               "than a number include days without orders; ask for the days with more")
        query = engine.templates.days_by_orders(plan.filters, plan.exclude, plan.period_obj, op, n, measure)
        rows, cols = engine.run(query)
        said = (f"{CONDITION_WORDS[op]} {n:,} orders" if measure == "orders"
                else f"revenue {CONDITION_WORDS[op]} {engine.fmt(n, 'money')}")
        answer = f"Days with {said}{engine.scope_text(plan)}: {engine.fmt(rows[0][0], 'int')}."
        return engine.card(plan, answer, rows[0][0], rows, cols, query, {"type": "none"})
    if plan.per_day:
        metric = METRICS[name]  # "average orders per day in November 2011"
        query = engine.templates.order_per_day(metric, plan.filters, plan.exclude, plan.period_obj)
        rows, cols = engine.run(query)
        value, days = rows[0] if rows else (None, 0)
        answer = (f"Average {metric.label} per day{engine.scope_text(plan)}: {engine.fmt(value, 'number')} "
                  f"(over the {days:,} days with orders).")
        return engine.card(plan, answer, value, rows, cols, query, {"type": "none"})
    if average and name == "customers":
        return engine.not_understood(plan, "an average of customers needs a measure (age, revenue, ...)")
    if average and name in ("churn_rate", "aov", "return_rate", "cancellation_rate", "units_per_order", "lines_per_order",
                            "revenue_per_unit",
                            "cancelled_line_share",
                            "median_order_value", "largest_order"):
        average = False  # the measure is already a mean or a rate
    metric = METRICS[name]
    query = scalar_query(engine, plan, metric, average)
    rows, cols = engine.run(query)
    value = rows[0][0] if rows else None
    what = ("average " if average and name not in ("aov", *MEAN_METRICS, "churn_rate", "return_rate",
                                                    "cancellation_rate") else "")
    what += ("revenue per customer" if average and name == "revenue" else
             "orders per customer" if average and name == "orders" else metric.label)
    one_customer = "customer" in plan.filters  # one customer's own figure: no average, a day count is whole
    if name == "customers" and "first_order_at" in query.sql:
        what = "new customers"  # counted by their first order in the period (scalar_query): say so
    if average and name in MEAN_METRICS and not one_customer:
        what = "average " + metric.label
    scope = engine.scope_text(plan)
    if plan.both_periods and len(plan.periods_obj) == 2:
        first, second = plan.periods_obj
        scope = (f" who bought in {first.label} and not in {second.label}" if plan.first_not_second else
                 f" who bought in both {first.label} and {second.label}")
    if value is None:  # nothing published to measure (no rows in the period, an empty column): no figure
        card = engine.card(plan, f"There is no data for {what}{scope}.", None, [], cols, query, {"type": "none"})
        card.status = "not_available"
        return card
    kind = "number" if average and metric.kind == "int" and not one_customer else metric.kind  # 4.59 orders per customer
    if one_customer and kind == "number" and float(value).is_integer():
        kind = "int"  # 372 days since their last order
    answer = f"{what[0].upper() + what[1:]}{scope}: {engine.fmt(value, kind)}."
    return engine.card(plan, answer, value, rows, cols, query, {"type": "none"})


def scalar_query(engine: "Engine", plan: Plan, metric, average: bool) -> Query:
    t = engine.templates
    period = plan.period_obj
    filters, exclude, name = plan.filters, plan.exclude, metric.name
    if plan.orders_condition == [">=", 1] and (period is not None or name != "customers" or _has_product(plan)):
        plan.orders_condition = None  # "customers who placed an order in May", "products sold at least once",
        # "customers who have ever bought the jumbo bag": its buyers
        if period is not None and name == "customers":
            return t.order_total(METRICS["customers"], filters, exclude, period)
    if plan.orders_condition and (plan.both_periods and plan.orders_condition not in (["=", 0], [">", 1])
                                  or name in ("returning_customers", "active_customers")
                                  or average and period is not None
                                  or set(filters) & set(ORDER_ONLY_FILTERS) and filters.get("anonymous") is not False):
        # "AOV of Friday orders from repeat customers": the branches below would leave the condition out (two periods
        # read "no order" and "again" as one, which says which of the two periods' customers are counted)
        raise NotAvailable("a condition on customers' number of orders is not combined with this figure")
    if _has_product(plan) or name == "products" or _product_category(engine, plan, name):
        if plan.orders_condition or average:
            raise NotAvailable("product sales are not kept per customer")
        return t.product_total(metric, filters, exclude, period)
    if plan.both_periods and name == "customers" and len(plan.periods_obj) == 2:
        return t.customers_in_both(filters, exclude, *plan.periods_obj, not_second=plan.first_not_second)
    if average and period is not None and name in ("revenue", "orders", "quantity"):
        return t.order_customer_average(metric, filters, exclude, period)  # per customer who bought in the period
    if name == "active_customers" and engine.gaz.has_table("marts.order_facts"):
        name, metric = "customers", METRICS["customers"]  # distinct buyers over any period, not a sum of days
        if period is not None or filters or exclude:
            return t.order_total(metric, filters, exclude, period)
    if filters.get("anonymous") is False and (average or plan.orders_condition):
        filters = {k: v for k, v in filters.items() if k != "anonymous"}  # each customer's own figure: known ones only
    if set(filters) & set(ORDER_ONLY_FILTERS):  # guests, order value, weekday, hour, new customers: the order facts
        if filters.get("anonymous") and (plan.orders_condition or average):
            raise NotAvailable("orders without a customer id belong to no customer")
        return t.order_total(metric, filters, exclude, period)
    if name == "returning_customers":
        if period is None:
            raise NotAvailable("returning customers are counted over a period (e.g. 'in May 2011')")
        return t.returning_customers(filters, exclude, period)
    spend = [c for c in filters.get("customer_condition", []) if c[0] == "period_revenue"]
    if spend:  # "how many customers spent over 500 in 2011": each customer's spend in the period
        rest = {k: v for k, v in filters.items() if k != "customer_condition"}
        if name != "customers" or average or period is None or len(filters["customer_condition"]) > 1 \
                or plan.orders_condition:
            raise NotAvailable("a condition on spend in a period is answered for a count of customers only")
        return t.customers_by_orders_in_period(rest, exclude, period, spend[0][1:], spend=True)
    if plan.orders_condition:
        if period is not None:
            if name != "customers" or average:
                raise NotAvailable("each customer's number of orders is kept for their whole history, not per period")
            return t.customers_by_orders_in_period(filters, exclude, period, plan.orders_condition)
        return t.customer_aggregate(metric, filters, average=average, exclude=exclude,
                                    orders_condition=plan.orders_condition)
    if name == "new_customers" and (filters or exclude):  # first order in the period, among the filtered customers
        return t.customer_aggregate(METRICS["customers"], filters, period=period, exclude=exclude,
                                    period_column="first_order_at" if period is not None else None)
    if name == "customers" and period is not None:
        if re.search(NEW_IN_PERIOD, plan.text):
            return t.customer_aggregate(METRICS["customers"], filters, period=period, period_column="first_order_at",
                                        exclude=exclude)
        if filters or exclude or engine.gaz.has_table("marts.order_facts"):  # distinct buyers over any period
            return t.order_total(METRICS["customers"], filters, exclude, period)
        return t.kpi_total(METRICS["active_customers"], period)
    if name == "revenue_per_unit" and not filters and not exclude and engine.gaz.has_table("marts.product_sales_monthly"):
        try:  # whole months: the product x month rollup holds every line's revenue and units, a scan of months
            return t.product_total(metric, {}, None, period)
        except NotAvailable:
            pass  # any other span: the order facts
    if name in ORDER_ONLY:
        if average or plan.orders_condition:
            raise NotAvailable(f"{metric.label} is kept per order only")
        return t.order_total(metric, filters, exclude, period)
    if name in ORDER_FIRST and not average and engine.gaz.has_table("marts.order_facts") and \
            set(filters) | set(exclude) <= set(ORDER_KINDS):
        return t.order_total(metric, filters, exclude, period)  # anonymous orders count too
    if metric.customer_expr is None and metric.kpi_expr is None or \
            (period is None and (filters or exclude) and metric.customer_expr is None):
        return t.order_total(metric, filters, exclude, period)
    if period is not None or (not filters and not exclude and metric.kpi_expr and not average and name in (
            "revenue", "orders", "aov", "new_customers", "cancellation_rate", "cancelled_orders", "returned_revenue")):
        if filters or exclude:
            if average:
                raise NotAvailable("averages per customer are kept for their whole history, not per period")
            return t.order_total(metric, filters, exclude, period)
        if metric.kpi_expr is None:
            if metric.order_expr is not None:
                return t.order_total(metric, filters, exclude, period)
            raise NotAvailable(f"{metric.label} is kept per customer (lifetime), not per period")
        return t.kpi_total(metric, period)
    return t.customer_aggregate(metric, filters, average=average, exclude=exclude,
                                over_everyone=bool(re.search(EVERY_CUSTOMER, plan.text)
                                                   or re.search(ON_FILE, plan.question.lower())))


# ---------------------------------------------------------------------------------------------------- series
def trend(engine: "Engine", plan: Plan) -> "AnswerCard":
    t = engine.templates
    period, grain, name = plan.period_obj, plan.grain, plan.metric
    if plan.orders_condition and plan.orders_condition != [">=", 1] or plan.group_condition:  # no series keeps them
        return engine.not_understood(plan, "a series cannot keep only the customers with a number of orders; ask for "
                                           "one period")
    if name == "customers" and re.search(NEW_IN_PERIOD, plan.text):  # "new UK customers per month": never all buyers
        if _has_product(plan):
            return engine.not_understood(plan, "a series of a product's new customers is not worked out; ask for one "
                                               "period at a time")
        name = "new_customers"
    metric = METRICS[name if name in METRICS else "revenue"]
    if name == "new_customers" and (plan.filters or plan.exclude):  # counted by their first order, among those
        query = t.new_customer_series(plan.filters, plan.exclude, period, grain)
    elif name == "returning_customers" and not _has_product(plan):  # "returning customers per month"
        query = t.returning_series(grain, plan.filters, plan.exclude, period)
    elif _has_product(plan):
        grain = grain if grain in ("quarter", "year") else "month"
        query = t.product_series(metric, plan.filters, plan.exclude, period, grain)
    elif plan.filters or plan.exclude:
        query = t.order_series(metric, grain, plan.filters, plan.exclude, period)
    elif metric.kpi_expr:
        query = t.kpi_series(metric, grain, period)
    else:
        query = t.order_series(metric, grain, {}, {}, period)
    rows, cols = engine.run(query)
    if not rows:
        return engine.empty(plan, query)
    values = [r[1] for r in rows if r[1] is not None]
    if re.search(AVERAGE_OF_A_SERIES, plan.text) and values:  # "average monthly revenue in 2011": one figure
        mean = sum(values) / len(values)
        answer = (f"Average {grain}ly {metric.label}{engine.scope_text(plan)}: {engine.fmt(mean, metric.kind)} (the mean "
                  f"of {len(values)} {grain}s with data).").replace("dayly", "daily")
        return engine.card(plan, answer, mean, rows, cols, query, {"type": "line", "x": grain, "y": metric.label})
    first, last = rows[0], rows[-1]
    peak = max(rows, key=lambda r: (r[1] is not None, r[1] or 0))
    change = ((last[1] - first[1]) / first[1] * 100) if first[1] else None
    fmt = engine.fmt
    answer = (f"{metric.label.capitalize()}{engine.scope_text(plan)} by {grain}: {fmt(first[1], metric.kind)} in "
              f"{_label(first[0], grain)} to {fmt(last[1], metric.kind)} in {_label(last[0], grain)}"
              + (f" ({change:+.1f}%)" if change is not None else "")
              + f"; peak {fmt(peak[1], metric.kind)} in {_label(peak[0], grain)}.")
    return engine.card(plan, answer, None, rows, cols, query, {"type": "line", "x": grain, "y": metric.label})


# ---------------------------------------------------------------------------------------------------- rankings
def ranking(engine: "Engine", plan: Plan) -> "AnswerCard":
    t = engine.templates
    descending = plan.intent != "bottom"
    period, text, name, filters = plan.period_obj, plan.text, plan.metric, plan.filters
    by = re.search(r"\bby\s+(revenue|sales|orders|value|customers|age|churn probability|spend|number of customers|"
                   r"quantity|units)\b(?!\s+(returned|cancell?ed|sent back))", text)
    if by and by.group(1) == "customers" and "customer" in plan.dims and plan.metric not in (None, "customers"):
        by = None  # "orders by customers in France": the customers are ranked, by the orders asked
    if by and plan.metric in ("new_customers", "returning_customers", "cancelling_customers") \
            and by.group(1) not in ("customers", "number of customers"):
        return engine.not_understood(plan, f"a ranking by {by.group(1)} of {METRICS[plan.metric].label} only is not "
                                           "worked out")  # "bottom 3 countries by revenue for new customers"
    if by:
        name = {"sales": "revenue", "spend": "revenue", "value": "value_12m", "units": "quantity",
                "number of customers": "customers", "churn probability": "churn_probability"}.get(by.group(1), by.group(1))
        if name == "quantity" and (plan.metric or "").startswith(("cancelled", "returned")):  # "cancelled (by units)"
            name = "cancelled_units" if plan.metric.startswith("cancelled") else "returned_units"
    dims = plan.dims
    dim = next((d for d in dims if d != "customer"), None)
    if dim is None and "customer" in dims:
        dim = "customer"
    if dim is None:
        return engine.not_understood(plan, "a ranking needs something to rank (countries, cities, segments, customers, "
                                           "months, products, ...)")
    plural = {"country": r"countries|markets", "city": r"cities", "category": r"categories", "segment": r"segments",
              "persona": r"personas|clusters", "risk_band": r"bands", "gender": r"genders",
              "customer": r"customers|clients|buyers", "product": r"products|items", "month": r"months",
              "week": r"weeks", "weekday": r"weekdays|days", "hour": r"hours", "day": r"days|dates"}.get(dim, "")
    n = plan.n or (MAX_ROWS if re.search(r"\brank\w*\b", text) else
                   5 if plural and re.search(rf"\b({plural})\b", text) else 1)
    if not by and (name is None or name == "customers") and re.search(VALUE_JUDGEMENT, text):
        return engine.not_understood(plan, "'best' or 'worst' needs a measure: by revenue, orders, units or customers?")
    if dim == "customer" and name in (None, "customers"):
        name = "revenue"
    if dim in ("product", "category") and name is None and re.search(r"\b(bought|popular|ordered|purchased)\b", text):
        name = "orders"
    if name is None and re.search(r"\b(busiest|quietest|slowest)\b", text):
        name = "orders"  # "the busiest hour": the most orders placed in it
    if name is None and dim not in ("month", "week", "day", "weekday", "hour", "quarter", "year", "customer") \
            and not re.search(r"\b(?:most|fewest|largest|biggest|smallest|how many)\b", text):
        label = DIM_LABEL.get(dim, dim)
        return engine.not_understood(plan, f"top {PLURAL.get(label, label + 's')} by what: revenue, orders, units or "
                                           "customers?")  # "top 5 countries last month" names no measure
    name = name or ("revenue" if dim in ("month", "week", "day", "weekday", "hour", "product") else "customers")
    listed = re.search(r"\b(?:who|which|list|name|show)\b", text)  # "who are our top 5 customers and how much ..."
    if dim == "customer" and plan.n and plan.top_percent is None and name in ("revenue", "orders", "quantity") \
            and re.search(TOP_GROUP_FIGURE, text) and not listed:  # "how much did the top 10 customers spend": one figure
        return top_customers(engine, plan, name, filters, as_share=False,
                             average=bool(re.search(r"\b(?:average|avg|mean)\b", text)))
    metric = METRICS[name]
    exclude = plan.exclude
    if filters.get(dim) is not None and not isinstance(filters.get(dim), list):  # "top countries ... for the UK"
        return engine.not_understood(plan, f"a ranking of {PLURAL.get(DIM_LABEL.get(dim, dim), dim)} within one of them "
                                           "is not something I work out")
    uses_group_condition = uses_orders_condition = False  # which branch reads them: the others would drop them
    per_customer = False  # the branch that can average each customer's figure ("revenue per customer")
    among = next((list(values) for kind, values in plan.pairs if kind == dim), [])  # "rank Sweden, Norway and Denmark"
    if plan.pairs and not among:
        return engine.not_understood(plan, "a ranking with two values of something else it is not ranked by")
    if among and dim not in ("country", "segment"):
        return engine.not_understood(plan, f"a ranking among named {PLURAL.get(DIM_LABEL.get(dim, dim), dim)} is "
                                           "worked out only for countries and segments")
    if name == "new_customers" and dim in ("country", "city", "segment", "category", "persona", "risk_band", "gender"):
        query = t.new_customer_ranking(dim, filters, period, n, descending, exclude)  # first order in the period
    elif dim in ("month", "week", "day", "quarter", "year"):
        if filters or exclude or (not metric.kpi_expr and engine.gaz.has_table("marts.order_facts")):
            query = t.order_period_ranking(metric, dim, filters, exclude, period, n, descending)
        elif not metric.kpi_expr:
            raise NotAvailable(f"{metric.label} by {dim} is not in the KPI marts")
        else:
            query = t.kpi_ranking(metric, dim, period, n, descending)
    elif dim in ("weekday", "hour"):
        if filters or exclude or period is not None or not engine.gaz.has_table("marts.activity_heatmap") \
                or name not in ("orders", "revenue"):  # units, lines...: from the order facts
            query = t.order_activity_ranking(metric, dim, filters, exclude, period, n, descending)
        else:
            query = t.activity_ranking(metric, dim, n, descending)
    elif dim in ("category", "city", "gender", "persona", "risk_band") and not engine.gaz.values.get(dim):
        raise NotAvailable(f"the published data has no {PLURAL.get(DIM_LABEL.get(dim, dim), DIM_LABEL.get(dim, dim) + 's')}")
    elif dim == "country" and _has_product(plan) and not among:  # "which country bought the most JUMBO BAG ..."
        query = t.product_ranking(metric, filters, period, n, descending, exclude=exclude, dim="country")
    elif dim == "product" or (dim == "category" and name != "customers"):
        if name == "cancelled_orders" and not re.search(r"\border", plan.text):  # "most often cancelled": the times,
            metric = METRICS["cancelled_lines"]                                     # one per cancelled line
        query = t.product_ranking(metric, filters, period, n, descending, exclude=exclude, dim=dim)
    elif among or period is not None or plan.group_condition or (metric.customer_expr is None
                                                                  and metric.order_expr is not None):
        query = t.order_ranking(metric, dim, filters, exclude, period, n, descending, values=among or None,
                                group_condition=plan.group_condition)
        uses_group_condition = True
    else:
        average = bool(re.search(r"\b(average|avg|mean|per customer)\b", text)) and name not in ("customers",)
        query = t.customer_ranking(metric, dim, {k: v for k, v in filters.items() if k != dim}, n, descending,
                                   average=average or name in MEAN_METRICS, exclude=exclude,
                                   orders_condition=plan.orders_condition)
        uses_orders_condition = per_customer = True
    if re.search(r"\bper (?:customer|client|buyer)\b", text) and not per_customer and dim != "customer":
        return engine.not_understood(plan, "this ranking is not worked out per customer, so I did not rank by the total")
    if (plan.group_condition and not uses_group_condition) or (plan.orders_condition and not uses_orders_condition):
        condition = plan.group_condition or plan.orders_condition
        return engine.not_understood(plan, f"this ranking cannot keep only those with {condition[0]} {condition[1]} "
                                           "orders, so I did not rank without it")
    rows, cols = engine.run(query)
    if not rows:
        return engine.empty(plan, query)
    head = rows[0]
    lab = DIM_LABEL.get(dim, dim)
    word = "Top" if descending else "Bottom"
    scope = engine.scope_text(plan) + (f" among {', '.join(among)}" if among else "")
    fmt = engine.fmt
    if n == 1:
        answer = (f"The {lab} with the {'most' if descending else 'least'} {metric.label}{scope} is "
                  f"{_label(head[0], dim)} ({fmt(head[1], metric.kind)}).")
    else:
        answer = (f"{word} {len(rows)} {PLURAL.get(lab, lab + 's')} by {metric.label}{scope}: "
                  + ", ".join(f"{_label(r[0], dim)} ({fmt(r[1], metric.kind)})" for r in rows) + ".")
    plan.n = n
    return engine.card(plan, answer, head[1], rows, cols, query, {"type": "bar", "x": dim, "y": metric.label})


def grouped(engine: "Engine", plan: Plan) -> "AnswerCard":
    """"customers by country", "revenue per segment": every group, ranked."""
    plan.n = plan.n or 100
    return ranking(engine, plan)


# ---------------------------------------------------------------------------------------------------- compare
def _per_period(engine: "Engine", plan: Plan, metric, periods: list) -> Query:
    """The plan's total of `metric` (its filters and exclusions kept) for each period, one row per period."""
    parts, params, table = [], [], ""
    for p in periods:
        one = Plan.from_dict({**plan.to_dict(), "intent": "sum", "period": p.to_dict(), "periods": [p.to_dict()]})
        q = scalar_query(engine, one, metric, average=False)
        parts.append(f"SELECT ? AS period, (SELECT value FROM ({q.sql})) AS value")
        params += [p.label, *q.params]
        table = q.table
    return Query(" UNION ALL ".join(parts), params, table)


def compare(engine: "Engine", plan: Plan) -> "AnswerCard":
    t = engine.templates
    name = plan.metric or "customers"
    metric = METRICS[name]
    period, filters = plan.period_obj, plan.filters
    periods = plan.periods_obj
    fmt = engine.fmt
    if plan.orders_condition and plan.orders_condition != [">=", 1] or plan.group_condition:  # no comparison keeps them
        return engine.not_understood(plan, "a comparison cannot keep only the customers with a number of orders; ask "
                                           "for each figure")
    if plan.pairs:
        kind, values = plan.pairs[0]
        if len(values) != 2:  # "Ireland than the Nordics put together": one against a group is not worked out
            return engine.not_understood(plan, f"a comparison of {len(values)} {PLURAL.get(DIM_LABEL.get(kind, kind), kind)} "
                                               "is not worked out; compare two at a time")
        base = {k: v for k, v in filters.items() if k != kind}
        if period is not None or (metric.customer_expr is None and metric.order_expr is not None):
            query = t.order_ranking(metric, kind, base, plan.exclude, period, len(values), True, values=values)
        else:
            average = name in MEAN_METRICS or bool(re.search(r"\b(average|avg|mean|per customer)\b", plan.text))
            query = t.customer_by_group(metric, kind, values, base, average=average)
        rows, cols = engine.run(query)
        got = {r[0]: r[1] for r in rows}
        a, b = values
        va, vb = got.get(a), got.get(b)
        answer = f"{metric.label.capitalize()}: {a} {fmt(va, metric.kind)} vs {b} {fmt(vb, metric.kind)}"
        if re.search(RATIO, plan.text) and None not in (va, vb) and vb:  # "ratio of German to French revenue"
            said = (f"{va / vb:,.2f} times {b}" if re.search(r"\btimes\b|\bfactor\b", plan.text)
                    else f"{fmt(va / vb, 'share')} of {b}")
            return engine.card(plan, answer + f", {a} is {said}.", va / vb, [[a, va], [b, vb]], cols, query,
                               {"type": "bar", "x": kind, "y": metric.label})
        if re.search(DIFFERENCE, plan.text) and None not in (va, vb):  # "how much more did Germany bring in than France"
            return engine.card(plan, answer + f", a difference of {fmt(va - vb, metric.kind)}.", va - vb,
                               [[a, va], [b, vb]], cols, query, {"type": "bar", "x": kind, "y": metric.label})
        if va is not None and vb is not None and vb:
            answer += f" ({a} is {va / vb * 100 - 100:+.1f}% vs {b})"
        return engine.card(plan, answer + ".", {a: va, b: vb}, [[a, va], [b, vb]], cols, query,
                           {"type": "bar", "x": kind, "y": metric.label})
    if len(periods) >= 2:
        if filters or plan.exclude:  # "growth in popcorn holder revenue from H1 to H2": each period as its own total
            query = _per_period(engine, plan, metric, periods[:2])
        elif metric.kpi_expr and metric.additive:
            query = t.kpi_compare_periods(metric, periods[:2])
        else:  # distinct buyers and other order measures, never a silent switch to revenue
            query = t.order_compare_periods(metric, periods[:2])
        rows, cols = engine.run(query)
        (la, va), (lb, vb) = rows[0], rows[1]
        if plan.growth:  # "by what % did revenue grow from October to November": from the earlier to the later
            if periods[0].start > periods[1].start:
                (la, va), (lb, vb) = (lb, vb), (la, va)
            change = (vb - va) / va if va and vb is not None else None
            by = "" if None in (va, vb) else f"{'+' if vb >= va else '-'}{fmt(abs(vb - va), metric.kind)}, "
            answer = (f"{metric.label.capitalize()} went from {fmt(va, metric.kind)} in {la} to {fmt(vb, metric.kind)} "
                      f"in {lb}: {by}{'n/a' if change is None else f'{change * 100:+.1f}%'}.")
            return engine.card(plan, answer, change, [[la, va], [lb, vb]], cols, query,
                               {"type": "bar", "x": "period", "y": metric.label})
        if re.search(RATIO, plan.text) and None not in (va, vb) and vb:  # "Q3 revenue as a percentage of Q4's"
            said = (f"{va / vb:,.2f} times {lb}" if re.search(r"\btimes\b|\bfactor\b", plan.text)
                    else f"{fmt(va / vb, 'share')} of {lb}")
            answer = (f"{metric.label.capitalize()}: {la} {fmt(va, metric.kind)} vs {lb} {fmt(vb, metric.kind)}, {la} is "
                      f"{said}.")
            return engine.card(plan, answer, va / vb, [[la, va], [lb, vb]], cols, query,
                               {"type": "bar", "x": "period", "y": metric.label})
        if re.search(DIFFERENCE, plan.text) and None not in (va, vb):
            minuend_first = _minuend_is_first(plan, periods)
            subject_first = _subject_is_first(plan, periods) if minuend_first is None else None
            if minuend_first is not None:  # "Just May minus April, please."
                if not minuend_first:
                    (la, va), (lb, vb) = (lb, vb), (la, va)
            elif subject_first is not None:  # "how much lower was February than January": January minus February
                less = re.search(r"\bhow (?:much|many) (?:less|lower|fewer|smaller)\b|\bbelow\b", plan.question.lower())
                if subject_first == bool(less):
                    (la, va), (lb, vb) = (lb, vb), (la, va)
            elif re.search(r"\bchanged?\b", plan.text) and periods[0].start < periods[1].start:
                (la, va), (lb, vb) = (lb, vb), (la, va)  # a change: the later minus the earlier
            answer = (f"{metric.label.capitalize()}: {la} {fmt(va, metric.kind)} vs {lb} {fmt(vb, metric.kind)}, a "
                      f"difference of {fmt(va - vb, metric.kind)}.")  # "how many more in October than in September"
            return engine.card(plan, answer, va - vb, [[la, va], [lb, vb]], cols, query,
                               {"type": "bar", "x": "period", "y": metric.label})
        answer = f"{metric.label.capitalize()}: {la} {fmt(va, metric.kind)} vs {lb} {fmt(vb, metric.kind)}"
        if va is not None and vb:
            answer += f" ({la} is {va / vb * 100 - 100:+.1f}% vs {lb})"
        return engine.card(plan, answer + ".", {la: va, lb: vb}, rows, cols, query,
                           {"type": "bar", "x": "period", "y": metric.label})
    return engine.not_understood(plan, "a comparison needs two things of the same kind (two countries, two segments, "
                                       "two periods, ...)")


def _latest_day(periods: list):
    """The last day of the later of two periods: a month said again without its year ("January minus February") is
    the one of the periods compared, not the latest in the data."""
    return max(p.end for p in periods) - timedelta(days=1)


def _names_first(text: str, periods: list) -> bool | None:
    """Whether the period `text` opens with is the first of the two compared; None when it names neither."""
    said = parse_period(text, _latest_day(periods))[0]
    if said is None or not {said.start} & {periods[0].start, periods[1].start}:
        return None
    return said.start == periods[0].start


def _minuend_is_first(plan: Plan, periods: list) -> bool | None:
    """Whether the first of two periods comes first in a subtraction the question says ("November minus October");
    None when it says none."""
    said = re.search(r"\b((?:[a-z]{3,9}|q[1-4]|h[12])(?:\s+(?:19|20)\d{2})?|(?:19|20)\d{2})(?:'s)?\s+(?:minus|less)\s+(?!than\b)\w",
                     plan.question.lower())
    return _names_first(said.group(1), periods) if said else None


def _subject_is_first(plan: Plan, periods: list) -> bool | None:
    """Whether the first of two periods is the one a difference is asked about: the other follows "than" ("how much
    more in November than in October"), or the subject follows "more ... in" ("Q2 compared with Q1: how many more
    orders in Q2?"); None when the question says neither."""
    q = plan.question.lower()
    than = re.search(r"\b(?:than|below|exceed(?:ed|s)?)\b", q)  # "was February below January", "did May exceed April"
    said = re.search(r"\b(?:more|less|fewer|higher|lower|bigger|smaller)\b[^?.]*?\b(?:in|during|for)\s+", q)
    if than:
        other_first = _names_first(q[than.end():], periods)
        return None if other_first is None else not other_first
    return _names_first(q[said.end():], periods) if said else None


# ---------------------------------------------------------------------------------------------------- share
def share(engine: "Engine", plan: Plan) -> "AnswerCard":
    t = engine.templates
    name = plan.metric or "customers"
    filters = dict(plan.filters)
    if re.search(r"\btop\s*(20|twenty)\s*(%|percent)", plan.question.lower()) and not (
            plan.period or filters or plan.exclude or plan.metric not in (None, "revenue")):  # as the Pareto mart has it
        query = t.pareto_top20()
        rows, cols = engine.run(query)
        value = rows[0][0] if rows else None
        return engine.card(plan, f"The top 20% of customers bring {engine.fmt(value, 'share')} of revenue.",
                           value, rows, cols, query, {"type": "none"})
    if plan.over_metric:  # "the value of cancelled lines as a percentage of net revenue": two measures of the orders
        if plan.orders_condition or plan.group_condition or plan.top_percent is not None or plan.n or plan.dims:
            return engine.not_understood(plan, "a share of one measure in another is worked out over all the orders; "
                                               "it cannot keep only some customers or split by a grouping")
        part, whole = METRICS[name], METRICS[plan.over_metric]
        query = t.ratio(t.order_total(part, filters, plan.exclude, plan.period_obj),
                        t.order_total(whole, filters, plan.exclude, plan.period_obj))
        rows, cols = engine.run(query)
        p, total, value = rows[0]
        answer = (f"{part.label[0].upper() + part.label[1:]} as a share of {whole.label}{engine.scope_text(plan)}: "
                  f"{engine.fmt(value, 'share')} ({engine.fmt(p, part.kind)} of {engine.fmt(total, whole.kind)}).")
        return engine.card(plan, answer, value, rows, cols, query, {"type": "none"})
    rate = {"cancelled_orders": "cancellation_rate", "returned_lines": "return_rate",
            "cancelled_lines": "cancelled_line_share", "cancelled_per_completed": name}.get(name)
    if rate:  # "what percentage of orders were cancelled": the rate itself
        return scalar(engine, Plan.from_dict({**plan.to_dict(), "intent": "sum", "metric": rate}))
    if name in ("churn_rate",):
        name, filters = "customers", {**filters, "churned": True}
    periods = plan.periods_obj
    if len(periods) == 2 and not (plan.both_periods or plan.first_not_second):
        return _share_of_a_period_in_another(engine, plan, name, filters, periods)
    if plan.top_percent is not None or (plan.n and "customer" in plan.dims and name in ("revenue", "orders", "quantity")
                                        and not plan.orders_condition and not _has_product(plan)):
        return top_customers(engine, plan, name, filters, as_share=True)
    order_filters = set(filters) <= set(ORDER_KINDS) | set(ORDER_ONLY_FILTERS) - {"new_in_period"}
    if name in ("revenue", "orders", "quantity") and (order_filters or plan.period_obj is not None) \
            and (filters or plan.exclude) and not plan.orders_condition and not _has_product(plan) \
            and engine.gaz.has_table("marts.order_facts"):  # over a period: any customer filter, through the customers
        return _order_share(engine, plan, METRICS[name], filters)
    if plan.orders_condition and filters and not plan.exclude and not plan.period and not _has_product(plan) \
            and name == "customers":  # "what share of my German customers are repeat buyers": of those customers
        query = t.customer_share(METRICS["customers"], {}, filters, orders_condition=plan.orders_condition)
        rows, cols = engine.run(query)
        p, whole, value = rows[0]
        op, k = plan.orders_condition
        answer = (f"{engine.fmt(value, 'share')} of the customers ({engine.describe(filters)}) have {_orders(op, k)} "
                  f"({engine.fmt(p, 'int')} of {engine.fmt(whole, 'int')}).")
        return engine.card(plan, answer, value, rows, cols, query, {"type": "pie", "x": "part", "y": "customers"})
    if name == "new_customers" and plan.period_obj is not None and not filters and not plan.exclude \
            and engine.gaz.has_table("marts.order_facts"):  # "of everyone who bought in November, what share were new"
        period = plan.period_obj
        query = t.ratio(t.customer_aggregate(METRICS["customers"], {}, period=period, period_column="first_order_at"),
                        t.order_total(METRICS["customers"], {}, None, period))
        rows, cols = engine.run(query)
        p, whole, value = rows[0]
        answer = (f"{engine.fmt(value, 'share')} of the customers who bought in {period.label} were new (their first "
                  f"order) ({engine.fmt(p, 'int')} of {engine.fmt(whole, 'int')}).")
        return engine.card(plan, answer, value, rows, cols, query, {"type": "pie", "x": "part", "y": "customers"})
    if plan.orders_condition and not filters and not plan.exclude and not plan.period:  # "share of repeat buyers"
        buyers_only = bool(re.search(BUYERS, plan.text))  # of those who bought, when the question says so
        query = t.customer_share(METRICS["customers"], {}, {}, orders_condition=plan.orders_condition,
                                 buyers_only=buyers_only)
        rows, cols = engine.run(query)
        p, whole, value = rows[0]
        op, k = plan.orders_condition
        answer = (f"{engine.fmt(value, 'share')} of {'customers who bought' if buyers_only else 'all customers'} "
                  f"have {_orders(op, k)} "
                  f"({engine.fmt(p, 'int')} of {engine.fmt(whole, 'int')}).")
        return engine.card(plan, answer, value, rows, cols, query, {"type": "pie", "x": "part", "y": "customers"})
    period = plan.period_obj
    if plan.orders_condition and period is not None and name in ("revenue", "orders", "quantity") \
            and len(plan.periods_obj) == 1 and engine.gaz.has_table("marts.order_facts"):
        # "what % of 2011 revenue came from repeat customers": from those with that many orders in the period
        if re.search(r"\b(?:in total|ever|lifetime|in their lifetime|all[- ]time|whole history)\b", plan.question.lower()) \
                or known_customers_whole(plan.question):  # their orders over their whole history ("repeat
            op, k = plan.orders_condition                       # customers, 2+ orders in total"), of the period's revenue
            part = {**filters, "customer_condition": [["lifetime_orders", op, k]]}
            return _order_share(engine, plan, METRICS[name], part)
        metric = METRICS[name]
        query = t.share_from_customers_with_orders(metric, filters, plan.exclude, period, plan.orders_condition)
        rows, cols = engine.run(query)
        p, total, value = rows[0]
        op, k = plan.orders_condition
        of = f" ({engine.describe(filters)})" if filters else ""
        answer = (f"{engine.fmt(value, 'share')} of {metric.label}{engine.scope_text(Plan('share', period=plan.period))}{of} "
                  f"came from customers with {_orders(op, k)} in it ({engine.fmt(p, metric.kind)} of "
                  f"{engine.fmt(total, metric.kind)}).")
        return engine.card(plan, answer, value, rows, cols, query, {"type": "pie", "x": "part", "y": metric.label})
    if plan.orders_condition and period is not None and set(filters) <= {"country"} and len(plan.periods_obj) == 1:
        # "what share of customers who bought in 2011 bought 3+ times that year": of the period's buyers
        query = t.ratio(t.customers_by_orders_in_period(filters, plan.exclude, period, plan.orders_condition),
                        t.customers_by_orders_in_period(filters, plan.exclude, period, [">=", 1]))
        rows, cols = engine.run(query)
        p, total, value = rows[0]
        op, k = plan.orders_condition
        who = f" ({engine.describe(filters)})" if filters else ""
        answer = (f"{engine.fmt(value, 'share')} of the customers who bought in {period.label}{who} placed "
                  f"{_orders(op, k)} in it ({engine.fmt(p, 'int')} of {engine.fmt(total, 'int')}).")
        return engine.card(plan, answer, value, rows, cols, query, {"type": "pie", "x": "part", "y": "customers"})
    if name == "new_customers":  # "uk share of customer base for new customers": never every customer instead
        return engine.not_understood(plan, "a share of new customers is worked out of everyone who bought in a period, "
                                           "without other filters")
    if name not in ("customers", "revenue", "orders", "value_12m", "quantity"):
        name = "customers"
    metric = METRICS[name]
    if not filters and plan.exclude and name == "customers" and not (plan.orders_condition or _has_product(plan)) \
            and len(plan.periods_obj) <= 1:
        # "what percentage of all customer accounts are outside the United Kingdom": the part is all but those; with a
        # period, of the customers who bought in it ("share of 2011's ordering customers located outside the UK")
        if period is None:
            query, whom = t.customer_share(metric, {}, {}, part_exclude=plan.exclude), "all customers"
        else:
            query = t.ratio(t.customers_by_orders_in_period({}, plan.exclude, period, [">=", 1]),
                            t.customers_by_orders_in_period({}, {}, period, [">=", 1]))
            whom = f"the customers who bought in {period.label}"
        rows, cols = engine.run(query)
        p, whole, value = rows[0]
        outside = "; ".join(f"{DIM_LABEL.get(k, k)} {', '.join(v)}" for k, v in plan.exclude.items())
        answer = (f"{engine.fmt(value, 'share')} of {whom} are outside {outside} "
                  f"({engine.fmt(p, 'int')} of {engine.fmt(whole, 'int')}).")
        return engine.card(plan, answer, value, rows, cols, query, {"type": "pie", "x": "part", "y": metric.label})
    if not filters:
        return engine.not_understood(plan, "a share needs a part to measure (a country, a segment, churned "
                                           "customers, ...)")
    if _has_product(plan) and name in ("revenue", "orders", "quantity") and not plan.exclude and not plan.orders_condition:
        query = t.product_share(METRICS[name], filters, plan.period_obj)  # "what % of November revenue came from X"
        rows, cols = engine.run(query)
        p, whole, value = rows[0]
        answer = (f"{engine.fmt(value, 'share')} of {METRICS[name].label}{engine.scope_text(Plan('share', period=plan.period))}"
                  f" came from {engine.describe(filters)} ({engine.fmt(p, METRICS[name].kind)} of "
                  f"{engine.fmt(whole, METRICS[name].kind)}).")
        return engine.card(plan, answer, value, rows, cols, query, {"type": "pie", "x": "part", "y": METRICS[name].label})
    if plan.group_condition:  # "what percentage of all customers are in it with more than 3 orders"
        return engine.not_understood(plan, "a share of customers cannot keep only those with a number of orders here; "
                                           "ask for the count")
    if plan.period or plan.exclude or plan.orders_condition or _has_product(plan):
        raise NotAvailable("shares of customers are computed over their whole history, without exclusions or products")
    # the whole: the filters the question names as its base ("as a share of all customers in the Champions segment"),
    # else where customers live; those scored are always the whole they are a share of
    wholes = set(plan.base_kinds) if plan.base_kinds else {"country", "city"}
    geo = {k: v for k, v in filters.items() if k in wholes | {"scored", "rfm_scored"}}
    other = {k: v for k, v in filters.items() if k not in geo}
    part, base = (other, geo) if name == "customers" and geo and other else (filters, {})
    query = t.customer_share(metric, part, base)
    rows, cols = engine.run(query)
    p, whole, value = rows[0]
    fmt = engine.fmt
    answer = (f"{fmt(value, 'share')} of {metric.label}{engine.scope_text(Plan('share', filters=base))} "
              f"{'are' if name == 'customers' else 'come from'} {engine.describe(part)} "
              f"({fmt(p, metric.kind)} of {fmt(whole, metric.kind)}).")
    return engine.card(plan, answer, value, rows, cols, query, {"type": "pie", "x": "part", "y": metric.label})


def _share_of_a_period_in_another(engine: "Engine", plan: Plan, name: str, filters: dict,
                                  periods: list) -> "AnswerCard":
    """"What share of 2011 revenue came in Q4", "of Germany's 2011 revenue, how much in Q4": the part period's total
    over the whole period's, with the same filters on both."""
    t = engine.templates
    if plan.n or plan.dims or plan.top_percent is not None or plan.orders_condition or plan.group_condition:
        return engine.not_understood(plan, "a share of one period in another is worked out over all customers, "
                                           "without a grouping or a group of customers")
    whole, part = sorted(periods, key=lambda p: p.end - p.start, reverse=True)
    if not (whole.start <= part.start and part.end <= whole.end and part != whole):
        return engine.not_understood(plan, "a share over two periods needs one inside the other")
    if filters or plan.exclude:
        if re.search(r"\b(?:came|come|comes|coming)\s+from\b", plan.question.lower()):
            return engine.not_understood(plan, "whether the whole is everyone's or only theirs is not said; ask 'of "
                                               "Germany's 2011 revenue, what share came in Q4'")
        if name not in ("revenue", "orders", "quantity") or _has_product(plan):
            return engine.not_understood(plan, "a share of one period in another is worked out for revenue, orders or "
                                               "units, without a product")
        metric = METRICS[name]
        query = t.ratio(t.order_total(metric, filters, plan.exclude, part),
                        t.order_total(metric, filters, plan.exclude, whole))
        scope = engine.scope_text(Plan("share", filters=filters, exclude=plan.exclude))
    else:
        metric = METRICS[name if name in ("revenue", "orders", "quantity", "new_customers") else "revenue"]
        query = t.kpi_period_share(metric, part, whole)
        scope = ""
    rows, cols = engine.run(query)
    p, total, value = rows[0]
    answer = (f"{engine.fmt(value, 'share')} of {metric.label}{scope} in {whole.label} came in {part.label} "
              f"({engine.fmt(p, metric.kind)} of {engine.fmt(total, metric.kind)}).")
    return engine.card(plan, answer, value, rows, cols, query, {"type": "pie", "x": "part", "y": metric.label})


def _orders(op: str, k) -> str:
    """ "exactly 1 order", "at least 3 orders": a condition on a number of orders, in words."""
    return f"{CONDITION_WORDS.get(op, op)} {k} order{'' if k == 1 else 's'}"


def top_customers(engine: "Engine", plan: Plan, name: str, filters: dict, as_share: bool,
                  average: bool = False) -> "AnswerCard":
    """What the top N (or top P%) customers brought of a period's revenue, orders or units ("share of 2011 revenue
    from our top 10 customers", "how much did the top 1% of customers spend"): how concentrated the money is."""
    if _has_product(plan) or plan.orders_condition or name not in ("revenue", "orders", "quantity") \
            or not engine.gaz.has_table("marts.order_facts"):
        return engine.not_understood(plan, "what the top customers brought is worked out only for revenue, orders or "
                                           "units, without a product or a condition on their orders")
    metric = METRICS[name]
    known_only = known_customers_whole(plan.question)
    query = engine.templates.top_customers_share(metric, plan.n, filters, plan.exclude, plan.period_obj,
                                                 percent=plan.top_percent, known_only=known_only)
    rows, cols = engine.run(query)
    p, total, value = rows[0]
    who = f"{plan.top_percent:g}% of customers" if plan.top_percent is not None else f"{plan.n} customers"
    answer = (f"The top {who} by {metric.label}{engine.scope_text(plan)} brought {engine.fmt(p, metric.kind)}, "
              f"{engine.fmt(value, 'share')} of {'the known customers’' if known_only else 'all'} "
              f"{engine.fmt(total, metric.kind)}.")
    if average and plan.n and p is not None:  # "average revenue of the top 10 customers": their total over ten
        answer += f" On average {engine.fmt(p / plan.n, metric.kind)} each."
        return engine.card(plan, answer, p / plan.n, rows, cols, query, {"type": "none"})
    return engine.card(plan, answer, value if as_share else p, rows, cols, query,
                       {"type": "pie", "x": "part", "y": metric.label})


def _order_share(engine: "Engine", plan: Plan, metric, part: dict) -> "AnswerCard":
    """A country's or segment's share of all revenue (orders, units): anonymous orders count in the whole unless the
    question names the known customers' figure as the whole."""
    if part.get("anonymous") and (plan.exclude or set(part) & {"country", "city", "segment"}):
        return engine.not_understood(plan, "orders without a customer id carry no country or segment")
    known_only = known_customers_whole(plan.question) and "anonymous" not in part
    query = engine.templates.order_share(metric, part, plan.period_obj, plan.exclude, known_only=known_only)
    rows, cols = engine.run(query)
    p, whole, value = rows[0]
    if value is None:  # nothing to divide: no figure, never "n/a" as an answer
        return engine.empty(plan, query)
    fmt = engine.fmt
    period = plan.period_obj
    outside = engine.scope_text(Plan('share', exclude=plan.exclude))
    answer = (f"{fmt(value, 'share')} of {'known customers’' if known_only else 'all'} {metric.label}"
              f"{f' in {period.label}' if period else ''} comes from "
              f"{engine.describe(part) + outside if part else 'customers' + outside} "
              f"({fmt(p, metric.kind)} of "
              f"{fmt(whole, metric.kind)}, orders without a known customer "
              f"{'left out of' if known_only else 'included in'} the whole).")
    return engine.card(plan, answer, value, rows, cols, query, {"type": "pie", "x": "part", "y": metric.label})


# ---------------------------------------------------------------------------------------------------- customers
def customer(engine: "Engine", plan: Plan) -> "AnswerCard":
    """profile and why_risk: one customer, for the analyst role only (the card says so)."""
    cid = plan.ids[0]
    t = engine.templates
    if plan.intent == "why_risk":
        query = t.churn_reasons(cid)
        rows, cols = engine.run(query)
        if not rows:
            exists = engine.run(t.customer_profile(cid))[0]
            if exists:
                return engine.card(plan, f"Customer {cid} is not scored by the churn model (only customers with a "
                                         "completed order in the last year are).", None, [], [], query, {"type": "none"})
            return engine.no_customer(plan, cid, query)
        _, prob, band, reasons = rows[0]
        answer = (f"Customer {cid} is in the {band} risk band (churn probability {prob:.2f}); "
                  f"main reasons: {reasons}.")
        return engine.card(plan, answer, prob, rows, cols, query, {"type": "none"})
    query = t.customer_profile(cid)
    rows, cols = engine.run(query)
    if not rows:
        return engine.no_customer(plan, cid, query)
    r = dict(zip(cols, rows[0]))
    bits = [f"Customer {cid}"]
    where = ", ".join(str(r[c]) for c in ("city", "country") if r.get(c))
    if where:
        bits.append(f"from {where}")
    if r.get("age") is not None:
        bits.append(f"aged {r['age']}")
    fmt = engine.fmt
    s = " ".join(bits) + f": {r.get('lifetime_orders') or 0} orders, revenue {fmt(r.get('lifetime_revenue'), 'money')}"
    if r.get("last_order_at"):
        s += f", last order {str(r['last_order_at'])[:10]}"
    if r.get("segment"):
        s += f", RFM segment {r['segment']}"
    if r.get("risk_band"):
        s += f", churn risk {r['risk_band']} ({r['churn_probability']:.2f})"
    if r.get("value_12m") is not None:
        s += f", 12-month value {fmt(r['value_12m'], 'money')}"
    return engine.card(plan, s + ".", r.get("lifetime_revenue"), rows, cols, query, {"type": "none"})


# ---------------------------------------------------------------------------------------------------- feedback
def feedback(engine: "Engine", plan: Plan) -> "AnswerCard":
    import numpy as np

    from cip_assets.qa.engine import AnswerCard

    understood = engine.understood(Plan("feedback", filters=plan.filters))
    if not engine.gaz.has_table("nlp.feedback_sentiment"):
        return AnswerCard(plan.question, "not_available", "feedback",
                          "Feedback search needs the published table nlp.feedback_sentiment, which is not in the "
                          "published copy (staging feedback is never published), so I cannot say what customers "
                          "write.", filters=understood, confidence=0.9, suggestions=engine.suggestions(),
                          plan=plan.to_dict())
    index = engine.feedback_index()
    if not len(index.ids):  # nothing to search: say so, never "no feedback mentions X" as if there were some
        return AnswerCard(plan.question, "not_available", "feedback",
                          "No customer feedback is published (no reviews or support messages were loaded), so I cannot "
                          "say what customers write.", filters=understood, confidence=0.9,
                          suggestions=engine.suggestions(), plan=plan.to_dict())
    topic = re.sub(r"\b(what|do|does|did|customers?|people|users|clients|say|says|saying|said|about|think|of|"
                   r"the|a|an|complain\w*|complaints?|feedback|reviews?|on|mention\w*|are|is|opinions?|comments?|"
                   r"regarding|in|for|with|their|our|show|me|unhappy|happy)\b", " ", plan.text)
    topic = re.sub(r"\s+", " ", topic).strip() or plan.text
    mask = None
    category = plan.filters.get("category")
    if category and "category" in index.extra:
        mask = np.asarray(index.extra["category"], dtype=object) == category
    if re.search(r"\b(complain\w*|unhappy|negative|problems?|issues?|angry|disappointed)\b", plan.text) \
            and "sentiment_label" in index.extra:
        neg = np.char.startswith(np.char.lower(np.asarray(index.extra["sentiment_label"], dtype=str)), "neg")
        mask = neg if mask is None else (mask & neg)
        understood = understood + ["sentiment = negative"]
    encoder = engine.encoder if engine.use_embeddings and index.embeddings is not None else None
    hits, relevant = index.search(topic, k=5, encoder=encoder, mask=mask)
    total = int(len(relevant))
    if not hits:
        return AnswerCard(plan.question, "answered", "feedback", f"No feedback mentions '{topic}'.", value=0,
                          filters=understood + [f"topic = {topic}"], confidence=0.8, plan=plan.to_dict())
    ids = [index.ids[h.doc] for h in hits]
    query = engine.templates.feedback_rows(ids)
    rows, cols = engine.run(query)
    order = {fid: i for i, fid in enumerate(ids)}
    rows.sort(key=lambda r: order.get(str(r[0]), 99))
    sentiment = ""
    if "sentiment_label" in index.extra and total:
        labels = np.asarray(index.extra["sentiment_label"], dtype=object)[relevant]
        neg = float(np.char.startswith(np.char.lower(labels.astype(str)), "neg").mean())
        sentiment = f"; {neg:.0%} of them negative"
    quotes = " | ".join(f"\"{index.texts[h.doc][:120]}\"" for h in hits[:3])
    answer = f"{total:,} feedback texts match '{topic}'{sentiment}. Closest: {quotes}"
    card = engine.card(plan, answer, total, rows, cols, query, {"type": "none"})
    card.filters = understood + [f"topic = {topic}"]
    return card


def cohort(engine: "Engine", plan: Plan) -> "AnswerCard":
    """The customers whose first order fell in one period, and how many (what share) of them came back."""
    periods, how = plan.periods_obj, plan.cohort
    if not periods or not how:  # a plan saved without its cohort (a follow-up of another kind)
        return engine.not_understood(plan, "the cohort (customers whose first order fell in a period) was not said")
    first, window = periods[0], (periods[1] if len(periods) > 1 else None)
    query = engine.templates.cohort_returns(first, window, how["min_orders"], how["after_first"])
    rows, cols = engine.run(query)
    part, whole, share = rows[0]
    did = ("ordered again" if how["after_first"] else
           f"placed {how['min_orders']} or more orders" if how["min_orders"] > 1 else "ordered")
    when = f" in {window.label}" if window else ""
    fmt = engine.fmt
    answer = (f"Of the {fmt(whole, 'int')} customers whose first order fell in {first.label}, {fmt(part, 'int')} "
              f"({fmt(share, 'share')}) {did}{when}.")
    return engine.card(plan, answer, share if how["share"] else part, rows, cols, query,
                       {"type": "pie", "x": "part", "y": "customers"})


HANDLERS = {"cohort": cohort, "define": define, "feedback": feedback, "profile": customer, "why_risk": customer,
            "trend": trend, "compare": compare, "share": share, "top": ranking, "bottom": ranking, "count": scalar,
            "sum": scalar, "average": scalar}


def _asks_per_group(plan: Plan) -> bool:
    """A total that names a grouping it does not filter on ("churn risk bands by number of customers", "orders on each
    weekday"): one row per group, never the grand total."""
    dims = [d for d in plan.dims if d in ("country", "city", "category", "segment", "risk_band", "gender", "persona",
                                          "weekday", "hour")]
    return bool(dims) and not plan.ids and dims[0] not in plan.filters and dims[0] not in plan.exclude \
        and plan.metric not in ("countries",)


def _outside_the_data(engine: "Engine", plan: Plan) -> str | None:
    """The label of a period the published data holds no day of (before its first order, after its last)."""
    from datetime import date

    first, last = engine.gaz.first_date, engine.gaz.as_of
    if not first or not last:
        return None
    first_day, last_day = date.fromisoformat(str(first)[:10]), date.fromisoformat(str(last)[:10])
    for p in plan.periods_obj or ([plan.period_obj] if plan.period_obj else []):
        if p.end <= first_day or p.start > last_day:
            return p.label
    return None


def handle(engine: "Engine", plan: Plan) -> "AnswerCard":
    outside = _outside_the_data(engine, plan) if plan.intent not in ("define", "feedback", "profile", "why_risk") else None
    if outside:
        raise NotAvailable(f"the published data has no orders in {outside} (it covers {engine.gaz.first_date} to "
                           f"{engine.gaz.as_of})")
    if plan.intent in ("count", "sum", "average") and (GROUP_BY.search(plan.text) or _asks_per_group(plan)):
        return grouped(engine, plan)
    return HANDLERS[plan.intent](engine, plan)

"""Parameterised SQL per intent over an allow-list of published tables and columns.

Every statement is assembled from the constant fragments below (metric expressions, dimension
columns, table names); anything that came from the question (a country, a date, a customer id,
N of top-N) is a bound parameter (`?`), never spliced into the text. `check_sql` re-validates each
statement against the allow-list before it runs, and the connection is read-only anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

# table -> columns a template may read
ALLOWED: dict[str, set[str]] = {
    "marts.customer_scores": {"customer_id", "country", "city", "age", "gender", "lifetime_orders", "lifetime_revenue",
                              "first_order_at", "last_order_at", "avg_order_value", "favourite_category", "avg_rating",
                              "review_count", "support_contacts", "recency_days", "frequency", "segment", "is_churned",
                              "rfm_score", "r_score", "f_score", "m_score", "churn_probability", "risk_band", "reasons",
                              "value_12m", "expected_spend_90d", "expected_purchases_90d", "probability_alive",
                              "segment_name", "persona", "order_lines", "returned_lines", "cancelled_lines",
                              "tenure_days", "as_of", "purchase_probability", "propensity_decile", "gross_revenue"},
    "marts.customer_360": set(),  # same columns as customer_scores, minus the scores (checked at run time)
    "marts.daily_kpis": {"order_date", "revenue", "orders", "all_orders", "cancelled_orders", "new_customers",
                         "active_customers", "returned_revenue", "gross_revenue"},
    "marts.weekly_kpis": {"week_start", "revenue", "orders", "all_orders", "cancelled_orders", "new_customers",
                          "active_customers", "returned_revenue", "gross_revenue"},
    "marts.monthly_kpis": {"month_start", "revenue", "orders", "all_orders", "cancelled_orders", "new_customers",
                           "active_customers", "returned_revenue", "gross_revenue"},
    "marts.activity_heatmap": {"weekday", "weekday_name", "hour", "orders", "revenue"},
    "marts.revenue_pareto": {"decile", "top20_revenue_share", "share_of_revenue", "customers", "revenue"},
    "marts.product_affinity": {"product_a", "product_b", "product_a_name", "product_b_name", "product_a_orders",
                               "product_b_orders", "pair_orders", "lift"},
    "marts.product_sales_monthly": {"month_start", "product_id", "product_name", "category", "revenue", "quantity",
                                    "orders", "customers"},
    "marts.product_sales_daily": {"order_date", "product_id", "product_name", "category", "revenue", "quantity", "orders"},
    "marts.product_customer_monthly": {"month_start", "product_id", "customer_id", "orders", "quantity"},
    "marts.product_buyers": {"period_grain", "period_start", "period_key", "product_id", "buyers"},
    "marts.period_customers": {"period_grain", "period_start", "period_key", "country", "orders", "active_months",
                               "customers", "revenue"},
    "marts.customer_periods": {"period_grain", "period_start", "period_key", "customer_id", "country", "orders",
                               "active_months", "revenue", "units"},
    "marts.product_country_monthly": {"month_start", "product_id", "product_name", "country", "revenue", "quantity",
                                      "returned_units", "cancelled_units", "cancelled_lines", "cancelled_orders",
                                      "cancelled_revenue", "orders", "customers"},
    "marts.order_facts": {"order_id", "customer_id", "country", "segment", "favourite_category", "ordered_at",
                          "order_date", "month_start", "is_completed", "is_cancelled", "lines", "cancelled_lines",
                          "returned_lines", "units", "returned_units", "cancelled_units", "gross_revenue",
                          "returned_revenue", "cancelled_revenue", "revenue"},
    "ml.churn_scores": {"customer_id", "churn_probability", "risk_band", "reasons"},
    "nlp.feedback_sentiment": {"feedback_id", "customer_id", "product_id", "category", "channel", "created_at", "rating",
                               "text", "sentiment_label", "sentiment_score", "topic_label", "aspects"},
}
ALLOWED["marts.customer_360"] = ALLOWED["marts.customer_scores"] - {"churn_probability", "risk_band", "reasons",
                                                                     "purchase_probability", "propensity_decile",
                                                                     "value_12m", "expected_spend_90d",
                                                                     "expected_purchases_90d", "probability_alive",
                                                                     "segment_name", "persona", "frequency"}

PRODUCT_MART = "marts.product_sales_monthly"  # needed mart (product x month); used when published
PRODUCT_COUNTRY_MART = "marts.product_country_monthly"  # product x month x customer country
PRODUCT_DAILY_MART = "marts.product_sales_daily"  # product x day: a product's figures over spans not whole months
DAY_MEASURES = ("revenue", "quantity", "orders", "revenue_per_unit", "products")  # what the product x day mart adds up
PRODUCT_CUSTOMER_MART = "marts.product_customer_monthly"  # product x month x customer: distinct buyers, any period
PRODUCT_BUYERS_MART = "marts.product_buyers"  # product x calendar month/quarter/year/all time: distinct buyers
ORDER_MART = "marts.order_facts"               # one row per order: any measure by country/segment over a period
PERIOD_CUSTOMERS_MART = "marts.period_customers"  # calendar period x country x orders: known customers, their money
CUSTOMER_PERIODS_MART = "marts.customer_periods"  # customer x calendar period: their orders, revenue and units


@dataclass
class Metric:
    name: str
    label: str
    customer_expr: str | None          # aggregate over the customer table
    average_expr: str | None = None    # per-customer average
    kpi_expr: str | None = None        # aggregate over daily/weekly/monthly_kpis
    kind: str = "number"               # number | money | share | int
    needs: tuple[str, ...] = ()        # customer-table columns it reads
    additive: bool = True              # can be summed over days
    order_expr: str | None = None      # aggregate over marts.order_facts (any period, by country/segment)
    product_expr: str | None = None    # aggregate over the product x month mart
    product_monthly_only: bool = False  # distinct counts per month: not additive over months


METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("customers", "customers", "count(*)", None, None, "int"),
    Metric("revenue", "revenue", "sum(lifetime_revenue)", "avg(lifetime_revenue)", "sum(revenue)", "money",
           ("lifetime_revenue",)),
    Metric("orders", "orders", "sum(lifetime_orders)", "avg(lifetime_orders)", "sum(orders)", "int", ("lifetime_orders",)),
    Metric("aov", "average order value", "sum(lifetime_revenue) / nullif(sum(lifetime_orders), 0)",
           "sum(lifetime_revenue) / nullif(sum(lifetime_orders), 0)", "sum(revenue) / nullif(sum(orders), 0)", "money",
           ("lifetime_revenue",)),
    Metric("new_customers", "new customers", None, None, "sum(new_customers)", "int"),
    Metric("active_customers", "active customers", None, None, "sum(active_customers)", "int", additive=False),
    Metric("returning_customers", "returning customers", None, None, None, "int", additive=False),
    Metric("cancellation_rate", "cancellation rate", "sum(cancelled_lines) / nullif(sum(order_lines), 0)",
           "sum(cancelled_lines) / nullif(sum(order_lines), 0)",
           "sum(cancelled_orders) / nullif(sum(all_orders), 0)", "share", ("cancelled_lines",)),
    Metric("return_rate", "return rate", "sum(returned_lines) / nullif(sum(order_lines), 0)",
           "sum(returned_lines) / nullif(sum(order_lines), 0)", None, "share", ("returned_lines",)),
    Metric("age", "age", "avg(age)", "avg(age)", None, "number", ("age",)),
    Metric("churn_probability", "churn probability", "avg(churn_probability)", "avg(churn_probability)", None,
           "share", ("churn_probability",)),
    Metric("purchase_probability", "purchase probability", "avg(purchase_probability)", "avg(purchase_probability)",
           None, "share", ("purchase_probability",)),
    Metric("churn_rate", "churn rate", "avg(CASE WHEN is_churned THEN 1.0 WHEN NOT is_churned THEN 0.0 END)",
           "avg(CASE WHEN is_churned THEN 1.0 WHEN NOT is_churned THEN 0.0 END)", None, "share", ("is_churned",)),
    Metric("value_12m", "12-month value", "sum(value_12m)", "avg(value_12m)", None, "money", ("value_12m",)),
    Metric("expected_spend_90d", "expected spend in 90 days", "sum(expected_spend_90d)", "avg(expected_spend_90d)",
           None, "money", ("expected_spend_90d",)),
    Metric("rating", "review rating", "avg(avg_rating)", "avg(avg_rating)", None, "number", ("avg_rating",)),
    Metric("recency", "days since last order", "avg(recency_days)", "avg(recency_days)", None, "number",
           ("recency_days",)),
    Metric("gross_revenue", "gross revenue (before returns)", "sum(gross_revenue)", "avg(gross_revenue)",
           "sum(gross_revenue)", "money", ("gross_revenue",)),
    Metric("quantity", "units sold", None, None, None, "int"),
    Metric("products", "products", None, None, None, "int"),
    Metric("countries", "countries", "count(DISTINCT country)", None, None, "int", ("country",)),
    Metric("cancelled_orders", "cancelled orders", None, None, "sum(cancelled_orders)", "int"),
    Metric("cancelled_lines", "cancelled order lines", "sum(cancelled_lines)", "avg(cancelled_lines)", None, "int",
           ("cancelled_lines",)),
    Metric("returned_lines", "returned order lines", "sum(returned_lines)", "avg(returned_lines)", None, "int",
           ("returned_lines",)),
    Metric("returned_units", "units returned", None, None, None, "int"),
    Metric("cancelled_units", "units cancelled", None, None, None, "int"),
    Metric("units_per_order", "units per order", None, None, None, "number"),
    Metric("revenue_per_unit", "revenue per unit sold", None, None, None, "money"),
    Metric("order_lines", "completed order lines", None, None, None, "int"),
    Metric("orders_with_returns", "orders with a returned line", None, None, None, "int"),
    Metric("first_order_date", "first order date", "min(first_order_at)", None, None, "date", ("first_order_at",)),
    Metric("last_order_date", "last order date", "max(last_order_at)", None, None, "date", ("last_order_at",)),
    Metric("lines_per_order", "completed lines per order", None, None, None, "number"),
    Metric("cancelled_line_share", "share of order lines cancelled", None, None, None, "share"),
    Metric("cancelled_per_completed", "cancelled orders per completed order", None, None, None, "share"),
    Metric("trading_days", "days with orders", None, None, None, "int"),
    Metric("cancelling_customers", "customers with a cancelled order", None, None, None, "int"),
    Metric("median_order_value", "median order value", None, None, None, "money"),
    Metric("largest_order", "largest single order", None, None, None, "money"),
    Metric("cancelled_revenue", "value of cancelled lines", None, None, None, "money"),
    Metric("returned_revenue", "returned revenue", None, None, "sum(returned_revenue)", "money"),
]}
ORDER_EXPR = {
    "revenue": "sum(revenue)", "orders": "count(*) FILTER (WHERE is_completed)",
    "customers": "count(DISTINCT customer_id) FILTER (WHERE is_completed)",
    "active_customers": "count(DISTINCT customer_id) FILTER (WHERE is_completed)",
    "aov": "sum(revenue) / nullif(count(*) FILTER (WHERE is_completed), 0)",
    "cancellation_rate": "count(*) FILTER (WHERE is_cancelled) / nullif(count(*), 0)",
    "quantity": "sum(units)", "cancelled_orders": "count(*) FILTER (WHERE is_cancelled)",
    "cancelled_lines": "sum(cancelled_lines)", "returned_lines": "sum(returned_lines)",
    "returned_units": "sum(returned_units)", "returned_revenue": "sum(returned_revenue)",
    "cancelled_units": "sum(cancelled_units)", "countries": "count(DISTINCT country) FILTER (WHERE is_completed)",
    "median_order_value": "median(revenue) FILTER (WHERE is_completed)",
    "cancelling_customers": "count(DISTINCT customer_id) FILTER (WHERE is_cancelled)",
    "cancelled_revenue": "sum(cancelled_revenue)",
    "revenue_per_unit": "sum(revenue) / nullif(sum(units), 0)",
    "order_lines": "sum(lines - cancelled_lines - returned_lines)",
    "orders_with_returns": "count(*) FILTER (WHERE returned_lines > 0)",
    "units_per_order": "sum(units) / nullif(count(*) FILTER (WHERE is_completed), 0)",  # net units / orders
    "cancelled_line_share": "sum(cancelled_lines) / nullif(sum(lines), 0)",
    "cancelled_per_completed": "count(*) FILTER (WHERE is_cancelled) / nullif(count(*) FILTER (WHERE is_completed), 0)",
    "trading_days": "count(DISTINCT order_date) FILTER (WHERE is_completed)",
    "lines_per_order": "sum(lines - cancelled_lines - returned_lines) FILTER (WHERE is_completed) "
                       "/ nullif(count(*) FILTER (WHERE is_completed), 0)",
    "largest_order": "max(revenue) FILTER (WHERE is_completed)",
    "gross_revenue": "sum(gross_revenue)",
}
PRODUCT_EXPR = {"revenue": "sum(revenue)", "quantity": "sum(quantity)", "orders": "sum(orders)",
                "returned_units": "sum(returned_units)", "cancelled_units": "sum(cancelled_units)",
                "revenue_per_unit": "sum(revenue) / nullif(sum(quantity), 0)",
                "customers": "sum(customers)", "products": "count(DISTINCT product_id) FILTER (WHERE orders > 0)",
                "cancelled_lines": "sum(cancelled_lines)", "cancelled_orders": "sum(cancelled_orders)",
                "cancelled_revenue": "sum(cancelled_revenue)"}
for _name, _metric in METRICS.items():
    _metric.order_expr = ORDER_EXPR.get(_name)
    _metric.product_expr = PRODUCT_EXPR.get(_name)
METRICS["customers"].product_monthly_only = True
# order_facts columns a filter kind reads (the customer's current attributes)
ORDER_DIMS = {"country": "country", "segment": "segment", "category": "favourite_category", "customer": "customer_id"}
# filters of the order facts alone
ORDER_ONLY_FILTERS = ("anonymous", "order_value", "order_lines", "order_units", "weekday", "hour", "new_in_period")
ORDERS_CONDITION_OPS = {"=": "=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}
NONE_SINCE = "<|none"  # a last order before a day, or none at all ("customers who did not order in 2011")
CUSTOMER_CONDITION_COLUMNS = ("churn_probability", "lifetime_revenue", "recency_days", "last_order_at", "lifetime_orders")

# metric -> the customer table's own column, for rankings of single customers
ROW_EXPR = {"revenue": "lifetime_revenue", "orders": "lifetime_orders", "aov": "avg_order_value",
            "value_12m": "value_12m", "age": "age", "churn_probability": "churn_probability", "rating": "avg_rating",
            "recency": "recency_days", "expected_spend_90d": "expected_spend_90d", "return_rate": "return_rate",
            "cancellation_rate": "cancel_rate", "purchase_probability": "purchase_probability"}
ALLOWED["marts.customer_scores"] |= {"return_rate", "cancel_rate"}
ALLOWED["marts.customer_360"] |= {"return_rate", "cancel_rate"}

# dimension -> column of the customer table
CUSTOMER_DIMS = {"country": "country", "city": "city", "category": "favourite_category", "segment": "segment",
                 "persona": "segment_name", "risk_band": "risk_band", "gender": "gender", "customer": "customer_id"}
DIM_LABEL = {"country": "country", "city": "city", "category": "favourite category", "segment": "RFM segment",
             "persona": "customer segment", "risk_band": "risk band", "gender": "gender", "customer": "customer",
             "month": "month", "week": "week", "weekday": "weekday", "hour": "hour", "product": "product",
             "product_code": "product code"}


@dataclass
class Query:
    sql: str
    params: list = field(default_factory=list)
    table: str = ""


class NotAvailable(Exception):
    """The question needs a table or column that is not published (the message says which)."""


_SQL_WORDS = set("""select from where group by order limit and or not in is null nulls last first desc asc case when
then else end as filter distinct with union all between true false cast date double integer varchar count sum avg
intersect except both_
min max any_value arg_max nullif coalesce date_trunc round abs dayname isodow hour median having left join on
row_number over ceil bigint""".split())


def check_sql(sql: str) -> None:
    """One read-only statement over allow-listed tables that reads only allow-listed columns."""
    if ";" in sql:
        raise ValueError("one statement only")
    if not re.match(r"^\s*(SELECT|WITH)\b", sql, re.IGNORECASE):
        raise ValueError("only SELECT statements run")
    banned = re.search(r"\b(INSERT|UPDATE|DELETE|DROP|ALTER|CREATE|ATTACH|DETACH|COPY|PRAGMA|INSTALL|LOAD|EXPORT|"
                       r"IMPORT|CALL|SET|CHECKPOINT|read_csv\w*|read_parquet|read_json\w*|glob)\b", sql, re.IGNORECASE)
    if banned:
        raise ValueError(f"statement uses {banned.group(0)}")
    tables = re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+\.[a-z_0-9]+)", sql, re.IGNORECASE)
    for table in tables:
        if table not in ALLOWED:
            raise ValueError(f"table {table} is not allow-listed")
    columns = set().union(*(ALLOWED[t] for t in tables)) if tables else set()
    body = re.sub(r"'[^']*'", " ", sql)                        # string literals
    body = re.sub(r"\b[a-z_]+\.[a-z_0-9]+\b", " ", body, flags=re.IGNORECASE)  # schema.table
    named = set(re.findall(r"\bAS\s+([a-z_][a-z_0-9]*)", body, re.IGNORECASE))  # aliases and CTE names
    named |= set(re.findall(r"\bWITH\s+([a-z_][a-z_0-9]*)\s+AS\b", body, re.IGNORECASE))
    for word in re.findall(r"\b([a-z_][a-z_0-9]*)\b", body, re.IGNORECASE):
        low = word.lower()
        if low in _SQL_WORDS or word in named or low in columns:
            continue
        raise ValueError(f"column {word} is not allow-listed")


PRODUCT_COLUMNS = {"product": "product_name", "product_code": "product_id", "category": "category"}
# a kind a mart does not hold is read through another table: (the mart's key, "SELECT key FROM table WHERE column")
PRODUCTS_OF_CATEGORY = ("product_id", f"SELECT product_id FROM {PRODUCT_MART} WHERE category")
PRODUCT_COUNTRY_COLUMNS = {"product": "product_name", "product_code": "product_id", "country": "country",
                           "category": PRODUCTS_OF_CATEGORY}
PRODUCT_CUSTOMER_COLUMNS = {"product": "product_name", "product_code": "product_id",  # a name becomes its code
                            "category": PRODUCTS_OF_CATEGORY,
                            "country": ("customer_id", "SELECT customer_id FROM marts.customer_360 WHERE country")}
# product measures only the product x country mart keeps
COUNTRY_MART_ONLY = ("returned_units", "cancelled_units", "cancelled_lines", "cancelled_orders", "cancelled_revenue")
BUYER_AVERAGES = ("revenue", "orders", "gross_revenue")
PER_PERIOD_TOTALS = {"revenue": "sum(revenue)", "orders": "sum(orders * customers)"}  # known customers', per period
PERIOD_BUYERS = "sum(customers) FILTER (WHERE orders > 0)"  # period_customers: those with a completed order
SCORED = {"scored": "risk_band", "rfm_scored": "segment"}  # "scored customers": those the churn model / RFM covers


def _whole_quarters(period) -> bool:
    """Whether the period starts and ends on calendar quarters (a quarter, a half, a year)."""
    return period is not None and all(d.day == 1 and d.month in (1, 4, 7, 10) for d in (period.start, period.end))


def _calendar_key(period) -> str | None:
    """The period_key of the marts rolled up per calendar period: all time, or one whole month, quarter or year."""
    return "all " if period is None else period.calendar_key


def _equal_and_excluded(columns: dict[str, str], filters: dict, exclude: dict | None, what: str) -> tuple[list, list]:
    """`col = ?` per filter and `col NOT IN (...)` per exclusion (unknown values leave the rows out too)."""
    clauses, params = [], []
    for kind, value in filters.items():
        if kind not in columns:
            raise NotAvailable(f"{what} are not kept by {DIM_LABEL.get(kind, kind)}")
        if isinstance(columns[kind], tuple):  # read through another table ("German buyers of a product")
            key, select = columns[kind]
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            clauses.append(f"{key} IN ({select} IN ({', '.join('?' for _ in values)}))")
            params += values
        elif isinstance(value, (list, tuple)):  # "either Hibernating or Lost"
            clauses.append(f"{columns[kind]} IN ({', '.join('?' for _ in value)})")
            params += list(value)
        elif kind == "product" and columns.get("product") == "product_name":  # a name: the code that sells most under it
            clauses.append(f"product_id = (SELECT product_id FROM {PRODUCT_MART} WHERE product_name = ? "
                           "GROUP BY product_id ORDER BY sum(orders) DESC, product_id LIMIT 1)")
            params.append(value)
        else:
            clauses.append(f"{columns[kind]} = ?")
            params.append(value)
    for kind, values in (exclude or {}).items():
        if kind not in columns:
            raise NotAvailable(f"{what} cannot leave out a {DIM_LABEL.get(kind, kind)}")
        if isinstance(columns[kind], tuple):
            key, select = columns[kind]
            clauses.append(f"{key} NOT IN ({select} IN ({', '.join('?' for _ in values)}))")
            params += list(values)
            continue
        clauses.append(f"{columns[kind]} IS NOT NULL AND {columns[kind]} NOT IN ({', '.join('?' for _ in values)})")
        params += list(values)
    return clauses, params


class Templates:
    """Builds the SQL for a plan, given which tables are published (`tables`: name -> columns)."""

    def __init__(self, tables: dict[str, list[str]], last_day: date | None = None):
        self.tables = tables
        self.last_day = last_day  # the data's last day: a span running to it covers its month as far as data goes
        self.customer_table = ("marts.customer_scores" if "marts.customer_scores" in tables else
                               "marts.customer_360" if "marts.customer_360" in tables else None)

    # ---------------------------------------------------------------- helpers
    def _has(self, table: str, column: str | None = None) -> bool:
        return table in self.tables and (column is None or column in self.tables[table])

    def _customer_cols(self) -> set[str]:
        return set(self.tables.get(self.customer_table, [])) if self.customer_table else set()

    def require_customer(self, columns: list[str]) -> str:
        if not self.customer_table:
            raise NotAvailable("no customer table (marts.customer_360 / marts.customer_scores) is published")
        missing = [c for c in columns if c not in self._customer_cols()]
        if missing:
            raise NotAvailable(f"column(s) {', '.join(missing)} are not in the published {self.customer_table}")
        return self.customer_table

    def where(self, filters: dict[str, object], period=None, period_column: str | None = None,
              exclude: dict | None = None, orders_condition: list | None = None) -> tuple[str, list]:
        """WHERE over the customer table: filters, exclusions, a condition on lifetime orders, a period."""
        clauses, params = [], []
        for kind, value in filters.items():
            if kind == "churned":
                self.require_customer(["is_churned"])
                clauses.append("is_churned" if value else "NOT is_churned")
            elif kind == "customer_condition":  # "churn probability above 0.8": each a column of the customer table
                for column, op, number in value:
                    if column not in CUSTOMER_CONDITION_COLUMNS:  # spend in a period: only a count of customers
                        raise NotAvailable("a condition on spend in a period is answered for a count of customers only")
                    self.require_customer([column])
                    if op == NONE_SINCE:  # "customers who did not order in 2011": a last order before it, or none
                        clauses.append(f"({column} < ? OR {column} IS NULL)")
                    else:
                        clauses.append(f"{column} {ORDERS_CONDITION_OPS[op]} ?")
                    params.append(date.fromisoformat(number) if column == "last_order_at" else float(number))
            elif kind in SCORED:  # the customers a model or the RFM scoring covers
                self.require_customer([SCORED[kind]])
                clauses.append(f"{SCORED[kind]} IS NOT NULL")
            elif kind in CUSTOMER_DIMS:
                col = CUSTOMER_DIMS[kind]
                self.require_customer([col])
                if isinstance(value, (list, tuple)):
                    clauses.append(f"{col} IN ({', '.join('?' for _ in value)})")
                    params += list(value)
                else:
                    clauses.append(f"{col} = ?")
                    params.append(value)
            else:
                raise NotAvailable(f"the customer marts cannot be filtered by {DIM_LABEL.get(kind, kind)}")
        for kind, values in (exclude or {}).items():
            if kind not in CUSTOMER_DIMS:
                raise NotAvailable(f"the customer marts cannot leave out a {DIM_LABEL.get(kind, kind)}")
            col = CUSTOMER_DIMS[kind]
            self.require_customer([col])
            clauses.append(f"{col} NOT IN ({', '.join('?' for _ in values)})")
            params += list(values)
        if orders_condition:
            op, n = orders_condition
            self.require_customer(["lifetime_orders"])
            clauses.append(f"lifetime_orders {ORDERS_CONDITION_OPS[op]} ?")
            params.append(int(n))
        if period is not None and period_column:
            self.require_customer([period_column])
            clauses.append(f"{period_column} >= ? AND {period_column} < ?")
            params += [period.start, period.end]
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    # ---------------------------------------------------------------- order-level facts (any period, by country...)
    def _order_where(self, filters: dict, exclude: dict | None, period) -> tuple[str, list]:
        if not self._has(ORDER_MART):
            raise NotAvailable(f"{ORDER_MART} (one row per order) is not published; rebuild the marts")
        native = set(ORDER_DIMS) | set(ORDER_ONLY_FILTERS)
        by_customer = {k: v for k, v in filters.items() if k not in native}
        not_customer = {k: v for k, v in (exclude or {}).items() if k not in native}
        clauses, params = _equal_and_excluded(ORDER_DIMS, {k: v for k, v in filters.items() if k in ORDER_DIMS},
                                              {k: v for k, v in (exclude or {}).items() if k in native},
                                              "orders in a published mart")
        for kind, value in filters.items():
            if kind in ORDER_ONLY_FILTERS:
                clause, more = self._order_only_filter(kind, value, period)
                clauses.append(clause)
                params += more
        if by_customer or not_customer:  # a customer attribute the order facts do not carry (risk band, churned...)
            where, more = self.where(by_customer, exclude=not_customer)
            clauses.append(f"customer_id IN (SELECT customer_id FROM {self.require_customer([])}{where})")
            params += more
        if period is not None:
            clauses.append("order_date >= ? AND order_date < ?")
            params += [period.start, period.end]
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _order_only_filter(self, kind: str, value, period) -> tuple[str, list]:
        """The clause of a filter only the order facts can apply (guests, order value, weekday, hour, new customers)."""
        if kind == "anonymous":  # orders placed without a customer id
            return ("customer_id IS NULL" if value else "customer_id IS NOT NULL"), []
        if kind == "order_value":  # completed orders over / under a net value
            op = ORDERS_CONDITION_OPS[value[0]]  # never another operator than the one read
            return f"is_completed AND revenue {op} ?", [float(value[1])]
        if kind == "order_lines":  # completed orders with more (fewer) lines than a number
            op = ORDERS_CONDITION_OPS[value[0]]
            return f"is_completed AND lines - cancelled_lines - returned_lines {op} ?", [int(value[1])]
        if kind == "order_units":  # completed orders with more (fewer) units on their completed lines than a number
            op = ORDERS_CONDITION_OPS[value[0]]  # (units are net of the order's returned lines: those added back)
            return f"is_completed AND units + returned_units {op} ?", [int(value[1])]
        if kind == "weekday":  # orders placed on a Friday, at weekends
            days = list(value) if isinstance(value, (list, tuple)) else [value]
            return f"dayname(order_date) IN ({', '.join('?' for _ in days)})", days
        if kind == "hour":  # orders placed from the first hour of the day to before the second
            return "hour(ordered_at) >= ? AND hour(ordered_at) < ?", [int(value[0]), int(value[1])]
        # new_in_period: the customers whose first completed order falls in the period
        if period is None:
            raise NotAvailable("new customers are new in a period; name one (e.g. 'in November 2011')")
        table = self.require_customer(["first_order_at"])
        return (f"customer_id IN (SELECT customer_id FROM {table} WHERE first_order_at >= ? AND first_order_at < ?)",
                [period.start, period.end])

    def _order_expr(self, metric: Metric) -> str:
        if metric.order_expr is None:
            raise NotAvailable(f"{metric.label} is not kept per order")
        return metric.order_expr

    def order_total(self, metric: Metric, filters: dict, exclude: dict | None, period) -> Query:
        rolled_up = self._period_customers_where(filters, exclude, period)
        if rolled_up and metric.name in ("customers", "active_customers"):  # who bought: counted once per period
            return Query(f"SELECT {PERIOD_BUYERS} AS value FROM {PERIOD_CUSTOMERS_MART}{rolled_up[0]}", rolled_up[1],
                         PERIOD_CUSTOMERS_MART)
        expr = self._order_expr(metric)
        where, params = self._order_where(filters, exclude, period)
        return Query(f"SELECT {expr} AS value FROM {ORDER_MART}{where}", params, ORDER_MART)

    def top_customers_share(self, metric: Metric, n: int | None, filters: dict, exclude: dict | None, period,
                            percent: float | None = None, known_only: bool = False) -> Query:
        """The share of a period's total that its top n customers brought ("share of 2011 revenue from our top 10
        customers"), or its top `percent`% of the customers who ordered in it, the first ceil(percent% of them) as
        `marts.revenue_pareto` counts its top 20%: the whole is every order of the period, guests included unless
        `known_only`."""
        expr = self._order_expr(metric)
        where, params = self._order_where({**filters, "anonymous": False} if known_only else filters, exclude, period)
        column = {"revenue": "revenue", "orders": "orders", "quantity": "units"}.get(metric.name)
        rolled_up = self._period_customers_where(filters, exclude, period)
        if rolled_up and column and self._has(CUSTOMER_PERIODS_MART, column):  # a whole calendar period: one row each
            per_customer, per_params = f"SELECT {column} AS v FROM {CUSTOMER_PERIODS_MART}{rolled_up[0]}", rolled_up[1]
        else:
            known = (where + " AND " if where else " WHERE ") + "customer_id IS NOT NULL"
            per_customer, per_params = f"SELECT {expr} AS v FROM {ORDER_MART}{known} GROUP BY customer_id", params
        how_many = ("(SELECT CAST(ceil(? / 100.0 * count(*)) AS BIGINT) FROM per_customer)" if percent is not None
                    else "?")
        return Query(f"WITH per_customer AS ({per_customer}) SELECT p.part AS part, w.whole AS whole, "
                     f"p.part / nullif(w.whole, 0) AS value FROM (SELECT sum(v) AS part FROM (SELECT v FROM per_customer "
                     f"ORDER BY v DESC LIMIT {how_many}) AS top_n) AS p, (SELECT {expr} AS whole FROM {ORDER_MART}{where}) AS w",
                     per_params + [percent if percent is not None else n] + params, ORDER_MART)

    def days_by_orders(self, filters: dict, exclude: dict | None, period, op: str, n: float,
                       measure: str = "orders") -> Query:
        """The days whose orders (completed, dated by their first line) number more (fewer) than n, or whose net
        revenue is above (below) n."""
        op = op if op in ("<", "<=", ">", ">=", "=") else ">"
        where, params = self._order_where(filters, exclude, period)
        per_day = "sum(revenue)" if measure == "revenue" else "count(*) FILTER (WHERE is_completed)"
        return Query(f"SELECT count(*) AS value FROM (SELECT order_date, {per_day} AS per_day "
                     f"FROM {ORDER_MART}{where} GROUP BY order_date) AS days WHERE per_day {op} ?", params + [n], ORDER_MART)

    def customers_in_every_period(self, filters: dict, exclude: dict | None, period, grain: str = "month",
                                  at_least: int | None = None) -> Query:
        """Customers with a completed order in every month (quarter) of the period that has orders at all, or in
        `at_least` of its months (from the calendar period rollup when the period is one and it holds the months'
        count, else per customer over the orders)."""
        rolled_up = self._period_customers_where(filters, exclude, period) if grain == "month" else None
        if rolled_up and self._has(PERIOD_CUSTOMERS_MART, "active_months") and period is not None:
            where, params = rolled_up
            if at_least is not None:
                return Query(f"SELECT coalesce(sum(customers), 0) AS value FROM {PERIOD_CUSTOMERS_MART}{where} AND "
                             "active_months >= ?", params + [at_least], PERIOD_CUSTOMERS_MART)
            return Query(f"SELECT coalesce(sum(customers), 0) AS value FROM {PERIOD_CUSTOMERS_MART}{where} AND "
                         f"active_months = (SELECT count(DISTINCT date_trunc('month', order_date)) FROM marts.daily_kpis "
                         f"WHERE order_date >= ? AND order_date < ? AND orders > 0)",
                         params + [period.start, period.end], PERIOD_CUSTOMERS_MART)
        if grain == "quarter" and at_least is None and _whole_quarters(period) and self._has(CUSTOMER_PERIODS_MART) \
                and self._has("marts.daily_kpis") and set(filters) | set(exclude or {}) <= {"country"}:
            # one row per customer and calendar quarter: their quarters counted against the period's quarters with orders
            clauses, params = _equal_and_excluded({"country": "country"}, filters, exclude, "customers per quarter")
            where = " AND ".join(["period_grain = 'quarter'", "period_start >= ?", "period_start < ?", "orders > 0",
                                  *clauses])
            return Query(f"SELECT count(*) AS value FROM (SELECT customer_id FROM {CUSTOMER_PERIODS_MART} WHERE {where} "
                         f"GROUP BY customer_id HAVING count(*) = (SELECT count(DISTINCT date_trunc('quarter', order_date)) "
                         f"FROM marts.daily_kpis WHERE order_date >= ? AND order_date < ? AND orders > 0)) AS in_every_period",
                         [period.start, period.end, *params, period.start, period.end], CUSTOMER_PERIODS_MART)
        where, params = self._order_where(filters, exclude, period)
        every, every_params = self._order_where({}, None, period)
        buckets = f"count(DISTINCT date_trunc('{'quarter' if grain == 'quarter' else 'month'}', order_date))"
        wanted, wanted_params = (("?", [at_least]) if at_least is not None else
                                 (f"(SELECT {buckets} FROM {ORDER_MART}{every})", every_params))
        return Query(f"SELECT count(*) AS value FROM (SELECT customer_id FROM {ORDER_MART}{where} AND is_completed AND "
                     f"customer_id IS NOT NULL GROUP BY customer_id HAVING {buckets} {'>=' if at_least else '='} "
                     f"{wanted}) AS in_every_period", params + wanted_params, ORDER_MART)

    def share_from_customers_with_orders(self, metric: Metric, filters: dict, exclude: dict | None, period,
                                         condition: list) -> Query:
        """The share of a period's revenue (orders, units) from the customers whose number of orders in it meets the
        condition ("what % of 2011 revenue came from repeat customers"); the whole is every order, guests too."""
        op, n = condition
        rolled_up = self._period_customers_where(filters, exclude, period)
        if rolled_up and metric.name in ("revenue", "orders") and self._has("marts.daily_kpis"):
            where, params = rolled_up  # a whole calendar period: customers are already counted by their orders in it
            part = {"revenue": "sum(revenue)", "orders": "sum(orders * customers)"}[metric.name]
            whole_where, whole_params = (" WHERE order_date >= ? AND order_date < ?", [period.start, period.end]) \
                if period is not None else ("", [])
            whole = (f"SELECT sum({metric.name}) AS whole FROM marts.daily_kpis{whole_where}" if not filters and not exclude
                     else f"SELECT {part} AS whole FROM {PERIOD_CUSTOMERS_MART}{where}")  # a country's: known customers
            whole_params = whole_params if not filters and not exclude else params
            return Query(f"SELECT p.part AS part, w.whole AS whole, p.part / nullif(w.whole, 0) AS value FROM "
                         f"(SELECT {part} AS part FROM {PERIOD_CUSTOMERS_MART}{where} AND orders {ORDERS_CONDITION_OPS[op]} ?)"
                         f" AS p, ({whole}) AS w", params + [int(n)] + whole_params, PERIOD_CUSTOMERS_MART)
        expr = self._order_expr(metric)
        where, params = self._order_where(filters, exclude, period)
        buyers = (f"SELECT customer_id FROM {ORDER_MART}{where} AND customer_id IS NOT NULL GROUP BY customer_id "
                  f"HAVING count(*) FILTER (WHERE is_completed) {ORDERS_CONDITION_OPS[op]} ?")
        return Query(f"SELECT p.part AS part, w.whole AS whole, p.part / nullif(w.whole, 0) AS value FROM "
                     f"(SELECT {expr} AS part FROM {ORDER_MART}{where} AND customer_id IN ({buyers})) AS p, "
                     f"(SELECT {expr} AS whole FROM {ORDER_MART}{where}) AS w",
                     params + params + [int(n)] + params, ORDER_MART)

    @staticmethod
    def ratio(part: Query, whole: Query) -> Query:
        """part / whole of two one-row queries whose first column is `value`: (part, whole, value)."""
        return Query(f"SELECT p.value AS part, w.value AS whole, p.value / nullif(w.value, 0) AS value FROM "
                     f"({part.sql}) AS p, ({whole.sql}) AS w", part.params + whole.params, part.table)

    def order_per_day(self, metric: Metric, filters: dict, exclude: dict | None, period) -> Query:
        """A day's total averaged over the days of the period with an order ("average orders per day in November")."""
        expr = self._order_expr(metric)
        where, params = self._order_where(filters, exclude, period)
        return Query(f"SELECT avg(day_value) AS value, count(*) AS days FROM (SELECT order_date, {expr} AS day_value "
                     f"FROM {ORDER_MART}{where} GROUP BY order_date) AS each_day", params, ORDER_MART)

    def order_customer_average(self, metric: Metric, filters: dict, exclude: dict | None, period) -> Query:
        """Revenue (orders) per customer over a period: the identified customers' total / those who bought in it."""
        total = {"revenue": "sum(revenue) FILTER (WHERE customer_id IS NOT NULL)",
                 "orders": "count(*) FILTER (WHERE is_completed AND customer_id IS NOT NULL)",
                 "quantity": "sum(units) FILTER (WHERE customer_id IS NOT NULL)"}.get(metric.name)
        if total is None:
            raise NotAvailable(f"{metric.label} per customer is not kept per period")
        rolled_up = self._period_customers_where(filters, exclude, period)
        if rolled_up and metric.name in PER_PERIOD_TOTALS:
            where, params = rolled_up
            total = PER_PERIOD_TOTALS[metric.name]
            return Query(f"SELECT {total} / nullif({PERIOD_BUYERS}, 0) AS value, {PERIOD_BUYERS} AS customers "
                         f"FROM {PERIOD_CUSTOMERS_MART}{where}", params, PERIOD_CUSTOMERS_MART)
        where, params = self._order_where(filters, exclude, period)
        buyers = "count(DISTINCT customer_id) FILTER (WHERE is_completed)"
        return Query(f"SELECT {total} / nullif({buyers}, 0) AS value, {buyers} AS customers FROM {ORDER_MART}{where}",
                     params, ORDER_MART)

    def _period_customers_where(self, filters: dict, exclude: dict | None, period) -> tuple[str, list] | None:
        """WHERE over period_customers when it holds the answer: a whole calendar period (or all time), at most a
        country named or left out (a customer has one country, so countries add up); None otherwise."""
        key = _calendar_key(period)
        if key is None or not self._has(PERIOD_CUSTOMERS_MART) or not set(filters) | set(exclude or {}) <= {"country"}:
            return None
        clauses, params = _equal_and_excluded({"country": "country"}, filters, exclude, "customers per period")
        return " WHERE " + " AND ".join(["period_key = ?", *clauses]), [key, *params]

    def customers_by_orders_in_period(self, filters: dict, exclude: dict | None, period, condition: list,
                                      spend: bool = False) -> Query:
        """Customers by their number of completed orders (or their net spend) in a period ("placed more than one
        order in 2011", "spent over 500 in 2011"): only those who bought in it, so a condition that admits buying
        nothing is not answered here, except no order at all (every customer on file but the period's buyers)."""
        op, n = condition
        if op == "=" and float(n) == 0 and not spend and set(filters) | set(exclude or {}) <= {"country"}:
            # "accounts on file with no completed order in 2011": every customer on file but the period's buyers
            table = self.require_customer(["customer_id"])
            where, params = self.where(filters, exclude=exclude)
            bought, bought_params = self._order_where(filters, exclude, period)
            bought = (bought + " AND" if bought else " WHERE") + " is_completed AND customer_id IS NOT NULL"
            return Query(f"SELECT count(*) AS value FROM {table}{where}{' AND' if where else ' WHERE'} customer_id NOT IN "
                         f"(SELECT customer_id FROM {ORDER_MART}{bought})", params + bought_params, table)
        if op in ("<", "<=") or float(n) <= 0:
            raise NotAvailable("customers with little or no buying in a period include those who did not buy in it; "
                               "ask for more than a figure")
        rolled_up = None if spend else self._period_customers_where(filters, exclude, period)
        if rolled_up:  # a whole calendar period: customers are already counted by their number of orders in it
            where, params = rolled_up
            return Query(f"SELECT coalesce(sum(customers), 0) AS value FROM {PERIOD_CUSTOMERS_MART}{where} "
                         f"AND orders {ORDERS_CONDITION_OPS[op]} ?", params + [int(n)], PERIOD_CUSTOMERS_MART)
        where, params = self._order_where(filters, exclude, period)
        where = (where + " AND " if where else " WHERE ") + "customer_id IS NOT NULL"
        having = "sum(revenue)" if spend else "count(*) FILTER (WHERE is_completed)"
        return Query(f"SELECT count(*) AS value FROM (SELECT customer_id FROM {ORDER_MART}{where} GROUP BY customer_id "
                     f"HAVING {having} {ORDERS_CONDITION_OPS[op]} ?) AS buyers", params + [float(n) if spend else int(n)],
                     ORDER_MART)

    def customers_in_both(self, filters: dict, exclude: dict | None, first, second, not_second: bool = False) -> Query:
        """Customers with a completed order in each of two periods ("bought in both 2010 and 2011"), or in the first
        and not the second ("bought in H1 but nothing in H2")."""
        a, a_params = self._order_where(filters, exclude, first)
        b, b_params = self._order_where(filters, exclude, second)
        combine = "EXCEPT" if not_second else "INTERSECT"
        return Query(f"SELECT count(*) AS value FROM (SELECT customer_id FROM {ORDER_MART}{a} AND is_completed AND "
                     f"customer_id IS NOT NULL {combine} SELECT customer_id FROM {ORDER_MART}{b} AND is_completed) AS both_",
                     a_params + b_params, ORDER_MART)

    def cohort_returns(self, first, window, min_orders: int, after_first: bool) -> Query:
        """Of the customers whose first completed order falls in `first`, those with at least `min_orders` completed
        orders in `window` (any time when None; only after their first order when `after_first`): (part, whole,
        value = part / whole)."""
        table = self.require_customer(["first_order_at"])
        if not self._has(ORDER_MART):
            raise NotAvailable(f"{ORDER_MART} (one row per order) is not published; rebuild the marts")
        joined, params = ["o.is_completed"], [min_orders, min_orders]
        if window is not None:
            joined.append("o.order_date >= ? AND o.order_date < ?")
            params += [window.start, window.end]
        if after_first:
            joined.append("o.ordered_at > c.first_order_at")
        return Query(f"SELECT count(*) FILTER (WHERE k >= ?) AS part, count(*) AS whole, count(*) FILTER (WHERE k >= ?) "
                     f"/ nullif(count(*), 0) AS value FROM (SELECT c.customer_id, count(DISTINCT o.order_id) AS k "
                     f"FROM {table} AS c LEFT JOIN {ORDER_MART} AS o ON o.customer_id = c.customer_id AND "
                     f"{' AND '.join(joined)} WHERE c.first_order_at >= ? AND c.first_order_at < ? "
                     f"GROUP BY c.customer_id) AS cohort", params + [first.start, first.end], table)

    def order_compare_periods(self, metric: Metric, periods: list) -> Query:
        """One measure of the order facts per period (distinct buyers do not add up over days)."""
        expr = self._order_expr(metric)
        parts, params = [], []
        for p in periods:
            parts.append(f"SELECT ? AS period, {expr} AS value FROM {ORDER_MART} WHERE order_date >= ? AND order_date < ?")
            params += [p.label, p.start, p.end]
        return Query(" UNION ALL ".join(parts), params, ORDER_MART)

    def new_customer_ranking(self, dim: str, filters: dict, period, n: int, descending: bool,
                             exclude: dict | None = None) -> Query:
        """Customers whose first completed order falls in the period, per country (segment, ...)."""
        col = CUSTOMER_DIMS[dim]
        table = self.require_customer(["first_order_at", col])
        where, params = self.where({k: v for k, v in filters.items() if k != dim}, period, "first_order_at",
                                   exclude=exclude)
        where = (where + " AND " if where else " WHERE ") + f"{col} IS NOT NULL"
        order = "DESC" if descending else "ASC"
        return Query(f"SELECT {col} AS {dim}, count(*) AS value FROM {table}{where} GROUP BY {col} "
                     f"ORDER BY value {order}, {col} LIMIT ?", params + [n], table)

    def returning_customers(self, filters: dict, exclude: dict | None, period) -> Query:
        """Buyers of the period whose first completed order came before it."""
        table = self.require_customer(["first_order_at"])
        where, params = self._order_where(filters, exclude, period)
        return Query(f"SELECT count(DISTINCT customer_id) FILTER (WHERE is_completed) AS value FROM {ORDER_MART}{where} "
                     f"AND customer_id IN (SELECT customer_id FROM {table} WHERE first_order_at < ?)",
                     params + [period.start], ORDER_MART)

    def returning_series(self, grain: str, filters: dict, exclude: dict | None, period) -> Query:
        """Per month (week, ...): the buyers of that month whose first completed order came before it started."""
        table = self.require_customer(["first_order_at"])
        where, params = self._order_where(filters, exclude, period)
        bucket = {"month": "month_start", "day": "order_date"}.get(grain, f"CAST(date_trunc('{grain}', order_date) AS DATE)")
        return Query(f"SELECT {bucket} AS {grain}, count(DISTINCT customer_id) FILTER (WHERE is_completed AND first_at < "
                     f"{bucket}) AS value FROM (SELECT o.*, c.first_order_at AS first_at FROM {ORDER_MART} AS o LEFT JOIN "
                     f"{table} AS c ON o.customer_id = c.customer_id) AS orders_with_firsts{where} GROUP BY 1 ORDER BY 1",
                     params, ORDER_MART)

    def order_series(self, metric: Metric, grain: str, filters: dict, exclude: dict | None, period) -> Query:
        expr = self._order_expr(metric)
        where, params = self._order_where(filters, exclude, period)
        bucket = {"month": "month_start", "day": "order_date"}.get(grain, f"CAST(date_trunc('{grain}', order_date) AS DATE)")
        return Query(f"SELECT {bucket} AS {grain}, {expr} AS value FROM {ORDER_MART}{where} GROUP BY 1 ORDER BY 1",
                     params, ORDER_MART)

    def order_ranking(self, metric: Metric, dim: str, filters: dict, exclude: dict | None, period, n: int,
                      descending: bool, values: list | None = None, group_condition: list | None = None) -> Query:
        expr = self._order_expr(metric)
        if dim not in ORDER_DIMS:
            raise NotAvailable(f"orders are not kept by {DIM_LABEL.get(dim, dim)}")
        col = ORDER_DIMS[dim]
        where, params = self._order_where({k: v for k, v in filters.items() if k != dim}, exclude, period)
        where = (where + " AND " if where else " WHERE ") + f"{col} IS NOT NULL"
        if values:
            where += f" AND {col} IN ({', '.join('?' for _ in values)})"
            params = params + list(values)
        order = "DESC" if descending else "ASC"
        having = ""
        if group_condition:  # "countries with at least 50 orders"
            having = f" HAVING count(*) FILTER (WHERE is_completed) {ORDERS_CONDITION_OPS[group_condition[0]]} ?"
            params = params + [int(group_condition[1])]
        return Query(f"SELECT {col} AS {dim}, {expr} AS value FROM {ORDER_MART}{where} GROUP BY {col}{having} "
                     f"ORDER BY value {order} NULLS LAST, {col} LIMIT ?", params + [n], ORDER_MART)

    def order_share(self, metric: Metric, part: dict, period, part_exclude: dict | None = None,
                    known_only: bool = False) -> Query:
        """part / whole over order_facts: the whole is every order of the period, anonymous ones included unless
        `known_only` ("of known customers' revenue")."""
        whole = {"revenue": "sum(revenue)", "orders": "count(*) FILTER (WHERE is_completed)",
                 "quantity": "sum(units)"}.get(metric.name)
        if whole is None:
            raise NotAvailable(f"a share of {metric.label} does not add up")
        # the part's customers new in the period are new in the whole's period ("of 2011 revenue, from new customers")
        cond, cond_params = self._order_where(part, part_exclude, period if "new_in_period" in part else None)
        cond = cond.replace(" WHERE ", "", 1)
        filtered = {"revenue": f"sum(revenue) FILTER (WHERE {cond})",
                    "orders": f"count(*) FILTER (WHERE is_completed AND {cond})",
                    "quantity": f"sum(units) FILTER (WHERE {cond})"}[metric.name]
        # an exclusion of the part's own kind ("of revenue from customers outside the UK, what % came from Ireland")
        # bounds the whole too: on the part alone it would change nothing
        whole_exclude = {k: v for k, v in (part_exclude or {}).items() if k in part} or None
        where, params = self._order_where({"anonymous": False} if known_only else {}, whole_exclude, period)
        return Query(f"SELECT {filtered} AS part, {whole} AS whole, {filtered} / nullif({whole}, 0) AS value "
                     f"FROM {ORDER_MART}{where}", cond_params + cond_params + params, ORDER_MART)

    def order_period_ranking(self, metric: Metric, grain: str, filters: dict, exclude: dict | None, period, n: int,
                             descending: bool) -> Query:
        q = self.order_series(metric, grain, filters, exclude, period)
        order = "DESC" if descending else "ASC"
        return Query(q.sql.rsplit(" ORDER BY", 1)[0] + f" ORDER BY value {order} NULLS LAST LIMIT ?",
                     q.params + [n], q.table)

    # ---------------------------------------------------------------- products (the product x month mart)
    def _product_mart(self, metric: Metric, filters: dict, exclude: dict | None, period=None) -> str:
        """The product x month mart (product x day for a span that is not whole months), or the product x month x
        country one where a country or a measure needs it, or the product x month x customer one for distinct buyers
        over more than a month."""
        if metric.name == "customers" and self._has(PRODUCT_CUSTOMER_MART) and set(filters) | set(exclude or {}) <= \
                set(PRODUCT_CUSTOMER_COLUMNS):
            return PRODUCT_CUSTOMER_MART
        if "country" in filters or "country" in (exclude or {}) or metric.name in COUNTRY_MART_ONLY:
            if not self._has(PRODUCT_COUNTRY_MART):
                raise NotAvailable(f"{PRODUCT_COUNTRY_MART} (product x month x country) is not published")
            return PRODUCT_COUNTRY_MART
        if period is not None and self._whole_months(period) is None and metric.name in DAY_MEASURES \
                and self._has(PRODUCT_DAILY_MART):
            return PRODUCT_DAILY_MART
        return PRODUCT_MART

    def _whole_months(self, period) -> tuple[date, date] | None:
        """(first month, month after the last) when the period is whole calendar months as far as the data goes (a
        span running to the data's last day, such as year to date, covers its month), else None."""
        end = period.end
        if end.day != 1 and self.last_day is not None and end > self.last_day:
            end = date(self.last_day.year + self.last_day.month // 12, self.last_day.month % 12 + 1, 1)
        return (period.start, end) if period.start.day == 1 and end.day == 1 else None

    def _product_where(self, filters: dict, exclude: dict | None, period,
                       mart: str = PRODUCT_MART) -> tuple[str, list]:
        if not self._has(mart):
            raise NotAvailable(f"{mart} (product x month) is not published")
        columns = {PRODUCT_COUNTRY_MART: PRODUCT_COUNTRY_COLUMNS, PRODUCT_CUSTOMER_MART: PRODUCT_CUSTOMER_COLUMNS}.get(
            mart, PRODUCT_COLUMNS)
        clauses, params = _equal_and_excluded(columns, filters, exclude, "product sales")
        if period is not None and mart == PRODUCT_DAILY_MART:
            clauses.append("order_date >= ? AND order_date < ?")
            params += [period.start, period.end]
        elif period is not None:
            months = self._whole_months(period)
            if months is None:
                raise NotAvailable("product sales are kept by calendar month; ask for whole months")
            clauses.append("month_start >= ? AND month_start < ?")
            params += list(months)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _product_expr(self, metric: Metric, single_month: bool, mart: str = PRODUCT_MART) -> str:
        if mart == PRODUCT_CUSTOMER_MART and metric.name == "customers":
            return "count(DISTINCT customer_id)"
        if metric.product_expr is None:
            raise NotAvailable(f"{metric.label} is not kept per product")
        if metric.product_monthly_only and not single_month:
            raise NotAvailable(f"{metric.label} per product are counted per month; ask for one calendar month")
        return metric.product_expr

    def _distinct_buyers(self, filters: dict, exclude: dict | None, period,
                         per_product: bool) -> tuple[str, str, str, list]:
        """(mart, expression, WHERE, params) for distinct buyers per product: product_buyers for a whole calendar
        period or all time, when each product is counted apart (a ranking by product, or one product named);
        product_customer_monthly (count distinct) otherwise. Buyers of two products do not add up."""
        key = _calendar_key(period)
        one_product = len(filters) == 1 and not exclude and not isinstance(next(iter(filters.values())), (list, tuple))
        by_product_only = set(filters) | set(exclude or {}) <= {"product", "product_code", "category"}  # no customer filter
        if key is not None and self._has(PRODUCT_BUYERS_MART) and (per_product or one_product) and by_product_only:
            where, params = self._product_where(filters, exclude, None, PRODUCT_CUSTOMER_MART)
            where = (where + " AND " if where else " WHERE ") + "period_key = ?"
            return PRODUCT_BUYERS_MART, "sum(buyers)", where, params + [key]
        where, params = self._product_where(filters, exclude, period, PRODUCT_CUSTOMER_MART)
        return PRODUCT_CUSTOMER_MART, "count(DISTINCT customer_id)", where, params

    def product_total(self, metric: Metric, filters: dict, exclude: dict | None, period) -> Query:
        mart = self._product_mart(metric, filters, exclude, period)
        if mart == PRODUCT_CUSTOMER_MART:
            mart, expr, where, params = self._distinct_buyers(filters, exclude, period, per_product=False)
            return Query(f"SELECT {expr} AS value FROM {mart}{where}", params, mart)
        expr = self._product_expr(metric, period is not None and period.is_single_month, mart)
        where, params = self._product_where(filters, exclude, period, mart)
        return Query(f"SELECT {expr} AS value FROM {mart}{where}", params, mart)

    def product_share(self, metric: Metric, filters: dict, period) -> Query:
        """A product's share of all products' revenue (units, orders) over whole months, from one mart."""
        mart = self._product_mart(metric, filters, None, period)
        expr = self._product_expr(metric, period is not None and period.is_single_month, mart)
        where, params = self._product_where(filters, None, period, mart)
        every, every_params = self._product_where({}, None, period, mart)
        whole = f"SELECT {expr} AS whole FROM {mart}{every}"
        if metric.name == "orders":  # an order holds many products: the whole is the period's orders, counted once
            if not self._has("marts.daily_kpis"):
                raise NotAvailable("the share of orders holding a product needs marts.daily_kpis")
            every, every_params = ((" WHERE order_date >= ? AND order_date < ?", [period.start, period.end])
                                   if period is not None else ("", []))
            whole = f"SELECT sum(orders) AS whole FROM marts.daily_kpis{every}"
        return Query(f"SELECT p.part AS part, w.whole AS whole, p.part / nullif(w.whole, 0) AS value FROM "
                     f"(SELECT {expr} AS part FROM {mart}{where}) AS p, ({whole}) AS w", params + every_params, mart)

    def product_series(self, metric: Metric, filters: dict, exclude: dict | None, period, grain: str = "month") -> Query:
        mart = self._product_mart(metric, filters, exclude)
        expr = self._product_expr(metric, grain == "month", mart)  # one value per month, quarter or year
        where, params = self._product_where(filters, exclude, period, mart)
        bucket = f"CAST(date_trunc('{grain}', month_start) AS DATE)" if grain in ("quarter", "year") else "month_start"
        label = grain if grain in ("quarter", "year") else "month"
        return Query(f"SELECT {bucket} AS {label}, {expr} AS value FROM {mart}{where} GROUP BY 1 ORDER BY 1",
                     params, mart)

    # ---------------------------------------------------------------- customer-level aggregates
    def customer_aggregate(self, metric: Metric, filters: dict, average: bool = False, period=None,
                           period_column: str | None = None, exclude: dict | None = None,
                           orders_condition: list | None = None, over_everyone: bool = False) -> Query:
        expr = metric.average_expr if average else metric.customer_expr
        if expr is None:
            raise NotAvailable(f"{metric.label} is not kept per customer")
        table = self.require_customer(list(metric.needs))
        if average and metric.name in BUYER_AVERAGES and not orders_condition and not over_everyone:
            orders_condition = [">", 0]  # spend and orders per customer are over customers who bought
        where, params = self.where(filters, period, period_column, exclude, orders_condition)
        return Query(f"SELECT {expr} AS value, count(*) AS customers FROM {table}{where}", params, table)

    def new_customer_series(self, filters: dict, exclude: dict | None, period, grain: str) -> Query:
        """New customers per day, week, month, quarter or year among the filtered customers: each counted in the period
        of their first completed order ("new UK customers per month")."""
        table = self.require_customer(["first_order_at"])
        where, params = self.where(filters, period, "first_order_at", exclude)
        bucket = f"CAST(date_trunc('{grain}', first_order_at) AS DATE)"
        return Query(f"SELECT {bucket} AS {grain}, count(*) AS value FROM {table}{where} GROUP BY 1 ORDER BY 1",
                     params, table)

    def customer_ranking(self, metric: Metric, dim: str, filters: dict, n: int, descending: bool,
                         average: bool = False, exclude: dict | None = None,
                         orders_condition: list | None = None) -> Query:
        expr = (metric.average_expr if average else metric.customer_expr)
        if expr is None:
            raise NotAvailable(f"{metric.label} is not kept per customer")
        col = CUSTOMER_DIMS[dim]
        table = self.require_customer(list(metric.needs) + [col])
        where, params = self.where(filters, exclude=exclude, orders_condition=orders_condition)
        where = (where + " AND " if where else " WHERE ") + f"{col} IS NOT NULL"
        order = "DESC" if descending else "ASC"
        if dim == "customer":  # one row per customer: a top-N scan, no GROUP BY over a million ids
            row_expr = ROW_EXPR.get(metric.name)
            if row_expr is None:
                raise NotAvailable(f"customers cannot be ranked by {metric.label}")
            self.require_customer([row_expr])
            return Query(f"SELECT customer_id AS customer, {row_expr} AS value FROM {table}{where} "
                         f"ORDER BY value {order} NULLS LAST, customer_id LIMIT ?", params + [n], table)
        return Query(f"SELECT {col} AS {dim}, {expr} AS value FROM {table}{where} GROUP BY {col} "
                     f"ORDER BY value {order} NULLS LAST, {col} LIMIT ?", params + [n], table)

    def customer_by_group(self, metric: Metric, dim: str, values: list[str], filters: dict,
                          average: bool = False) -> Query:
        expr = metric.average_expr if average else metric.customer_expr
        if expr is None:
            raise NotAvailable(f"{metric.label} is not kept per customer")
        col = CUSTOMER_DIMS[dim]
        table = self.require_customer(list(metric.needs) + [col])
        where, params = self.where({**filters, dim: list(values)})
        return Query(f"SELECT {col} AS {dim}, {expr} AS value FROM {table}{where} GROUP BY {col} ORDER BY {col}",
                     params, table)

    def customer_share(self, metric: Metric, part: dict, base: dict, orders_condition: list | None = None,
                       buyers_only: bool = False, part_exclude: dict | None = None) -> Query:
        expr = metric.customer_expr if metric.name in ("customers", "revenue", "orders", "value_12m") else None
        if expr is None:
            raise NotAvailable(f"a share of {metric.label} does not add up")
        table = self.require_customer(list(metric.needs))
        part_where, part_params = self.where(part, orders_condition=orders_condition, exclude=part_exclude)
        base_where, base_params = self.where(base, orders_condition=[">", 0] if buyers_only else None)
        cond = part_where.replace(" WHERE ", "", 1)
        inner = "1" if metric.name == "customers" else metric.needs[0]
        filtered = (f"count(*) FILTER (WHERE {cond})" if metric.name == "customers"
                    else f"sum(CASE WHEN {cond} THEN {inner} END)")
        return Query(f"SELECT {filtered} AS part, {expr} AS whole, {filtered} / nullif({expr}, 0) AS value "
                     f"FROM {table}{base_where}", part_params + part_params + base_params, table)

    def customer_profile(self, customer_id: str) -> Query:
        table = self.require_customer(["customer_id"])
        cols = [c for c in ("customer_id", "country", "city", "age", "gender", "lifetime_orders", "lifetime_revenue",
                            "avg_order_value", "first_order_at", "last_order_at", "recency_days", "segment",
                            "favourite_category", "review_count", "avg_rating", "support_contacts", "is_churned",
                            "churn_probability", "risk_band", "reasons", "value_12m", "probability_alive",
                            "segment_name") if c in self._customer_cols()]
        return Query(f"SELECT {', '.join(cols)} FROM {table} WHERE customer_id = ?", [customer_id], table)

    def churn_reasons(self, customer_id: str) -> Query:
        if not self._has("ml.churn_scores"):
            raise NotAvailable("ml.churn_scores is not published (the churn model has not scored anyone)")
        return Query("SELECT customer_id, churn_probability, risk_band, reasons FROM ml.churn_scores "
                     "WHERE customer_id = ?", [customer_id], "ml.churn_scores")

    # ---------------------------------------------------------------- time series (KPI marts)
    def kpi_total(self, metric: Metric, period) -> Query:
        if metric.kpi_expr is None:
            raise NotAvailable(f"{metric.label} over a period is not in the KPI marts")
        if not metric.additive:
            return self._kpi_single_bucket(metric, period)
        if not self._has("marts.daily_kpis"):
            raise NotAvailable("marts.daily_kpis is not published")
        where, params = "", []
        if period is not None:
            where, params = " WHERE order_date >= ? AND order_date < ?", [period.start, period.end]
        return Query(f"SELECT {metric.kpi_expr} AS value, count(*) AS days FROM marts.daily_kpis{where}", params,
                     "marts.daily_kpis")

    def _kpi_single_bucket(self, metric: Metric, period) -> Query:
        if period is not None and period.grain == "month" and period.start.day == 1:
            return Query(f"SELECT {metric.kpi_expr} AS value FROM marts.monthly_kpis WHERE month_start = ?",
                         [period.start], "marts.monthly_kpis")
        if period is not None and period.grain == "week":
            return Query(f"SELECT {metric.kpi_expr} AS value FROM marts.weekly_kpis WHERE week_start = ?",
                         [period.start], "marts.weekly_kpis")
        raise NotAvailable(f"{metric.label} cannot be added up over days; ask for one calendar month or week")

    def kpi_series(self, metric: Metric, grain: str, period) -> Query:
        """One value per day, week, month, quarter or year (quarters and years from the monthly mart)."""
        if metric.kpi_expr is None:
            raise NotAvailable(f"{metric.label} over time is not in the KPI marts")
        table, col = {"day": ("marts.daily_kpis", "order_date"), "week": ("marts.weekly_kpis", "week_start")}.get(
            grain, ("marts.monthly_kpis", "month_start"))
        if not self._has(table):
            raise NotAvailable(f"{table} is not published")
        if grain in ("quarter", "year") and not metric.additive:
            raise NotAvailable(f"{metric.label} cannot be added up over months")
        bucket = f"CAST(date_trunc('{grain}', {col}) AS DATE)" if grain in ("quarter", "year") else col
        where, params = "", []
        if period is not None:
            where, params = f" WHERE {col} >= ? AND {col} < ?", [period.start, period.end]
        return Query(f"SELECT {bucket} AS {grain}, {metric.kpi_expr} AS value FROM {table}{where} GROUP BY 1 "
                     f"ORDER BY 1", params, table)

    def kpi_ranking(self, metric: Metric, grain: str, period, n: int, descending: bool) -> Query:
        q = self.kpi_series(metric, grain, period)
        order = "DESC" if descending else "ASC"
        return Query(q.sql.rsplit(" ORDER BY", 1)[0] + f" ORDER BY value {order} NULLS LAST LIMIT ?",
                     q.params + [n], q.table)

    def kpi_period_share(self, metric: Metric, part, whole) -> Query:
        """The part of a period's total that fell in a period inside it ("2011 revenue earned in Q4")."""
        if metric.kpi_expr is None or not metric.additive or not metric.kpi_expr.startswith("sum("):
            raise NotAvailable(f"a share of {metric.label} over periods does not add up")
        inner = metric.kpi_expr.replace("sum(", "sum(CASE WHEN order_date >= ? AND order_date < ? THEN ", 1)[:-1] + " END)"
        return Query(f"SELECT {inner} AS part, {metric.kpi_expr} AS whole, {inner} / nullif({metric.kpi_expr}, 0) AS value "
                     "FROM marts.daily_kpis WHERE order_date >= ? AND order_date < ?",
                     [part.start, part.end, part.start, part.end, whole.start, whole.end], "marts.daily_kpis")

    def kpi_compare_periods(self, metric: Metric, periods: list) -> Query:
        if metric.kpi_expr is None:
            raise NotAvailable(f"{metric.label} over a period is not in the KPI marts")
        if not metric.additive:
            raise NotAvailable(f"{metric.label} cannot be added up over days")
        parts, params = [], []
        for p in periods:
            parts.append(f"SELECT ? AS period, {metric.kpi_expr} AS value FROM marts.daily_kpis "
                         f"WHERE order_date >= ? AND order_date < ?")
            params += [p.label, p.start, p.end]
        return Query(" UNION ALL ".join(parts), params, "marts.daily_kpis")

    def order_activity_ranking(self, metric: Metric, dim: str, filters: dict, exclude: dict | None, period, n: int,
                               descending: bool) -> Query:
        """Orders (revenue, ...) by weekday or hour of the order, over any period and filter."""
        expr = self._order_expr(metric)
        where, params = self._order_where(filters, exclude, period)
        # grouped by number, named once per group: naming every order's day costs more than the count
        label, key = (("dayname(min(order_date))", "isodow(order_date)") if dim == "weekday" else
                      ("hour(min(ordered_at))", "hour(ordered_at)"))
        order = "DESC" if descending else "ASC"
        return Query(f"SELECT {label} AS {dim}, {expr} AS value FROM {ORDER_MART}{where} GROUP BY {key} "
                     f"ORDER BY value {order} NULLS LAST, 1 LIMIT ?", params + [n], ORDER_MART)

    def activity_ranking(self, metric: Metric, dim: str, n: int, descending: bool) -> Query:
        if metric.name not in ("orders", "revenue") or not self._has("marts.activity_heatmap"):
            raise NotAvailable("only orders and revenue are kept by weekday and hour (marts.activity_heatmap)")
        col = "weekday_name" if dim == "weekday" else "hour"
        order = "DESC" if descending else "ASC"
        return Query(f"SELECT {col} AS {dim}, sum({metric.name}) AS value FROM marts.activity_heatmap GROUP BY {col} "
                     f"ORDER BY value {order}, {col} LIMIT ?", [n], "marts.activity_heatmap")

    # ---------------------------------------------------------------- products
    def product_ranking(self, metric: Metric, filters: dict, period, n: int, descending: bool,
                        exclude: dict | None = None, dim: str = "product") -> Query:
        order = "DESC" if descending else "ASC"
        if dim == "country":  # the countries that bought a product most, from the product x month x country mart
            if not self._has(PRODUCT_COUNTRY_MART):
                raise NotAvailable(f"{PRODUCT_COUNTRY_MART} (product x month x country) is not published")
            if metric.name == "customers" and not (period is not None and period.is_single_month):
                raise NotAvailable("a product's buyers per country are counted per month; ask for one calendar month")
            expr = self._product_expr(metric, period is not None and period.is_single_month, PRODUCT_COUNTRY_MART)
            where, params = self._product_where(filters, exclude, period, PRODUCT_COUNTRY_MART)
            where = (where + " AND " if where else " WHERE ") + "country IS NOT NULL"
            return Query(f"SELECT country AS country, {expr} AS value FROM {PRODUCT_COUNTRY_MART}{where} GROUP BY country "
                         f"ORDER BY value {order} NULLS LAST, country LIMIT ?", params + [n], PRODUCT_COUNTRY_MART)
        if self._has(PRODUCT_MART):
            mart = self._product_mart(metric, filters, exclude, period) if dim == "product" else PRODUCT_MART
            if mart == PRODUCT_CUSTOMER_MART:  # no names there: the top codes first, then their names
                mart, expr, where, params = self._distinct_buyers(filters, exclude, period, per_product=True)
                return Query(f"SELECT coalesce(n.product_name, c.product_id) AS product, c.value AS value, c.product_id AS "
                             f"stock_code FROM (SELECT product_id, {expr} AS value FROM {mart}{where} GROUP BY product_id "
                             f"ORDER BY value {order} NULLS LAST, product_id LIMIT ?) AS c LEFT JOIN (SELECT product_id, "
                             f"arg_max(product_name, orders) AS product_name FROM {PRODUCT_MART} GROUP BY product_id) AS n "
                             f"ON n.product_id = c.product_id ORDER BY value {order} NULLS LAST, stock_code",
                             params + [n], mart)
            expr = self._product_expr(metric, period is not None and period.is_single_month, mart)
            where, params = self._product_where(filters, exclude, period, mart)
            if dim == "category":
                where = (where + " AND " if where else " WHERE ") + "category IS NOT NULL"
                return Query(f"SELECT category AS category, {expr} AS value FROM {PRODUCT_MART}{where} "
                             f"GROUP BY category ORDER BY value {order} NULLS LAST, category LIMIT ?",
                             params + [n], PRODUCT_MART)
            # a product is a stock code, named by the name it sold most under
            return Query(f"SELECT coalesce(arg_max(product_name, orders), product_id) AS product, {expr} AS value, "
                         f"product_id AS stock_code FROM {mart}{where} GROUP BY product_id "
                         f"ORDER BY value {order} NULLS LAST, product_id LIMIT ?", params + [n], mart)
        if metric.name == "orders" and period is None and not filters and not exclude and dim == "product" \
                and self._has("marts.product_affinity"):
            return Query("WITH p AS (SELECT product_a_name AS product, max(product_a_orders) AS value "
                         "FROM marts.product_affinity GROUP BY 1 UNION ALL SELECT product_b_name, max(product_b_orders) "
                         "FROM marts.product_affinity GROUP BY 1) SELECT product, max(value) AS value FROM p "
                         f"GROUP BY product ORDER BY value {order}, product LIMIT ?", [n], "marts.product_affinity")
        raise NotAvailable(f"product {metric.label}{' by period' if period else ''} needs a product x month mart "
                           f"({PRODUCT_MART}: month_start, product_id, product_name, category, revenue, quantity, "
                           "orders, customers), which is not published")

    def pareto_top20(self) -> Query:
        if not self._has("marts.revenue_pareto"):
            raise NotAvailable("marts.revenue_pareto is not published")
        return Query("SELECT max(top20_revenue_share) AS value FROM marts.revenue_pareto", [], "marts.revenue_pareto")

    def feedback_rows(self, ids: list[str]) -> Query:
        cols = [c for c in ("feedback_id", "created_at", "channel", "rating", "category",
                            "sentiment_label", "topic_label", "text") if c in self.tables.get("nlp.feedback_sentiment", [])]
        return Query(f"SELECT {', '.join(cols)} FROM nlp.feedback_sentiment WHERE feedback_id IN "
                     f"({', '.join('?' for _ in ids)})", list(ids), "nlp.feedback_sentiment")

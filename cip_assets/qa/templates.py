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
                              "tenure_days", "as_of", "purchase_probability", "propensity_decile"},
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
]}

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
             "month": "month", "week": "week", "weekday": "weekday", "hour": "hour", "product": "product"}


@dataclass
class Query:
    sql: str
    params: list = field(default_factory=list)
    table: str = ""


class NotAvailable(Exception):
    """The question needs a table or column that is not published (the message says which)."""


def check_sql(sql: str) -> None:
    """Every schema.table named is allow-listed; one statement; read-only verbs only."""
    if ";" in sql:
        raise ValueError("one statement only")
    if not re.match(r"^\s*(SELECT|WITH)\b", sql, re.IGNORECASE):
        raise ValueError("only SELECT statements run")
    banned = re.search(r"\b(INSERT|UPDATE|DELETE|DROP|ALTER|CREATE|ATTACH|DETACH|COPY|PRAGMA|INSTALL|LOAD|EXPORT|"
                       r"IMPORT|CALL|SET|CHECKPOINT|read_csv\w*|read_parquet|read_json\w*|glob)\b", sql, re.IGNORECASE)
    if banned:
        raise ValueError(f"statement uses {banned.group(0)}")
    for table in re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+\.[a-z_0-9]+)", sql, re.IGNORECASE):
        if table not in ALLOWED:
            raise ValueError(f"table {table} is not allow-listed")


class Templates:
    """Builds the SQL for a plan, given which tables are published (`tables`: name -> columns)."""

    def __init__(self, tables: dict[str, list[str]]):
        self.tables = tables
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

    def where(self, filters: dict[str, object], period=None, period_column: str | None = None) -> tuple[str, list]:
        clauses, params = [], []
        for kind, value in filters.items():
            if kind == "churned":
                self.require_customer(["is_churned"])
                clauses.append("is_churned" if value else "NOT is_churned")
            elif kind in CUSTOMER_DIMS:
                col = CUSTOMER_DIMS[kind]
                self.require_customer([col])
                if isinstance(value, (list, tuple)):
                    clauses.append(f"{col} IN ({', '.join('?' for _ in value)})")
                    params += list(value)
                else:
                    clauses.append(f"{col} = ?")
                    params.append(value)
        if period is not None and period_column:
            self.require_customer([period_column])
            clauses.append(f"{period_column} >= ? AND {period_column} < ?")
            params += [period.start, period.end]
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    # ---------------------------------------------------------------- customer-level aggregates
    def customer_aggregate(self, metric: Metric, filters: dict, average: bool = False, period=None,
                           period_column: str | None = None) -> Query:
        expr = metric.average_expr if average else metric.customer_expr
        if expr is None:
            raise NotAvailable(f"{metric.label} is not kept per customer")
        table = self.require_customer(list(metric.needs))
        where, params = self.where(filters, period, period_column)
        return Query(f"SELECT {expr} AS value, count(*) AS customers FROM {table}{where}", params, table)

    def customer_ranking(self, metric: Metric, dim: str, filters: dict, n: int, descending: bool,
                         average: bool = False) -> Query:
        expr = (metric.average_expr if average else metric.customer_expr)
        if expr is None:
            raise NotAvailable(f"{metric.label} is not kept per customer")
        col = CUSTOMER_DIMS[dim]
        table = self.require_customer(list(metric.needs) + [col])
        where, params = self.where(filters)
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

    def customer_share(self, metric: Metric, part: dict, base: dict) -> Query:
        expr = metric.customer_expr if metric.name in ("customers", "revenue", "orders", "value_12m") else None
        if expr is None:
            raise NotAvailable(f"a share of {metric.label} does not add up")
        table = self.require_customer(list(metric.needs))
        part_where, part_params = self.where(part)
        base_where, base_params = self.where(base)
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
        if metric.kpi_expr is None:
            raise NotAvailable(f"{metric.label} over time is not in the KPI marts")
        table, col = ("marts.weekly_kpis", "week_start") if grain == "week" else ("marts.monthly_kpis", "month_start")
        if not self._has(table):
            raise NotAvailable(f"{table} is not published")
        where, params = "", []
        if period is not None:
            where, params = f" WHERE {col} >= ? AND {col} < ?", [period.start, period.end]
        return Query(f"SELECT {col} AS {grain}, {metric.kpi_expr} AS value FROM {table}{where} GROUP BY {col} "
                     f"ORDER BY {col}", params, table)

    def kpi_ranking(self, metric: Metric, grain: str, period, n: int, descending: bool) -> Query:
        q = self.kpi_series(metric, grain, period)
        order = "DESC" if descending else "ASC"
        return Query(q.sql.rsplit(" ORDER BY", 1)[0] + f" ORDER BY value {order} NULLS LAST LIMIT ?",
                     q.params + [n], q.table)

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

    def activity_ranking(self, metric: Metric, dim: str, n: int, descending: bool) -> Query:
        if metric.name not in ("orders", "revenue") or not self._has("marts.activity_heatmap"):
            raise NotAvailable("only orders and revenue are kept by weekday and hour (marts.activity_heatmap)")
        col = "weekday_name" if dim == "weekday" else "hour"
        order = "DESC" if descending else "ASC"
        return Query(f"SELECT {col} AS {dim}, sum({metric.name}) AS value FROM marts.activity_heatmap GROUP BY {col} "
                     f"ORDER BY value {order}, {col} LIMIT ?", [n], "marts.activity_heatmap")

    # ---------------------------------------------------------------- products
    def product_ranking(self, metric: Metric, filters: dict, period, n: int, descending: bool) -> Query:
        order = "DESC" if descending else "ASC"
        if self._has(PRODUCT_MART):
            col = {"revenue": "sum(revenue)", "orders": "sum(orders)", "customers": "sum(customers)"}.get(metric.name)
            if col is None:
                raise NotAvailable(f"{metric.label} is not kept per product")
            clauses, params = [], []
            if "category" in filters:
                clauses.append("category = ?")
                params.append(filters["category"])
            if period is not None:
                clauses.append("month_start >= ? AND month_start < ?")
                params += [date(period.start.year, period.start.month, 1), period.end]
            where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
            return Query(f"SELECT product_name AS product, {col} AS value FROM {PRODUCT_MART}{where} "
                         f"GROUP BY product_name ORDER BY value {order} NULLS LAST, product_name LIMIT ?",
                         params + [n], PRODUCT_MART)
        if metric.name == "orders" and period is None and not filters and self._has("marts.product_affinity"):
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
        cols = [c for c in ("feedback_id", "customer_id", "created_at", "channel", "rating", "category",
                            "sentiment_label", "topic_label", "text") if c in self.tables.get("nlp.feedback_sentiment", [])]
        return Query(f"SELECT {', '.join(cols)} FROM nlp.feedback_sentiment WHERE feedback_id IN "
                     f"({', '.join('?' for _ in ids)})", list(ids), "nlp.feedback_sentiment")

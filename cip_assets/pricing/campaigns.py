"""Reading randomised campaigns out of the warehouse (staging views), with pre-treatment features.

Feature modes:
* ``history``: when most of a campaign's customers have order history, the features are the churn
  snapshot (cip_assets.churn.features, data strictly before the campaign's first exposure); the
  same features computed today let the model score every active customer.
* ``attributes``: otherwise (a campaign file such as Hillstrom, shipped with its own covariates),
  the numeric and low-cardinality text keys of the exposures' ``attributes`` JSON; only the
  campaign's own customers can then be scored.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd

from cip_assets.churn.features import FEATURES, last_order_day, snapshot
from cip_assets.churn.scoring import ACTIVE_WITHIN_DAYS
from cip_assets.pricing.experiments import readout_rows
from cip_assets.pricing.uplift import encode_covariates
from cip_resources.tables import table_exists

HISTORY_FEATURES = [f for f in FEATURES if f != "campaign_exposures"]  # counts this campaign at scoring time
MIN_ROWS = 200
MIN_HISTORY_COVERAGE = 0.5


def campaigns(con: duckdb.DuckDBPyConnection, min_rows: int = MIN_ROWS) -> pd.DataFrame:
    """Campaigns with enough rows and both a control and a treated group: newest first, then those with a spend
    outcome (order values for the offers), then the largest. The first one feeds the offer recommendations."""
    return con.execute("""
        SELECT campaign_id, count(*) AS customers, count(*) FILTER (WHERE is_control) AS control,
               count(DISTINCT arm) FILTER (WHERE NOT is_control) AS arms, min(exposed_at) AS started_at,
               max(exposed_at) AS last_exposed_at,
               arg_max(arm, n_arm) FILTER (WHERE is_control) AS control_arm, count(spend) > 0 AS has_spend
        FROM (SELECT *, count(*) OVER (PARTITION BY campaign_id, arm) AS n_arm FROM staging.stg_campaign_exposures)
        WHERE customer_id IS NOT NULL AND arm IS NOT NULL AND is_control IS NOT NULL
        GROUP BY ALL
        HAVING count(*) >= ? AND count(*) FILTER (WHERE is_control) > 0 AND count(*) FILTER (WHERE NOT is_control) > 0
        ORDER BY last_exposed_at DESC NULLS LAST, has_spend DESC, customers DESC, campaign_id
    """, [int(min_rows)]).df()


def exposures(con: duckdb.DuckDBPyConnection, campaign_id: str) -> pd.DataFrame:
    frame = con.execute("""
        SELECT customer_id, arm, is_control, discount_pct, exposed_at, visited::DOUBLE AS visited,
               converted::DOUBLE AS converted, spend
        FROM staging.stg_campaign_exposures
        WHERE campaign_id = ? AND customer_id IS NOT NULL AND arm IS NOT NULL AND is_control IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY exposed_at) = 1
        ORDER BY customer_id""", [campaign_id]).df()
    control = frame.loc[frame.is_control, "arm"].mode()
    frame["arm"] = np.where(frame.is_control, "control", frame.arm.astype(str))  # one control label
    frame.attrs["control_arm"] = str(control.iloc[0]) if len(control) else "control"
    return frame


def arm_discounts(frame: pd.DataFrame) -> dict[str, float]:
    return frame[~frame.is_control].groupby("arm")["discount_pct"].median().fillna(0.0).to_dict()


def attribute_features(con: duckdb.DuckDBPyConnection, campaign_id: str) -> pd.DataFrame:
    """The campaign's covariates from its `attributes` JSON, one column per key, indexed by customer_id."""
    keys = [k for (k,) in con.execute("""
        SELECT DISTINCT unnest(json_keys(attributes)) FROM (
            SELECT attributes FROM staging.stg_campaign_exposures
            WHERE campaign_id = ? AND attributes IS NOT NULL LIMIT 2000)""", [campaign_id]).fetchall()]
    if not keys:
        return pd.DataFrame()
    cols = ", ".join(f"attributes ->> '{k.replace(chr(39), chr(39) * 2)}' AS \"{k.replace(chr(34), '')}\""
                     for k in sorted(keys))
    raw = con.execute(f"""SELECT customer_id, {cols} FROM staging.stg_campaign_exposures WHERE campaign_id = ?
                          QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY exposed_at) = 1""",
                      [campaign_id]).df().set_index("customer_id")
    return encode_covariates(raw)


def campaign_features(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, campaign_id: str
                      ) -> tuple[pd.DataFrame, str]:
    """Pre-treatment features for the campaign's customers (rows aligned with `frame`) and the mode used."""
    start = pd.Timestamp(frame.exposed_at.min()).normalize() if frame.exposed_at.notna().any() else None
    if start is not None:
        history = snapshot(con, start.date(), 1).set_index("customer_id")
        coverage = frame.customer_id.isin(history.index).mean()
        if coverage >= MIN_HISTORY_COVERAGE:
            return history.reindex(frame.customer_id)[HISTORY_FEATURES].reset_index(drop=True), "history"
    attrs = attribute_features(con, campaign_id)
    if attrs.shape[1] == 0:
        return pd.DataFrame(index=range(len(frame))), "none"
    return attrs.reindex(frame.customer_id).reset_index(drop=True), "attributes"


def scoring_population(con: duckdb.DuckDBPyConnection, mode: str, campaign_id: str
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who gets a recommendation and their features: every active customer today (history mode), or the
    campaign's own customers (attributes mode). Returns (customers with expected_order_value, features)."""
    if mode == "history":
        last = last_order_day(con)
        as_of = last + timedelta(days=1)
        frame = snapshot(con, as_of, 1)
        frame = frame[frame.recency_days <= ACTIVE_WITHIN_DAYS].reset_index(drop=True)
        customers = pd.DataFrame({"customer_id": frame.customer_id,
                                  "expected_order_value": frame.avg_order_value.where(frame.avg_order_value > 0)})
        customers.attrs["as_of"] = str(as_of)
        return customers, frame[HISTORY_FEATURES]
    attrs = attribute_features(con, campaign_id)
    customers = pd.DataFrame({"customer_id": attrs.index.to_numpy(), "expected_order_value": np.nan})
    return customers, attrs.reset_index(drop=True)


def campaign_order_value(frame: pd.DataFrame) -> float:
    """The list-price value of a converting order in the campaign (spend grossed up by the arm's discount)."""
    conv = frame[(frame.converted == 1) & frame.spend.notna() & (frame.spend > 0)]
    if not len(conv):
        return float("nan")
    gross = conv.spend / (1 - conv.discount_pct.fillna(0).clip(upper=95) / 100)
    return float(gross.mean())


def join_scores(con: duckdb.DuckDBPyConnection, customers: pd.DataFrame) -> pd.DataFrame:
    """Churn probability and band from ml.churn_scores, 12-month value from ml.customer_value, when present."""
    out = customers.copy()
    if table_exists(con, "ml", "churn_scores"):
        churn = con.execute("SELECT customer_id, churn_probability, risk_band FROM ml.churn_scores").df()
        out = out.merge(churn, on="customer_id", how="left")
    if table_exists(con, "ml", "customer_value"):
        value = con.execute("SELECT customer_id, value_12m AS expected_value_12m, expected_spend_90d, "
                            "expected_purchases_90d FROM ml.customer_value").df()
        out = out.merge(value, on="customer_id", how="left")
        per_order = out.expected_spend_90d / out.expected_purchases_90d.where(out.expected_purchases_90d > 0)
        out["expected_order_value"] = out.expected_order_value.fillna(per_order)
        out = out.drop(columns=["expected_spend_90d", "expected_purchases_90d"])
    for col, dtype in (("churn_probability", "float64"), ("risk_band", "object"), ("expected_value_12m", "float64")):
        if col not in out:
            out[col] = pd.Series(np.nan if dtype == "float64" else None, index=out.index, dtype=dtype)
    return out


_SEGMENT_SQL = """
WITH e AS (
    SELECT customer_id, arm, is_control, discount_pct, exposed_at, converted::DOUBLE AS converted, spend
    FROM staging.stg_campaign_exposures WHERE campaign_id = $campaign AND customer_id IS NOT NULL
),
prior AS (
    SELECT e.customer_id, max(l.ordered_at) AS last_at
    FROM e JOIN staging.stg_order_lines l
      ON l.customer_id = e.customer_id AND l.ordered_at < e.exposed_at AND l.line_status = 'completed'
    GROUP BY ALL
)
SELECT e.*, {band} AS segment
FROM e LEFT JOIN prior p USING (customer_id)
"""
_TODAY_SQL = """
WITH people AS (
    SELECT customer_id FROM staging.stg_customers WHERE customer_id IS NOT NULL
    UNION SELECT customer_id FROM staging.stg_order_lines WHERE customer_id IS NOT NULL
),
last AS (
    SELECT customer_id, max(ordered_at) AS last_at FROM staging.stg_order_lines
    WHERE line_status = 'completed' AND customer_id IS NOT NULL GROUP BY ALL
),
now AS (SELECT max(ordered_at) + INTERVAL 1 DAY AS exposed_at FROM staging.stg_order_lines)
SELECT {band} AS segment, count(*) AS n_today
FROM people LEFT JOIN last p USING (customer_id) CROSS JOIN now e
GROUP BY ALL
"""
_BAND = """CASE WHEN p.last_at IS NULL THEN 'no prior order'
               WHEN date_diff('day', p.last_at, e.exposed_at) <= 30 THEN 'ordered within 30 days'
               WHEN date_diff('day', p.last_at, e.exposed_at) <= 90 THEN 'last order 31-90 days ago'
               WHEN date_diff('day', p.last_at, e.exposed_at) <= 180 THEN 'last order 91-180 days ago'
               ELSE 'last order over 180 days ago' END"""


def exposures_by_recency(con: duckdb.DuckDBPyConnection, campaign_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The campaign's exposures with each customer's recency band at exposure (pre-treatment), and how many
    customers are in each band today."""
    frame = con.execute(_SEGMENT_SQL.format(band=_BAND), {"campaign": campaign_id}).df()
    today = con.execute(_TODAY_SQL.format(band=_BAND)).df()
    return frame, today


def roi_groups(con: duckdb.DuckDBPyConnection, campaign_id: str) -> pd.DataFrame | None:
    """The campaign's treated arms per recency segment beside its control in the same segment, with how many
    customers would be targeted today and the order value: the input of `experiments.roi_table` (None when the
    campaign has no conversion outcome or no control)."""
    frame, today = exposures_by_recency(con, campaign_id)
    frame = frame[frame.converted.notna()]
    if not len(frame) or not frame.is_control.any():
        return None
    frame["arm"] = np.where(frame.is_control, "control", frame.arm.astype(str))
    value = campaign_order_value(frame)
    stats = frame.groupby(["segment", "arm"]).agg(conv=("converted", "sum"), n=("converted", "size"),
                                                   discount_pct=("discount_pct", "median")).reset_index()
    ctrl = stats[stats.arm == "control"].rename(columns={"conv": "conv_control", "n": "n_control"})
    treated = stats[stats.arm != "control"].rename(columns={"conv": "conv_treated", "n": "n_treated"})
    g = treated.merge(ctrl[["segment", "conv_control", "n_control"]], on="segment").merge(today, on="segment",
                                                                                           how="left")
    g["n_targeted_source"] = np.where(g.n_today.fillna(0) > 0, "customers in this band today",
                                      "campaign customers in this band")
    g["n_targeted"] = np.where(g.n_today.fillna(0) > 0, g.n_today.fillna(0), g.n_control + g.n_treated)
    g["order_value"] = value if np.isfinite(value) else 1.0
    g["order_value_source"] = "campaign spend" if np.isfinite(value) else "none: money per unit of order value"
    g["discount_pct"] = g.discount_pct.fillna(0.0)
    g["campaign_id"] = campaign_id
    return g.drop(columns=["n_today"])


def readouts(con: duckdb.DuckDBPyConnection, campaign_ids, planned: dict, looks: dict) -> pd.DataFrame:
    """Every campaign's treated arms read against control (`experiments.readout_rows`)."""
    return pd.DataFrame([row for campaign_id in campaign_ids
                         for row in readout_rows(exposures(con, campaign_id), campaign_id, planned, looks)])

"""Discount recommendations: per customer, the arm that maximises expected incremental profit.

For a customer with baseline response probability p0 (no offer), predicted uplift u_a for arm a
with discount d_a (a fraction), expected order value V, gross margin m and contact cost c:

    profit(a) = u_a * V * (m - d_a)      incremental orders, each earning the margin less the discount
              - p0  * V * d_a            the discount given away on orders that would have happened anyway
              - c
    profit(no_offer) = 0

(the brief's "uplift x order value x margin - discount on orders that would have happened anyway",
with the discount also charged on the incremental orders). The recommended arm is the argmax; a
customer whose best arm earns no more than `min_profit` gets no_offer. Offers are ranked by
expected profit; `within_budget` marks the prefix whose expected cost (discount on all expected
orders plus contact cost) fits the budget and the `max_offers` cap.

Settings come from the `offers:` section of cip.yaml (margin, budget, max_offers, contact_cost,
min_profit); defaults below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NO_OFFER = "no_offer"


@dataclass(frozen=True)
class OfferSettings:
    margin: float = 0.4  # gross margin on an order, before any discount
    budget: float | None = None  # money for discounts and contacts; None = unlimited
    max_offers: int | None = None  # at most this many offers; None = no cap
    contact_cost: float = 0.0  # cost of sending one offer
    min_profit: float = 0.0  # an offer must earn more than this

    @classmethod
    def from_config(cls, raw: dict | None) -> "OfferSettings":
        """The `offers:` section, validated by the config model (cip_resources/config_model.py: unknown keys such
        as a misspelt `budjet` are refused); keys left out keep the defaults above."""
        from cip_resources.config_model import validate_section

        section = validate_section("offers", (raw or {}).get("offers"))
        given = {k: v for k, v in (section.model_dump() if section else {}).items() if v is not None}
        settings = cls(**{k: (int(v) if k == "max_offers" else float(v)) for k, v in given.items()})
        if not 0 < settings.margin <= 1:
            raise ValueError(f"offers.margin must be a fraction in (0, 1], got {settings.margin}")
        return settings


def profit_matrix(base: np.ndarray, uplift: pd.DataFrame, order_value: np.ndarray, discount_pct: dict[str, float],
                  margin: float, contact_cost: float = 0.0) -> pd.DataFrame:
    """Expected incremental profit per customer (rows) and arm (columns), formula in the module docstring."""
    base = np.asarray(base, dtype=float)
    value = np.asarray(order_value, dtype=float)
    out = {}
    for arm in uplift.columns:
        d = float(discount_pct.get(arm) or 0.0) / 100.0
        u = uplift[arm].to_numpy(dtype=float)
        out[arm] = u * value * (margin - d) - base * value * d - contact_cost
    return pd.DataFrame(out, index=uplift.index)


def _money(x: pd.Series) -> pd.Series:
    return x.map("{:,.2f}".format)


def _pts(x: pd.Series) -> pd.Series:
    return (x * 100).map("{:+.1f}".format)


def recommend(customers: pd.DataFrame, base: np.ndarray, uplift: pd.DataFrame, discount_pct: dict[str, float],
              settings: OfferSettings) -> pd.DataFrame:
    """One row per customer: the recommended arm, its expected profit and cost, a reason in words and the
    budget-constrained priority.

    customers: customer_id, expected_order_value, and optionally churn_probability, risk_band,
    expected_value_12m (kept as they are). base/uplift: row-aligned with customers."""
    customers = customers.reset_index(drop=True)
    uplift = uplift.reset_index(drop=True)
    value = customers["expected_order_value"].to_numpy(dtype=float)
    base = np.asarray(base, dtype=float)
    profits = profit_matrix(base, uplift, value, discount_pct, settings.margin, settings.contact_cost)
    n = len(customers)
    if uplift.shape[1]:
        best_idx = np.nanargmax(np.where(np.isnan(profits.to_numpy()), -np.inf, profits.to_numpy()), axis=1)
        best_arm = np.asarray(profits.columns)[best_idx]
        best_profit = profits.to_numpy()[np.arange(n), best_idx]
        best_uplift = uplift.to_numpy()[np.arange(n), best_idx]
    else:
        best_arm, best_profit, best_uplift = np.full(n, NO_OFFER, object), np.zeros(n), np.zeros(n)
    offer = best_profit > settings.min_profit
    arm = np.where(offer, best_arm, NO_OFFER)
    d = np.array([float(discount_pct.get(a) or 0.0) for a in arm])
    predicted = np.where(offer, best_uplift, 0.0)
    profit = np.where(offer, best_profit, 0.0)
    cost = np.where(offer, (base + predicted) * value * d / 100.0 + settings.contact_cost, 0.0)

    out = customers.copy()
    out["recommended_arm"] = arm
    out["discount_pct"] = d
    out["base_conversion"] = base
    out["predicted_uplift"] = predicted
    out["expected_order_value"] = value
    out["expected_incremental_profit"] = profit
    out["expected_cost"] = cost
    out["best_offer_arm"] = best_arm
    out["best_offer_profit"] = best_profit
    for col in ("churn_probability", "risk_band", "expected_value_12m"):
        if col not in out:
            out[col] = np.nan if col != "risk_band" else None

    # budget-constrained priority: offers by expected profit, then the prefix that fits budget and cap
    order = np.lexsort((out["customer_id"].astype(str).to_numpy(), -profit, ~offer))
    rank = np.empty(n, dtype=float)
    rank[order] = np.arange(1, n + 1)
    rank[~offer] = np.nan
    out["priority_rank"] = pd.array(rank, dtype="Int64")
    cum_cost = np.full(n, np.inf)
    cum_cost[order] = np.cumsum(cost[order])
    fits = offer.copy()
    if settings.budget is not None:
        fits &= cum_cost <= settings.budget + 1e-9
    if settings.max_offers is not None:
        fits &= rank <= settings.max_offers
    out["within_budget"] = fits
    out["reason"] = reasons(out)
    return out


def reasons(rec: pd.DataFrame) -> np.ndarray:
    """The recommendation in words, built column-wise."""
    risk = rec["risk_band"].astype("string")
    churn = ("; " + risk.fillna("") + " churn risk (" + (rec["churn_probability"] * 100).round(0).astype("Int64")
             .astype("string") + "%)").where(rec["churn_probability"].notna(), "")
    offer_text = (rec["recommended_arm"] + " lifts the purchase chance by an estimated "
                  + _pts(rec["predicted_uplift"]) + " pts (from " + (rec["base_conversion"] * 100).map("{:.0f}".format)
                  + "%), worth " + _money(rec["expected_incremental_profit"]) + " expected profit on a "
                  + _money(rec["expected_order_value"]) + " order")
    buys_anyway = rec["base_conversion"] >= 0.5
    no_offer_text = np.where(
        rec["best_offer_arm"] == NO_OFFER, "no offer arms to choose from",
        np.where(buys_anyway,
                 "likely to buy anyway (" + (rec["base_conversion"] * 100).map("{:.0f}".format)
                 + "%): the best offer, " + rec["best_offer_arm"].astype(str) + ", would lose "
                 + _money(-rec["best_offer_profit"].clip(upper=0)),
                 "no offer pays: the best, " + rec["best_offer_arm"].astype(str) + ", would earn an expected "
                 + _money(rec["best_offer_profit"]) + " (margin too thin for its lift)"))
    text = np.where(rec["recommended_arm"] != NO_OFFER, offer_text, no_offer_text)
    budget = np.where((rec["recommended_arm"] != NO_OFFER) & ~rec["within_budget"], " (outside the budget)", "")
    return (pd.Series(text, index=rec.index) + budget + churn).to_numpy(dtype=object)


def policy_value(profit_true: pd.DataFrame, arms: np.ndarray) -> float:
    """Total true profit of a policy that gives customer i the arm arms[i] (no_offer earns 0)."""
    arms = np.asarray(arms)
    values = np.zeros(len(arms))
    for arm in profit_true.columns:
        chosen = arms == arm
        values[chosen] = profit_true[arm].to_numpy()[chosen]
    return float(values.sum())

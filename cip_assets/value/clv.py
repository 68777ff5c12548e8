"""Customer lifetime value from order lines: BG/NBD + Gamma-Gamma, a LightGBM spend model, and their out-of-time check.

Everything is point in time: a function given a cutoff reads only lines ordered strictly before it,
so the same code builds training features, scores today's customers and replays the past for
evaluation without leaking the future. Time is measured in days throughout.

Input is `raw.order_lines` as a pandas DataFrame (see `cip_assets.ingest.contract`). A line's
revenue is quantity * unit_price * (1 - discount_pct/100); completed lines add it, returned lines
subtract it, cancelled lines count nothing. A purchase is a day with at least one completed line,
because BG/NBD models repeat *visits*, and several invoices on one day are one visit.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy import optimize, special, stats

DAY = pd.Timedelta(days=1)
SPEND_FEATURES = (
    "frequency", "recency", "T", "monetary_value", "orders", "revenue", "days_since_last_order",
    "spend_30d", "spend_90d", "spend_180d", "orders_90d", "orders_prev_90d", "order_trend", "avg_basket",
)


# --- point-in-time summaries -------------------------------------------------------------------
def _identified_lines_before(lines: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Customer lines before the cutoff with their signed net revenue (returns negative, cancels zero)."""
    ordered_at = pd.to_datetime(lines["ordered_at"])
    keep = lines["customer_id"].notna() & (ordered_at < cutoff)
    df = lines.loc[keep, ["order_id", "customer_id", "status"]].copy()
    df["customer_id"] = df["customer_id"].astype(str)
    df["ordered_at"] = ordered_at[keep]
    df["day"] = df["ordered_at"].dt.floor("D")
    discount = lines.loc[keep, "discount_pct"].astype(float).fillna(0.0) if "discount_pct" in lines else 0.0
    gross = lines.loc[keep, "quantity"].astype(float) * lines.loc[keep, "unit_price"].astype(float) * (1 - discount / 100)
    df["gross"] = np.where(df["status"] == "completed", gross, 0.0)
    df["net"] = np.select([df["status"] == "completed", df["status"] == "returned"], [gross, -gross], 0.0)
    return df


def order_summary(lines: pd.DataFrame, cutoff) -> pd.DataFrame:
    """Per customer, the BG/NBD inputs and basic features from completed orders strictly before `cutoff`.

    One row per customer with a completed line before the cutoff, indexed by customer_id:
    frequency x (distinct purchase days - 1), recency t_x (days from first to last purchase day),
    T (days from first purchase day to the cutoff), monetary_value (mean spend per repeat purchase
    day, scaled by the customer's net/gross ratio so returns count; 0 when x == 0, the Gamma-Gamma
    convention), orders (distinct completed orders), revenue (net), days_since_last_order.
    """
    cutoff = pd.Timestamp(cutoff)
    df = _identified_lines_before(lines, cutoff)
    completed = df[df["status"] == "completed"]
    by_day = completed.groupby(["customer_id", "day"], sort=True)["gross"].sum().reset_index()
    per_customer = by_day.groupby("customer_id")
    first_day, last_day = per_customer["day"].min(), per_customer["day"].max()
    days = per_customer.size()
    first_day_gross = per_customer["gross"].first()  # sorted by day, so this is the first purchase day
    repeat_gross = per_customer["gross"].sum() - first_day_gross

    out = pd.DataFrame(index=days.index)
    out["frequency"] = (days - 1).astype(float)
    out["recency"] = (last_day - first_day) / DAY
    out["T"] = (cutoff - first_day) / DAY
    gross_total = completed.groupby("customer_id")["gross"].sum()
    net_total = df.groupby("customer_id")["net"].sum().reindex(out.index)
    net_share = (net_total / gross_total.where(gross_total > 0)).clip(0, 1).fillna(0)
    out["monetary_value"] = np.where(out["frequency"] > 0, repeat_gross / out["frequency"].clip(lower=1) * net_share, 0.0)
    out["orders"] = completed.groupby("customer_id")["order_id"].nunique().astype(float)
    out["revenue"] = net_total
    out["days_since_last_order"] = (cutoff - completed.groupby("customer_id")["ordered_at"].max()) / DAY
    out.index.name = "customer_id"
    return out


def spend_features(lines: pd.DataFrame, cutoff) -> pd.DataFrame:
    """order_summary plus recent-window spend, order trend and basket size, all from before `cutoff`.

    order_trend compares completed orders in the last 90 days with the 90 before them
    ((recent + 1) / (previous + 1)), so a customer speeding up scores above 1.
    """
    cutoff = pd.Timestamp(cutoff)
    summary = order_summary(lines, cutoff)
    df = _identified_lines_before(lines, cutoff)
    age_days = (cutoff - df["ordered_at"]) / DAY
    for window in (30, 90, 180):
        summary[f"spend_{window}d"] = df.loc[age_days <= window].groupby("customer_id")["net"].sum()
    completed = df["status"] == "completed"
    summary["orders_90d"] = df.loc[completed & (age_days <= 90)].groupby("customer_id")["order_id"].nunique()
    summary["orders_prev_90d"] = df.loc[completed & (age_days > 90) & (age_days <= 180)].groupby("customer_id")["order_id"].nunique()
    summary = summary.fillna(0.0)
    summary["order_trend"] = (summary["orders_90d"] + 1) / (summary["orders_prev_90d"] + 1)
    summary["avg_basket"] = summary["revenue"] / summary["orders"].clip(lower=1)
    return summary


def holdout_truth(lines: pd.DataFrame, start, horizon_days: float) -> pd.DataFrame:
    """What customers actually did in [start, start + horizon): distinct purchase days and net spend."""
    start = pd.Timestamp(start)
    df = _identified_lines_before(lines, start + pd.Timedelta(days=horizon_days))
    df = df[df["ordered_at"] >= start]
    purchases = df[df["status"] == "completed"].groupby("customer_id")["day"].nunique().astype(float)
    spend = df.groupby("customer_id")["net"].sum()
    return pd.DataFrame({"purchases": purchases, "spend": spend}).fillna(0.0)


# --- BG/NBD ------------------------------------------------------------------------------------
def _bgnbd_log_likelihood(params, x, t_x, T):
    """Per-customer log-likelihood of Fader, Hardie & Lee (2005), eq. 6, written in logs so large x stays finite."""
    r, alpha, a, b = params
    ll = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
          + special.betaln(a, b + x) - special.betaln(a, b))
    still_alive = -(r + x) * np.log(alpha + T)
    dropped_after_last = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x)
    return ll + np.where(x > 0, np.logaddexp(still_alive, dropped_after_last), still_alive)


def _collapse(summary: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Identical customers once, with a count: many share (x=0, t_x=0, T), so the fit gets much cheaper."""
    grouped = summary[columns].astype(float).value_counts().reset_index()
    return grouped[columns].to_numpy().T, grouped["count"].to_numpy(dtype=float)


@dataclass(frozen=True)
class BGNBD:
    """Fitted BG/NBD: purchase rate ~ Gamma(r, alpha) per day, dropout after each purchase ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int

    def _columns(self, summary: pd.DataFrame):
        return (summary["frequency"].to_numpy(float), summary["recency"].to_numpy(float), summary["T"].to_numpy(float))

    def _log_dropout_odds(self, x, t_x, T):
        """log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x): the odds that a customer already left."""
        return (np.log(self.a) - np.log(self.b + np.maximum(x, 1) - 1)
                + (self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x)))

    def probability_alive(self, summary: pd.DataFrame) -> pd.Series:
        """P(still active at T); 1 for customers who never came back, since BG/NBD drops out only after a repeat."""
        x, t_x, T = self._columns(summary)
        p = np.where(x > 0, special.expit(-self._log_dropout_odds(x, t_x, T)), 1.0)
        return pd.Series(p, index=summary.index, name="probability_alive")

    def expected_purchases(self, summary: pd.DataFrame, horizon_days: float) -> pd.Series:
        """Expected purchase days in (T, T + horizon] given each customer's history (FHL 2005, eq. 10).

        The hypergeometric term is taken through Euler's transformation, (1-z)^(r+x) 2F1(r+x, b+x; c; z)
        = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z), whose parameters do not grow with x, so heavy buyers
        stay accurate.
        """
        x, t_x, T = self._columns(summary)
        r, alpha, a, b, t = self.r, self.alpha, self.a, self.b, float(horizon_days)
        z = t / (alpha + T + t)
        c = a + b + x - 1
        tail = (1 - z) ** (a - 1) * special.hyp2f1(a + b - 1 - r, a - 1, c, z)
        unconditional_alive = (c / (a - 1)) * (1 - tail)
        odds = np.where(x > 0, np.exp(np.minimum(self._log_dropout_odds(x, t_x, T), 700)), 0.0)
        return pd.Series(unconditional_alive / (1 + odds), index=summary.index, name="expected_purchases")

    def population_expected_purchases(self, t: float) -> float:
        """E[X(t)] for a customer just acquired: the model's answer with no history."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + t)
        return float((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, z)))


def fit_bgnbd(summary: pd.DataFrame) -> BGNBD:
    """Maximum-likelihood BG/NBD on (frequency, recency, T), optimised over log-parameters.

    Time is rescaled so the longest T is 10 before fitting (as `lifetimes` does) to keep alpha near 1
    for the optimiser, then alpha is scaled back to days.
    """
    (x, t_x, T), weight = _collapse(summary, ["frequency", "recency", "T"])
    scale = float(10.0 / T.max())
    x, t_x, T = x, t_x * scale, T * scale

    def negative_ll(log_params):
        return -np.sum(weight * _bgnbd_log_likelihood(np.exp(log_params), x, t_x, T)) / weight.sum()

    bounds = [(-9.0, 9.0)] * 4
    best = None
    for start in (np.zeros(4), np.array([-1.0, 0.0, -0.5, 1.0])):
        result = optimize.minimize(negative_ll, start, method="L-BFGS-B", bounds=bounds)
        if best is None or result.fun < best.fun:
            best = result
    r, alpha, a, b = (float(v) for v in np.exp(best.x))
    return BGNBD(r=r, alpha=alpha / scale, a=a, b=b, log_likelihood=float(-best.fun * weight.sum()), customers=int(weight.sum()))


# --- Gamma-Gamma -------------------------------------------------------------------------------
@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma spend model: a purchase ~ Gamma(p, nu), nu ~ Gamma(q, gamma) per customer."""

    p: float
    q: float
    gamma: float
    customers: int

    @property
    def population_mean_spend(self) -> float:
        """Mean spend per purchase across customers, the prior every customer starts from."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("nan")

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """E[mean purchase value | x repeat purchases averaging m]: a weighted mix of the prior and the customer's mean.

        Customers with no repeat purchase (or no positive spend) get the population mean.
        """
        x = summary["frequency"].to_numpy(float)
        m = summary["monetary_value"].to_numpy(float)
        usable = (x > 0) & (m > 0)
        x_, m_ = np.where(usable, x, 0.0), np.where(usable, m, 0.0)
        conditional = self.p * (self.gamma + x_ * m_) / (self.p * x_ + self.q - 1)
        return pd.Series(np.where(usable, conditional, self.population_mean_spend), index=summary.index,
                         name="expected_spend")


def fit_gamma_gamma(summary: pd.DataFrame) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma (Fader & Hardie 2013 note) on customers with x > 0 and positive spend."""
    used = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    x = used["frequency"].to_numpy(float)
    m = used["monetary_value"].to_numpy(float)
    scale = float(1.0 / np.median(m))  # spend in units of the median so log-parameters start near 0
    m_scaled = m * scale

    def negative_ll(log_params):
        p, q, gamma = np.exp(log_params)
        ll = (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(gamma)
              + (p * x - 1) * np.log(m_scaled) + p * x * np.log(x) - (p * x + q) * np.log(x * m_scaled + gamma))
        return -ll.mean()

    result = optimize.minimize(negative_ll, np.zeros(3), method="L-BFGS-B", bounds=[(-9.0, 9.0)] * 3)
    p, q, gamma = (float(v) for v in np.exp(result.x))
    return GammaGamma(p=p, q=q, gamma=gamma / scale, customers=len(used))


# --- LightGBM next-period spend ----------------------------------------------------------------
@dataclass
class SpendModel:
    """A LightGBM regressor from point-in-time features to net spend in the next horizon."""

    booster: lgb.LGBMRegressor
    features: tuple[str, ...]

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Predicted spend, floored at 0 (a model may dip below on tiny spenders)."""
        predicted = self.booster.predict(features[list(self.features)].astype(float))
        return pd.Series(np.clip(predicted, 0, None), index=features.index, name="predicted_spend")


def fit_spend_model(features: pd.DataFrame, target: pd.Series, seed: int = 42) -> SpendModel:
    """Squared-error LightGBM on spend, small and regularised: a few thousand customers, a heavy tail."""
    columns = tuple(c for c in SPEND_FEATURES if c in features.columns)
    model = lgb.LGBMRegressor(
        n_estimators=300, learning_rate=0.03, num_leaves=15, min_child_samples=40, subsample=0.8,
        subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0, random_state=seed, n_jobs=1,
        deterministic=True, verbose=-1,
    )
    model.fit(features[list(columns)].astype(float), target.reindex(features.index).fillna(0.0).astype(float))
    return SpendModel(booster=model, features=columns)


# --- evaluation and scoring --------------------------------------------------------------------
def _metrics(predicted: pd.Series, actual: pd.Series) -> dict:
    """MAE, RMSE, rank and linear correlation, and mean predicted vs actual per decile of the prediction."""
    predicted, actual = predicted.astype(float), actual.reindex(predicted.index).fillna(0.0).astype(float)
    error = predicted - actual
    decile = pd.qcut(predicted.rank(method="first"), 10, labels=False) + 1
    calibration = (pd.DataFrame({"decile": decile, "predicted": predicted, "actual": actual})
                   .groupby("decile").agg(mean_predicted=("predicted", "mean"), mean_actual=("actual", "mean"),
                                          customers=("actual", "size")).reset_index())
    return {
        "mae": float(error.abs().mean()),
        "rmse": float(np.sqrt((error ** 2).mean())),
        "spearman": float(stats.spearmanr(predicted, actual).statistic),
        "pearson": float(np.corrcoef(predicted, actual)[0, 1]),
        "calibration": calibration.to_dict("records"),
    }


def naive_value(summary: pd.DataFrame, horizon_days: float) -> pd.DataFrame:
    """The naive baseline as value columns: purchase days / T and net spend / T, carried forward over the
    horizon and 12 months. It has no notion of dropout, so probability_alive is null."""
    tenure = summary["T"].astype(float).clip(lower=1)
    spend_rate = summary["revenue"].astype(float).clip(lower=0) / tenure
    return pd.DataFrame({
        "expected_purchases_90d": ((summary["frequency"].astype(float) + 1) / tenure * horizon_days).to_numpy(),
        "expected_spend_90d": (spend_rate * horizon_days).to_numpy(),
        "value_12m": (spend_rate * 365).to_numpy(),
        "probability_alive": np.full(len(summary), np.nan),
    }, index=summary.index)


@dataclass
class OutOfTime:
    """An out-of-time evaluation: the features at the cutoff, what happened in the horizon after it, the
    value model fitted before the cutoff, and the figures (`result`, JSON-ready)."""

    features: pd.DataFrame
    truth: pd.DataFrame
    model: "CustomerValueModel"
    result: dict


def evaluate_out_of_time(lines: pd.DataFrame, cutoff, horizon_days: float = 90) -> dict:
    """The figures of `out_of_time` (a JSON-ready dict)."""
    return out_of_time(lines, cutoff, horizon_days).result


def out_of_time(lines: pd.DataFrame, cutoff, horizon_days: float = 90) -> OutOfTime:
    """Fit before `cutoff`, predict [cutoff, cutoff + horizon), and score against what happened.

    Purchases: BG/NBD vs the naive rate (purchase days / T * horizon, first day included, as the
    Online Retail reference figure uses) and the stronger repeat rate (repeat purchase days / T * horizon,
    which drops the first visit and so does not explode for customers who arrived days ago). Spend: BG/NBD x
    Gamma-Gamma vs LightGBM (trained one horizon earlier: features before cutoff - horizon, target in
    the horizon after it, then applied at cutoff) vs the naive rate (net spend / T * horizon).
    Customers are those with a completed order before the cutoff; newcomers in the holdout are ignored.
    """
    cutoff = pd.Timestamp(cutoff)
    features = spend_features(lines, cutoff)
    truth = holdout_truth(lines, cutoff, horizon_days).reindex(features.index).fillna(0.0)
    bgnbd = fit_bgnbd(features)
    gamma_gamma = fit_gamma_gamma(features)

    expected = bgnbd.expected_purchases(features, horizon_days)
    naive_purchases = (features["frequency"] + 1) / features["T"] * horizon_days
    repeat_rate_purchases = features["frequency"] / features["T"] * horizon_days
    spend_predictions = {
        "bgnbd_gamma_gamma": expected * gamma_gamma.expected_spend(features),
        "naive": naive_value(features, horizon_days)["expected_spend_90d"],
    }
    train_cutoff = cutoff - pd.Timedelta(days=horizon_days)
    train_features = spend_features(lines, train_cutoff)
    if len(train_features) >= 50:
        train_target = holdout_truth(lines, train_cutoff, horizon_days)["spend"]
        spend_model = fit_spend_model(train_features, train_target)
        spend_predictions["lightgbm"] = spend_model.predict(features)

    result = {
        "cutoff": str(cutoff.date()),
        "horizon_days": horizon_days,
        "customers": len(features),
        "bgnbd": {"r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b},
        "gamma_gamma": {"p": gamma_gamma.p, "q": gamma_gamma.q, "gamma": gamma_gamma.gamma},
        "purchases": {"bgnbd": _metrics(expected, truth["purchases"]),
                      "naive": _metrics(naive_purchases, truth["purchases"]),
                      "naive_repeat_rate": _metrics(repeat_rate_purchases, truth["purchases"])},
        "spend": {name: _metrics(predicted, truth["spend"]) for name, predicted in spend_predictions.items()},
        "actual_mean_purchases": float(truth["purchases"].mean()),
        "actual_mean_spend": float(truth["spend"].mean()),
    }
    return OutOfTime(features, truth, CustomerValueModel(bgnbd, gamma_gamma), result)


@dataclass
class CustomerValueModel:
    """BG/NBD for how often, Gamma-Gamma for how much: fitted once, applied to any order summary."""

    bgnbd: BGNBD
    gamma_gamma: GammaGamma

    @classmethod
    def fit(cls, summary: pd.DataFrame) -> "CustomerValueModel":
        return cls(fit_bgnbd(summary), fit_gamma_gamma(summary))

    def score(self, summary: pd.DataFrame, horizon_days: float = 90, monthly_discount_rate: float = 0.0) -> pd.DataFrame:
        """Expected purchases and spend in the horizon, 12-month value and P(alive), one row per summary row.

        value_12m = expected purchases over the next 12 months x expected spend per purchase. With a
        monthly_discount_rate d, each month's expected purchases (12 slices of 365 days) is divided by
        (1 + d)^month; the default 0 means undiscounted.
        """
        spend_per_purchase = self.gamma_gamma.expected_spend(summary)
        month = 365.0 / 12
        cumulative = [self.bgnbd.expected_purchases(summary, month * m) for m in range(13)]
        purchases_12m = sum((cumulative[m] - cumulative[m - 1]) / (1 + monthly_discount_rate) ** m for m in range(1, 13))
        expected = self.bgnbd.expected_purchases(summary, horizon_days)
        return pd.DataFrame({
            "customer_id": summary.index,
            "expected_purchases_90d": expected.to_numpy(),
            "expected_spend_90d": (expected * spend_per_purchase).to_numpy(),
            "value_12m": (purchases_12m * spend_per_purchase).to_numpy(),
            "probability_alive": self.bgnbd.probability_alive(summary).to_numpy(),
        })


def score_customer_value(lines: pd.DataFrame, as_of, horizon_days: float = 90,
                         monthly_discount_rate: float = 0.0) -> pd.DataFrame:
    """One row per customer with a completed order before `as_of`, from models fitted on the same history."""
    summary = order_summary(lines, as_of)
    return CustomerValueModel.fit(summary).score(summary, horizon_days, monthly_discount_rate)

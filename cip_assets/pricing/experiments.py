"""A/B tests: how big and how long, how to read one that finished, and what a campaign would earn.

Formulas (two independent proportions, normal approximation):

* sample size per arm (pooled variance under H0, unpooled under H1; Fleiss 1981 without the
  continuity correction):
      n = ( z_{1-a/2} * sqrt(2 pbar (1-pbar)) + z_{1-b} * sqrt(p1 (1-p1) + p2 (1-p2)) )^2 / (p2 - p1)^2,
  pbar = (p1 + p2) / 2; for p1=0.10, p2=0.12, alpha 0.05 two-sided, power 0.8 -> 3,841 per arm.
* reading a finished test: difference p_t - p_c with a Wald interval (unpooled standard error) and
  the two-sided p-value of the pooled two-proportion z-test.
* peeking: a test read before its planned size is reached (or read repeatedly) inflates the
  false-positive rate; the readout states it and gives the O'Brien-Fleming-type boundary of
  Lan-DeMets alpha spending at the information fraction reached, alpha(t) = 2 - 2 Phi(z_{1-a/2} / sqrt(t)).
* campaign ROI: Beta(1 + responders, 1 + non-responders) posteriors for the control and treated
  response rates, drawn together; every draw gives incremental responders, revenue, discount cost,
  contact cost and profit for N targeted customers; reported as mean and a 90% interval.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm


def _z(q: float) -> float:
    return float(norm.ppf(q))


def sample_size_per_arm(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8,
                        two_sided: bool = True) -> int:
    """Customers per arm to detect a change from response rate p1 to p2 (formula in the module docstring)."""
    if not (0 < p1 < 1 and 0 < p2 < 1) or p1 == p2:
        raise ValueError("p1 and p2 must be distinct rates strictly between 0 and 1")
    za = _z(1 - alpha / 2) if two_sided else _z(1 - alpha)
    zb = _z(power)
    pbar = (p1 + p2) / 2
    n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2
    return math.ceil(n - 1e-9)


def design(baseline: float, mde: float, alpha: float = 0.05, power: float = 0.8, arms: int = 2,
           daily_traffic: float | None = None, share_in_test: float = 1.0, relative: bool = False) -> dict:
    """A test plan: sample size per arm and in total, and its duration in days for the given daily traffic.

    mde is absolute (0.02 = two points) unless relative=True (0.1 = +10% of the baseline). With more than two
    arms each treatment is compared with control at alpha / (arms - 1) (Bonferroni)."""
    target = baseline * (1 + mde) if relative else baseline + mde
    comparisons = max(arms - 1, 1)
    n = sample_size_per_arm(baseline, target, alpha / comparisons, power)
    plan = {"baseline": baseline, "target": target, "mde_absolute": target - baseline, "alpha": alpha,
            "alpha_per_comparison": alpha / comparisons, "power": power, "arms": arms, "n_per_arm": n,
            "n_total": n * arms, "days": None}
    if daily_traffic:
        plan["days"] = math.ceil(n * arms / (daily_traffic * share_in_test))
    return plan


def minimum_detectable_effect(baseline: float, n_per_arm: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest absolute lift over `baseline` that n_per_arm customers per arm detect (bisection on the
    sample-size formula)."""
    lo, hi = 1e-6, 1 - baseline - 1e-6
    if hi <= lo or sample_size_per_arm(baseline, baseline + hi, alpha, power) > n_per_arm:
        return float("nan")
    for _ in range(60):
        mid = (lo + hi) / 2
        if sample_size_per_arm(baseline, baseline + mid, alpha, power) > n_per_arm:
            lo = mid
        else:
            hi = mid
    return hi


@dataclass
class Readout:
    n_control: int
    n_treated: int
    rate_control: float
    rate_treated: float
    difference: float
    ci_low: float
    ci_high: float
    relative_lift: float
    z: float
    p_value: float
    significant: bool
    mde_at_this_size: float
    warning: str

    def as_dict(self) -> dict:
        return asdict(self)


def read_test(conv_control: int, n_control: int, conv_treated: int, n_treated: int, alpha: float = 0.05,
              planned_n_per_arm: int | None = None, looks: int = 1) -> Readout:
    """Read a finished two-arm test (formulas in the module docstring)."""
    if n_control <= 0 or n_treated <= 0:
        raise ValueError("both arms need at least one customer")
    pc, pt = conv_control / n_control, conv_treated / n_treated
    diff = pt - pc
    se = math.sqrt(pc * (1 - pc) / n_control + pt * (1 - pt) / n_treated)
    z_crit = _z(1 - alpha / 2)
    pooled = (conv_control + conv_treated) / (n_control + n_treated)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_control + 1 / n_treated))
    z = diff / se0 if se0 > 0 else 0.0
    p = float(2 * norm.sf(abs(z))) if se0 > 0 else 1.0
    warnings = []
    if planned_n_per_arm and min(n_control, n_treated) < planned_n_per_arm:
        t = min(n_control, n_treated) / planned_n_per_arm
        spent = 2 - 2 * norm.cdf(z_crit / math.sqrt(t))
        warnings.append(
            f"read at {t:.0%} of the planned {planned_n_per_arm:,} per arm: peeking inflates false positives; "
            f"an O'Brien-Fleming boundary at this point needs p < {spent:.4f}"
            + (" (met)" if p < spent else " (not met: keep the test running)"))
    if looks > 1:
        warnings.append(f"looked at {looks} times: with repeated looks at alpha {alpha} the real false-positive "
                        f"rate is higher than {alpha}; use a sequential boundary or the planned end only")
    if 0 < pooled < 1:
        mde = minimum_detectable_effect(pc if 0 < pc < 1 else pooled, min(n_control, n_treated), alpha)
    else:
        mde = float("nan")
    return Readout(n_control, n_treated, pc, pt, diff, diff - z_crit * se, diff + z_crit * se,
                   diff / pc if pc > 0 else float("nan"), z, p, p < alpha, mde, "; ".join(warnings))


def simulate_roi(n_targeted: int, conv_control: int, n_control: int, conv_treated: int, n_treated: int,
                 order_value: float, margin: float, discount_pct: float = 0.0, contact_cost: float = 0.0,
                 draws: int = 4000, seed: int = 0) -> dict:
    """Expected reactivations, revenue, cost and profit of targeting N customers with an arm, with a 90%
    interval, from Beta posteriors of the control and treated response rates (see the module docstring).

    Revenue counts incremental orders at the discounted price; cost is the discount on every treated order
    (incremental or not) plus the contact cost; profit = incremental margin - discount on baseline orders -
    contact cost."""
    rng = np.random.default_rng(seed)
    pc = rng.beta(1 + conv_control, 1 + n_control - conv_control, draws)
    pt = rng.beta(1 + conv_treated, 1 + n_treated - conv_treated, draws)
    d = discount_pct / 100.0
    incremental = n_targeted * (pt - pc)
    revenue = incremental * order_value * (1 - d)
    discount_cost = n_targeted * pt * order_value * d
    cost = discount_cost + n_targeted * contact_cost
    profit = incremental * order_value * (margin - d) - n_targeted * pc * order_value * d - n_targeted * contact_cost
    out = {"n_targeted": int(n_targeted), "draws": draws}
    for name, values in (("incremental_conversions", incremental), ("incremental_revenue", revenue),
                         ("cost", cost), ("profit", profit)):
        out[name] = float(values.mean())
        out[f"{name}_low"] = float(np.quantile(values, 0.05))
        out[f"{name}_high"] = float(np.quantile(values, 0.95))
    out["probability_profitable"] = float((profit > 0).mean())
    return out


def roi_table(groups: pd.DataFrame, margin: float, contact_cost: float = 0.0, draws: int = 4000,
              seed: int = 0) -> pd.DataFrame:
    """simulate_roi for every row of `groups` (columns: n_targeted, conv_control, n_control, conv_treated,
    n_treated, order_value, discount_pct, plus any label columns, which are kept)."""
    rows = []
    for i, g in enumerate(groups.to_dict("records")):  # one row per segment x arm, not per customer
        sim = simulate_roi(int(g["n_targeted"]), int(g["conv_control"]), int(g["n_control"]), int(g["conv_treated"]),
                           int(g["n_treated"]), float(g["order_value"]), margin, float(g.get("discount_pct") or 0.0),
                           contact_cost, draws, seed + i)
        rows.append({**g, **sim})
    return pd.DataFrame(rows)


def readout_rows(frame: pd.DataFrame, campaign_id: str, planned: dict, looks: dict) -> list[dict]:
    """Every treated arm of one campaign read against control, per outcome (converted, visited), with the
    peeking warning (`experiments.planned_n_per_arm` / `experiments.looks` in cip.yaml)."""
    rows = []
    grouped = frame.groupby("arm").agg(**{f"{o}_{s}": (o, s) for o in ("converted", "visited")
                                          for s in ("sum", "count")})
    if "control" not in grouped.index:
        return rows
    ctrl = grouped.loc["control"]
    for arm in grouped.index.drop("control"):
        t = grouped.loc[arm]
        for outcome in ("converted", "visited"):
            if ctrl[f"{outcome}_count"] == 0 or t[f"{outcome}_count"] == 0:
                continue
            r = read_test(int(ctrl[f"{outcome}_sum"]), int(ctrl[f"{outcome}_count"]), int(t[f"{outcome}_sum"]),
                          int(t[f"{outcome}_count"]), planned_n_per_arm=planned.get(campaign_id),
                          looks=int(looks.get(campaign_id, 1)))
            warning = r.warning or ("no planned size recorded (experiments.planned_n_per_arm in cip.yaml): if the "
                                    "test was read repeatedly before it ended, this p-value is optimistic")
            rows.append({"campaign_id": campaign_id, "arm": arm, "outcome": outcome, **r.as_dict(),
                         "warning": warning})
    return rows

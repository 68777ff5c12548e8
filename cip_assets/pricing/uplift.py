"""Uplift models for randomised campaigns: who responds to an offer, one effect per arm against control.

Learners (all LightGBM underneath, all fit on the rows of one treatment arm plus the control rows):

* ``t_learner``   two models, P(y | x, treated) - P(y | x, control).
* ``x_learner``   Kuenzel et al. (2019): the T-learner's models impute each row's effect
                  (treated: y - mu0(x), control: mu1(x) - y), two regressions model those, and the
                  two are blended with the propensity e: tau = e * tau0 + (1 - e) * tau1.
* ``class_transformation``  Jaskowski & Jaroszewicz (2012): z = y*t + (1-y)*(1-t) with the arms
                  re-weighted to 50/50 (so unequal group sizes are allowed); uplift = 2 P(z=1 | x) - 1.
* ``dr_learner``  Kennedy (2020) doubly robust: cross-fitted outcome models and the known
                  randomisation propensity give the AIPW pseudo-outcome, regressed on x.

Evaluation on a held-out split (the definitions used throughout CIP):

* ``qini_normalised``  scikit-uplift's ``qini_auc_score`` (negative_effect=True): the area between
  the model's Qini curve and the random-targeting diagonal, divided by the same area for the
  perfect ordering. 0 = random, 1 = perfect.
* ``auuc``             scikit-uplift's ``uplift_auc_score``: the same ratio for the uplift curve.
* ``uplift_at_k``      scikit-uplift's ``uplift_at_k(strategy="by_group")``: the response rate of the
  top k share of treated rows minus that of the top k share of control rows (ranked by the model).
* the average effect of the arm, with a 95% Wald interval (unpooled), on all randomised rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklift.metrics import qini_auc_score, qini_curve, uplift_at_k, uplift_auc_score

from cip_assets.pricing.experiments import read_test

LEARNERS = ("t_learner", "x_learner", "class_transformation", "dr_learner")
TOP_SHARES = (0.1, 0.2, 0.3)

_TREE = dict(n_estimators=200, learning_rate=0.02, num_leaves=4, subsample=0.8, subsample_freq=1,
             colsample_bytree=0.8, reg_lambda=5.0, verbose=-1, n_jobs=1)
# shallow trees: uplift is a small difference of noisy rates, deep trees mostly learn noise (4 leaves beat 15 on the
# synthetic truth: Spearman with the true effect 0.31 vs 0.20); n_jobs=1: threads fight on small data


def _min_leaf(n: int, cap: int) -> int:
    """Leaves of at least ~n/30 rows, between 10 and `cap`: enough rows per leaf for a noisy response rate."""
    return int(min(cap, max(10, n // 30)))


def _classifier(seed: int, n: int = 10_000) -> LGBMClassifier:
    return LGBMClassifier(random_state=seed, min_child_samples=_min_leaf(n, 100), **_TREE)


def _regressor(seed: int, n: int = 10_000) -> LGBMRegressor:
    return LGBMRegressor(random_state=seed, min_child_samples=_min_leaf(n, 200), **_TREE)


def _proba(model: LGBMClassifier, X: pd.DataFrame, fallback: float) -> np.ndarray:
    if model is None:  # a group with a single class: its rate is a constant
        return np.full(len(X), fallback)
    return model.predict_proba(X)[:, 1]


def _fit_classifier(X: pd.DataFrame, y: np.ndarray, seed: int, weight: np.ndarray | None = None):
    if len(np.unique(y)) < 2:
        return None
    return _classifier(seed, len(y)).fit(X, y, sample_weight=weight)


@dataclass
class UpliftLearner:
    """One learner for one arm against control: fit(X, treated, y), then predict(X) -> uplift."""

    name: str
    seed: int = 0
    models: dict = field(default_factory=dict)
    propensity: float = 0.5

    def fit(self, X: pd.DataFrame, treated: np.ndarray, y: np.ndarray) -> "UpliftLearner":
        if self.name not in LEARNERS:
            raise ValueError(f"unknown learner {self.name!r}; choose one of {LEARNERS}")
        t = np.asarray(treated).astype(bool)
        y = np.asarray(y).astype(int)
        if t.all() or not t.any():
            raise ValueError("uplift needs both treated and control rows")
        self.propensity = e = float(t.mean())
        self.rates = (float(y[~t].mean()), float(y[t].mean()))
        s = self.seed
        if self.name in ("t_learner", "x_learner"):
            mu0 = _fit_classifier(X[~t], y[~t], s)
            mu1 = _fit_classifier(X[t], y[t], s + 1)
            self.models = {"mu0": mu0, "mu1": mu1}
            if self.name == "x_learner":
                d1 = y[t] - _proba(mu0, X[t], self.rates[0])
                d0 = _proba(mu1, X[~t], self.rates[1]) - y[~t]
                self.models["tau1"] = _regressor(s + 2, len(d1)).fit(X[t], d1)
                self.models["tau0"] = _regressor(s + 3, len(d0)).fit(X[~t], d0)
        elif self.name == "class_transformation":
            z = (y * t + (1 - y) * (~t)).astype(int)
            weight = np.where(t, 0.5 / e, 0.5 / (1 - e))
            self.models = {"z": _fit_classifier(X, z, s, weight)}
        else:  # dr_learner: cross-fitted outcome models, known propensity (randomised)
            mu0_hat, mu1_hat = np.zeros(len(y)), np.zeros(len(y))
            for k, (fit_idx, pred_idx) in enumerate(KFold(2, shuffle=True, random_state=s).split(X)):
                Xf, tf, yf = X.iloc[fit_idx], t[fit_idx], y[fit_idx]
                m0 = _fit_classifier(Xf[~tf], yf[~tf], s + 10 * k)
                m1 = _fit_classifier(Xf[tf], yf[tf], s + 10 * k + 1)
                mu0_hat[pred_idx] = _proba(m0, X.iloc[pred_idx], yf[~tf].mean())
                mu1_hat[pred_idx] = _proba(m1, X.iloc[pred_idx], yf[tf].mean())
            pseudo = mu1_hat - mu0_hat + np.where(t, (y - mu1_hat) / e, -(y - mu0_hat) / (1 - e))
            self.models = {"tau": _regressor(s + 4, len(pseudo)).fit(X, pseudo)}
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        m = self.models
        if self.name == "t_learner":
            return _proba(m["mu1"], X, self.rates[1]) - _proba(m["mu0"], X, self.rates[0])
        if self.name == "x_learner":
            e = self.propensity
            return e * m["tau0"].predict(X) + (1 - e) * m["tau1"].predict(X)
        if self.name == "class_transformation":
            return 2 * _proba(m["z"], X, 0.5) - 1
        return m["tau"].predict(X)


# --- covariates ---------------------------------------------------------------------------------
def encode_covariates(frame: pd.DataFrame, max_levels: int = 50) -> pd.DataFrame:
    """Numeric where a column reads as numbers (>= 90% of its non-null values), else a pandas category
    (LightGBM splits on categories natively); text columns with more than `max_levels` levels are dropped."""
    out = {}
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_bool_dtype(values):
            out[col] = values.astype("float64")
            continue
        if pd.api.types.is_numeric_dtype(values):
            out[col] = values.astype("float64")
            continue
        numeric = pd.to_numeric(values, errors="coerce")
        non_null = values.notna().sum()
        if non_null and numeric.notna().sum() >= 0.9 * non_null:
            out[col] = numeric.astype("float64")
        elif values.nunique() <= max_levels:
            out[col] = values.astype("string").astype("category")
    return pd.DataFrame(out, index=frame.index)


def align_categories(X: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Give X the columns and category levels of the training frame (unknown levels become missing)."""
    X = X.reindex(columns=reference.columns)
    for col in reference.columns:
        if isinstance(reference[col].dtype, pd.CategoricalDtype):
            X[col] = pd.Categorical(X[col].astype("string"), categories=reference[col].cat.categories)
        else:
            X[col] = pd.to_numeric(X[col], errors="coerce").astype("float64")
    return X


# --- evaluation ---------------------------------------------------------------------------------
def uplift_metrics(y: np.ndarray, uplift: np.ndarray, treated: np.ndarray) -> dict[str, float]:
    """Normalised Qini, AUUC and uplift in the top 10/20/30% (definitions in the module docstring)."""
    y, uplift, t = np.asarray(y).astype(int), np.asarray(uplift, dtype=float), np.asarray(treated).astype(int)
    with warnings.catch_warnings():  # scikit-uplift 0.5.1 calls sklearn's deprecated stable_cumsum
        warnings.simplefilter("ignore", FutureWarning)
        out = {"qini_normalised": float(qini_auc_score(y, uplift, t)), "auuc": float(uplift_auc_score(y, uplift, t))}
        for k in TOP_SHARES:
            out[f"uplift_at_{int(k * 100)}"] = float(uplift_at_k(y, uplift, t, strategy="by_group", k=k))
    return out


def qini_points(y: np.ndarray, uplift: np.ndarray, treated: np.ndarray, n_points: int = 21) -> pd.DataFrame:
    """The Qini curve at evenly spaced targeted shares: incremental responders (treated responders minus
    control responders scaled to the treated count) per customer in the sample, beside random targeting."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        x, q = qini_curve(np.asarray(y).astype(int), np.asarray(uplift, dtype=float), np.asarray(treated).astype(int))
    n = len(y)
    share = np.linspace(0, 1, n_points)
    qini = np.interp(share * n, x, q) / n
    return pd.DataFrame({"share_targeted": share, "qini": qini, "random": share * q[-1] / n})


def split(arm: np.ndarray, test_size: float = 0.3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A train/test split of row positions, stratified by arm."""
    idx = np.arange(len(arm))
    return train_test_split(idx, test_size=test_size, random_state=seed, stratify=arm)


def evaluate_campaign(X: pd.DataFrame, arm: np.ndarray, outcomes: dict[str, np.ndarray], control: str,
                      learners=LEARNERS, test_size: float = 0.3, seed: int = 0,
                      min_rows: int = 100) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every learner, for every arm against control and every outcome, fit on the training split and
    measured on the held-out split; the average effect of each arm on all randomised rows.

    Returns (evaluation rows, Qini curve points)."""
    arm = np.asarray(arm).astype(str)
    train_idx, test_idx = split(arm, test_size, seed)
    in_train = np.zeros(len(arm), bool)
    in_train[train_idx] = True
    rows, curves = [], []
    for a in sorted(set(arm) - {control}):
        pair = (arm == a) | (arm == control)
        tr, te = pair & in_train, pair & ~in_train
        for outcome, y in outcomes.items():
            y = np.asarray(y).astype(float)
            known = ~np.isnan(y)
            tr_o, te_o, all_o = tr & known, te & known, pair & known
            t_all = arm[all_o] == a
            if all_o.sum() < min_rows or t_all.all() or not t_all.any():
                continue
            yi = y.astype(int, copy=False) if known.all() else np.where(known, y, 0).astype(int)
            ate = read_test(int(yi[all_o][~t_all].sum()), int((~t_all).sum()), int(yi[all_o][t_all].sum()),
                            int(t_all.sum()))
            base = {"arm": a, "outcome": outcome, "ate": ate.difference, "ate_low": ate.ci_low,
                    "ate_high": ate.ci_high, "ate_p_value": ate.p_value, "n_treated": int(t_all.sum()),
                    "n_control": int((~t_all).sum()), "n_test_treated": int((arm[te_o] == a).sum()),
                    "n_test_control": int((arm[te_o] == control).sum())}
            t_test = arm[te_o] == a
            if len(np.unique(yi[te_o])) < 2 or t_test.all() or not t_test.any():
                continue
            for name in learners:
                learner = UpliftLearner(name, seed=seed).fit(X[tr_o], arm[tr_o] == a, yi[tr_o])
                pred = learner.predict(X[te_o])
                rows.append({"learner": name, **base, **uplift_metrics(yi[te_o], pred, t_test),
                             "mean_predicted_uplift": float(pred.mean())})
                curves.append(qini_points(yi[te_o], pred, t_test).assign(learner=name, arm=a, outcome=outcome))
    evaluation = pd.DataFrame(rows)
    curve = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
        columns=["share_targeted", "qini", "random", "learner", "arm", "outcome"])
    return evaluation, curve


def best_learner(evaluation: pd.DataFrame, outcome: str) -> str:
    """The learner with the highest mean normalised Qini over the arms for `outcome` (t_learner if none)."""
    rows = evaluation[evaluation.outcome == outcome] if len(evaluation) else evaluation
    if not len(rows):
        return "t_learner"
    return str(rows.groupby("learner")["qini_normalised"].mean().idxmax())


def blp_calibration(X: pd.DataFrame, treated: np.ndarray, y: np.ndarray, learner: str, seed: int = 0
                    ) -> tuple[float, float]:
    """Shrink noisy per-customer uplift: the best linear predictor of the effect given the prediction
    (Chernozhukov et al. 2018), from 2-fold cross-fitted predictions and the transformed outcome
    y * (t / e - (1 - t) / (1 - e)), whose mean given x is the true effect. Returns (ate, beta): calibrated
    uplift = ate + beta * (prediction - mean prediction); beta near 1 means the ranking's spread is real,
    near 0 that it is noise. beta is clipped to [0, 1.5]."""
    t = np.asarray(treated).astype(bool)
    y = np.asarray(y).astype(float)
    pred = np.zeros(len(y))
    folds = StratifiedKFold(2, shuffle=True, random_state=seed).split(X, t.astype(int) * 2 + y.astype(int))
    for k, (fit_idx, pred_idx) in enumerate(folds):
        model = UpliftLearner(learner, seed=seed + k).fit(X.iloc[fit_idx], t[fit_idx], y[fit_idx])
        pred[pred_idx] = model.predict(X.iloc[pred_idx])
    e = t.mean()
    ystar = y * (t / e - (~t) / (1 - e))
    ate = float(y[t].mean() - y[~t].mean())
    centred = pred - pred.mean()
    var = float((centred ** 2).mean())
    beta = float((centred * (ystar - ystar.mean())).mean() / var) if var > 1e-12 else 0.0
    return ate, float(np.clip(beta, 0.0, 1.5))


@dataclass
class PolicyModel:
    """What the recommendations need: the baseline response model and one uplift learner per arm, each with
    its calibration (ate, beta, centre): uplift = ate + beta * (prediction - centre)."""

    learner: str
    features: pd.DataFrame  # zero-row frame with the training columns and dtypes
    control_rate: float
    base: LGBMClassifier | None
    arms: dict[str, UpliftLearner]
    discount_pct: dict[str, float]
    calibration: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def predict(self, X: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
        """Baseline response probability and predicted (calibrated) uplift per arm for every row of X."""
        X = align_categories(X, self.features)
        base = _proba(self.base, X, self.control_rate)
        uplift = {}
        for a, m in self.arms.items():
            raw = m.predict(X)
            if a in self.calibration:
                ate, beta, centre = self.calibration[a]
                raw = ate + beta * (raw - centre)
            uplift[a] = raw
        return base, pd.DataFrame(uplift, index=X.index)


def dose_response_shrinkage(ate: dict[str, float], se: dict[str, float], discount_pct: dict[str, float]
                            ) -> dict[str, float]:
    """Empirical-Bayes shrinkage of the arms' average effects toward a proportional dose-response
    (effect = k * discount, k by inverse-variance weighted least squares through the origin): each arm keeps
    tau2 / (tau2 + se2) of its own estimate, tau2 being the between-arm spread around the line beyond sampling
    noise. Small campaigns overstate some arms by chance; an offer decision taken on the raw estimate then
    gives that arm to everyone. Arms without a positive discount, or fewer than two such arms, are unchanged."""
    arms = [a for a in ate if (discount_pct.get(a) or 0) > 0 and se.get(a, 0) > 0]
    if len(arms) < 2 or len({discount_pct[a] for a in arms}) < 2:
        return dict(ate)
    d = np.array([float(discount_pct[a]) for a in arms])
    est = np.array([ate[a] for a in arms])
    var = np.array([se[a] ** 2 for a in arms])
    k = float((d * est / var).sum() / (d ** 2 / var).sum())
    tau2 = max(0.0, float(np.mean((est - k * d) ** 2 - var)))
    shrunk = dict(ate)
    for a, di, ei, vi in zip(arms, d, est, var):
        shrunk[a] = float((tau2 * ei + vi * k * di) / (tau2 + vi))
    return shrunk


def fit_policy(X: pd.DataFrame, arm: np.ndarray, y: np.ndarray, control: str, discount_pct: dict[str, float],
               learner: str = "t_learner", seed: int = 0, calibrate: bool = True, shrink: bool = True
               ) -> PolicyModel:
    """Fit the chosen learner for every arm on all randomised rows, plus the control response model.

    calibrate: each arm's predictions become ate + beta * (prediction - centre), beta from the cross-fitted
    best linear predictor (blp_calibration); shrink: the arms' ate are shrunk toward a proportional
    dose-response in the discount (dose_response_shrinkage)."""
    arm = np.asarray(arm).astype(str)
    y = np.asarray(y).astype(int)
    ctrl = arm == control
    models, calibration, ates, ses = {}, {}, {}, {}
    for a in sorted(set(arm) - {control}):
        pair = (arm == a) | ctrl
        models[a] = UpliftLearner(learner, seed=seed).fit(X[pair], arm[pair] == a, y[pair])
        ya, yc = y[arm == a], y[ctrl]
        ses[a] = float(np.sqrt(ya.mean() * (1 - ya.mean()) / len(ya) + yc.mean() * (1 - yc.mean()) / len(yc)))
        if calibrate:
            ates[a], beta = blp_calibration(X[pair], arm[pair] == a, y[pair], learner, seed)
            calibration[a] = (ates[a], beta, float(models[a].predict(X[pair]).mean()))
    if calibrate and shrink:
        shrunk = dose_response_shrinkage(ates, ses, discount_pct)
        calibration = {a: (shrunk[a], beta, centre) for a, (_, beta, centre) in calibration.items()}
    return PolicyModel(learner=learner, features=X.head(0).copy(), control_rate=float(y[ctrl].mean()),
                       base=_fit_classifier(X[ctrl], y[ctrl], seed + 99), arms=models,
                       discount_pct={a: float(discount_pct.get(a) or 0.0) for a in models}, calibration=calibration,
                       meta={"raw_ate": ates, "ate_se": ses})

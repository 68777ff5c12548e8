"""One model lifecycle for every model family: register a candidate, decide against the champion, load it.

A training asset evaluates its model out of time beside its baselines, registers the best of them
(a baseline that wins is a legitimate candidate, registered like any model and tagged as a
baseline), then `decide` re-scores the current champion on the same evaluation and promotes the
candidate only when it is at least as good. A candidate that loses leaves the champion in place.
Losing is never an error: every decision is appended to `ml.model_decisions`, and the family's
asset check turns WARN with the figures. Registered models are self-contained MLflow pyfuncs: what
scores, with whatever calibration or policy it needs, is inside the model.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

import dagster as dg
import mlflow
import pandas as pd

from cip_resources.tables import TableSpec, table_exists, write_table

log = logging.getLogger("cip.lifecycle")

MODEL_DECISIONS = TableSpec("ml", "model_decisions", {
    "decided_at": "TIMESTAMPTZ", "model": "VARCHAR", "metric": "VARCHAR", "higher_is_better": "BOOLEAN",
    "trained_method": "VARCHAR", "trained_score": "DOUBLE", "best_baseline": "VARCHAR", "best_baseline_score": "DOUBLE",
    "candidate_method": "VARCHAR", "candidate_version": "VARCHAR", "candidate_score": "DOUBLE",
    "champion_before": "VARCHAR", "champion_before_method": "VARCHAR", "champion_before_score": "DOUBLE",
    "promoted": "BOOLEAN", "champion_version": "VARCHAR", "champion_method": "VARCHAR", "scores": "JSON",
    "summary": "VARCHAR"}, grain="one row per training decision of a registered model")


@dataclass
class Decision:
    model: str                         # the registered model's name
    metric: str
    scores: dict[str, float]           # every method of this training on the out-of-time evaluation
    trained_method: str                # the method that was trained (the others are baselines)
    candidate_method: str              # the best method: the one registered as the candidate
    candidate_version: str
    promoted: bool
    champion_version: str              # after the decision
    champion_method: str
    champion_before: str | None = None
    champion_before_method: str | None = None
    champion_before_score: float | None = None  # the previous champion re-scored on this evaluation
    higher_is_better: bool = True
    decided_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def _better(self, a: float, b: float) -> bool:
        return a >= b if self.higher_is_better else a <= b

    @property
    def baselines(self) -> dict[str, float]:
        return {m: s for m, s in self.scores.items() if m != self.trained_method}

    @property
    def best_baseline(self) -> str | None:
        if not self.baselines:
            return None
        pick = max if self.higher_is_better else min
        return pick(self.baselines, key=self.baselines.get)

    @property
    def model_beats_baselines(self) -> bool:
        best = self.best_baseline
        return best is None or (self._better(self.scores[self.trained_method], self.baselines[best])
                                and self.scores[self.trained_method] != self.baselines[best])

    @property
    def summary(self) -> str:
        figures = ", ".join(f"{m} {s:.4f}" for m, s in self.scores.items())
        text = f"{self.model} {self.metric} on the held-out evaluation: {figures}."
        if not self.model_beats_baselines:
            text += f" The trained {self.trained_method} did not beat {self.best_baseline}."
        if self.champion_before is not None and self.champion_before != self.candidate_version:
            before = ("could not be re-scored" if self.champion_before_score is None
                      else f"re-scored {self.champion_before_score:.4f}")
            text += f" Previous champion v{self.champion_before} ({self.champion_before_method}) {before}."
        text += (f" Champion: v{self.champion_version} ({self.champion_method})"
                 + (", promoted now." if self.promoted else ", kept: the new candidate did not beat it."))
        return text

    def row(self) -> dict[str, Any]:
        best = self.best_baseline
        return {"decided_at": self.decided_at, "model": self.model, "metric": self.metric,
                "higher_is_better": self.higher_is_better, "trained_method": self.trained_method,
                "trained_score": self.scores.get(self.trained_method), "best_baseline": best,
                "best_baseline_score": self.scores.get(best) if best else None,
                "candidate_method": self.candidate_method, "candidate_version": self.candidate_version,
                "candidate_score": self.scores[self.candidate_method], "champion_before": self.champion_before,
                "champion_before_method": self.champion_before_method,
                "champion_before_score": self.champion_before_score, "promoted": self.promoted,
                "champion_version": self.champion_version, "champion_method": self.champion_method,
                "scores": json.dumps(self.scores), "summary": self.summary}


class ModelLifecycle:
    """The lifecycle of one registered model (`name`), judged on one metric."""

    def __init__(self, client: mlflow.MlflowClient, name: str, metric: str, higher_is_better: bool = True):
        self.client, self.name, self.metric, self.higher_is_better = client, name, metric, higher_is_better

    def best_method(self, scores: dict[str, float]) -> str:
        pick = max if self.higher_is_better else min
        return pick(scores, key=scores.get)

    # ---------------------------------------------------------------- registering
    def register(self, python_model: mlflow.pyfunc.PythonModel, method: str, trained_method: str,
                 scores: dict[str, float], input_example: pd.DataFrame | None = None,
                 pip_requirements: list[str] | None = None, card: str = "") -> str:
        """Log `python_model` into the active MLflow run, register it and make it the `candidate`."""
        info = mlflow.pyfunc.log_model(name="model", python_model=python_model, input_example=input_example,
                                       registered_model_name=self.name, pip_requirements=pip_requirements)
        version = str(info.registered_model_version)
        baseline = method != trained_method
        tags = {"method": method, "baseline": str(baseline).lower(), "metric": self.metric,
                "score": f"{scores[method]:.6f}", "trained_method": trained_method}
        for key, value in tags.items():
            self.client.set_model_version_tag(self.name, version, key, value)
        figures = ", ".join(f"{m} {s:.4f}" for m, s in scores.items())
        description = (f"{'Baseline' if baseline else 'Trained model'} `{method}`"
                       f"{f' (it beat the trained {trained_method})' if baseline else ''}. "
                       f"Out-of-time {self.metric}: {figures}. {card}").strip()
        self.client.update_model_version(self.name, version, description=description)
        self.client.set_registered_model_alias(self.name, "candidate", version)
        return version

    # ---------------------------------------------------------------- reading
    def version(self, alias: str = "champion"):
        try:
            return self.client.get_model_version_by_alias(self.name, alias)
        except mlflow.exceptions.MlflowException:
            return None

    def uri(self, alias_or_version: str = "champion") -> str:
        return (f"models:/{self.name}/{alias_or_version}" if str(alias_or_version).isdigit()
                else f"models:/{self.name}@{alias_or_version}")

    def load(self, alias_or_version: str = "champion") -> mlflow.pyfunc.PyFuncModel:
        return mlflow.pyfunc.load_model(self.uri(alias_or_version))

    def method_of(self, version) -> str:
        return (version.tags or {}).get("method", "model") if version is not None else ""

    # ---------------------------------------------------------------- deciding
    def decide(self, candidate_version: str, scores: dict[str, float], trained_method: str,
               rescore: Callable[[mlflow.pyfunc.PyFuncModel], float] | None = None) -> Decision:
        """Promote the candidate unless the current champion, re-scored by `rescore` on the same out-of-time
        evaluation, is strictly better. A champion that cannot be re-scored (an older input schema) is replaced."""
        candidate_method = self.best_method(scores)
        champion = self.version("champion")
        before_score = None
        if champion is not None and str(champion.version) != str(candidate_version) and rescore is not None:
            try:
                before_score = float(rescore(self.load(str(champion.version))))
            except Exception as error:  # noqa: BLE001 - an incompatible old champion is replaced, not fatal
                log.warning("%s v%s could not be re-scored (%s): the candidate replaces it", self.name,
                            champion.version, error)
        candidate_score = scores[candidate_method]
        better = (candidate_score >= before_score if self.higher_is_better else candidate_score <= before_score) \
            if before_score is not None else True
        promoted = champion is None or str(champion.version) == str(candidate_version) or better
        if promoted:
            self.client.set_registered_model_alias(self.name, "champion", candidate_version)
        after = self.version("champion")
        return Decision(model=self.name, metric=self.metric, scores=dict(scores), trained_method=trained_method,
                        candidate_method=candidate_method, candidate_version=str(candidate_version),
                        promoted=bool(promoted), champion_version=str(after.version), champion_method=self.method_of(after),
                        champion_before=str(champion.version) if champion is not None else None,
                        champion_before_method=self.method_of(champion) if champion is not None else None,
                        champion_before_score=before_score, higher_is_better=self.higher_is_better)


def store_decision(con, decision: Decision) -> None:
    write_table(con, MODEL_DECISIONS, pd.DataFrame([decision.row()]), mode="append")


def latest_decision(con, model: str) -> dict | None:
    if not table_exists(con, "ml", "model_decisions"):
        return None
    cur = con.execute("SELECT * FROM ml.model_decisions WHERE model = ? ORDER BY decided_at DESC LIMIT 1", [model])
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row)) if row else None


def decision_check(con, model: str) -> dg.AssetCheckResult:
    """WARN, never ERROR: the platform publishes whichever model is champion; the figures say who won."""
    decision = latest_decision(con, model)
    if decision is None:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                                   metadata={"reason": "no model was trained (see the asset's metadata)"})
    won = decision["trained_method"] == decision["candidate_method"] and decision["promoted"]
    return dg.AssetCheckResult(passed=bool(won), severity=dg.AssetCheckSeverity.WARN, metadata={
        "decision": decision["summary"], "champion": f"v{decision['champion_version']} ({decision['champion_method']})",
        "scores": dg.MetadataValue.json(json.loads(decision["scores"])),
        "promoted": bool(decision["promoted"])})

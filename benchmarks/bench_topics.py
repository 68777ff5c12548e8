"""Feedback topics night after night: a night that keeps the last fit against a fit again, on real reviews.

    nice -n 10 .venv/bin/python benchmarks/bench_topics.py [--reviews clothing|mixed] [--texts N] [--new 400]

`clothing` (the default): the women's clothing reviews of ../shared/data in file order, 20,000 on day one.
`mixed`: 40,000 texts drawn from the three real review sets (clothing, Alexa, Flipkart) as the feedback refresh
benchmark draws them (benchmarks/eval_feedback.review_feedback). In a new DuckDB warehouse with the default
encoder build. Day one fits the topics (`pipeline.topics_step`, what `build_all` and the weekly retrain
run); each night then adds `--new` texts and runs the step twice on the same texts, in the same process:
kept (what the nightly refresh runs: only the new texts are read from the cache and join their nearest topic)
and fitted again (what every night ran before). Prints the seconds of each, their ratio, and how many of the
earlier texts keep their topic label under each. Every vector is cached before the timing, so both read vectors
from the cache and neither encodes: the figures are the topic work.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_feedback import load, review_feedback  # noqa: E402


def labels(con) -> pd.Series:
    return con.execute("SELECT feedback_id, topic_label FROM nlp.feedback_topic_assignments").df().set_index(
        "feedback_id").topic_label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", choices=["clothing", "mixed"], default="clothing")
    parser.add_argument("--texts", type=int, help="texts on day one (20,000 clothing, 40,000 mixed)")
    parser.add_argument("--new", type=int, default=400, help="new texts each night")
    parser.add_argument("--nights", type=int, default=3)
    args = parser.parse_args()

    import os

    os.environ.pop("CIP_EMBEDDING_CACHE", None)
    from cip_assets.feedback import pipeline

    args.texts = args.texts or (20_000 if args.reviews == "clothing" else 40_000)
    total = args.texts + args.new * args.nights
    if args.reviews == "clothing":
        texts = load("womens_clothing_reviews.csv.gz").text.head(total)
        fb = pd.DataFrame({"feedback_id": [f"F{i:06d}" for i in range(len(texts))], "text": texts.to_numpy()})
    else:
        fb = review_feedback(total)[0].rename(columns={"feedback_text": "text"})[["feedback_id", "text"]]
    with tempfile.TemporaryDirectory() as work, duckdb.connect(str(Path(work) / "warehouse.duckdb")) as con:
        t = time.perf_counter()
        pipeline.embed(con, fb.text)
        print(f"{len(fb):,} {args.reviews} review texts ({fb.text.nunique():,} distinct), build {pipeline.bulk_backend()}: "
              f"embedded and cached in {time.perf_counter() - t:.1f} s (not part of the figures below)")
        t = time.perf_counter()
        day_one = pipeline.topics_step(con, fb.iloc[:args.texts])
        print(f"day one: fitted on {args.texts:,} texts in {time.perf_counter() - t:.1f} s, "
              f"{(day_one.topics.topic_id >= 0).sum()} topics")
        print("night | texts | kept: seconds | fitted again: seconds | kept / fitted | earlier texts keeping their "
              "label: kept, fitted again")
        for night in range(1, args.nights + 1):
            upto = args.texts + night * args.new
            tonight = fb.iloc[:upto]
            before = labels(con)
            snapshot = {t: con.execute(f"SELECT * FROM nlp.{t}").df()
                        for t in ("feedback_topics", "feedback_topic_assignments", "feedback_topic_model")}
            t = time.perf_counter()
            kept = pipeline.topics_step(con, tonight, refit=False)
            kept_s = time.perf_counter() - t
            assert kept.new_texts == args.new, kept.method
            same_kept = (labels(con).reindex(before.index) == before).mean()
            t = time.perf_counter()
            pipeline.topics_step(con, tonight, refit=True)
            fitted_s = time.perf_counter() - t
            same_fitted = (labels(con).reindex(before.index) == before).mean()
            for table, frame in snapshot.items():  # the next night starts from the kept fit, as a real one does
                pipeline.write(con, f"nlp.{table}", frame)
            pipeline.topics_step(con, tonight, refit=False)
            print(f"{night} | {upto:,} | {kept_s:.2f} | {fitted_s:.2f} | {kept_s / fitted_s:.3f} | "
                  f"{same_kept:.1%}, {same_fitted:.1%}")


if __name__ == "__main__":
    main()

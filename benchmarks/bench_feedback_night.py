"""The feedback steps on a night: work in proportion to the new texts, against reading every text again.

    nice -n 10 .venv/bin/python benchmarks/bench_feedback_night.py [--texts 100000] [--new 1000]

Real review texts (clothing, Alexa, Flipkart from ../shared/data, drawn as the feedback refresh benchmark draws
them: benchmarks/eval_feedback.review_feedback) in a new DuckDB warehouse's staging, default encoder builds. Day
one runs the steps as `build_all` does: embed, train the sentiment classifier, fit the topics, tag the aspects
and score every text. Then `--new` texts arrive and the night runs twice from the same day-one state, in the same
process: as every night ran before (topics fitted again, every text tagged and scored) and as the nightly
`refresh` runs now (topics kept, only the new texts embedded, tagged and scored). Prints each step's seconds
on both, whether both nights give every text the same sentiment and aspects, and how many of the day-one texts
keep their topic label.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_feedback import review_feedback  # noqa: E402

STATE = ["nlp.feedback_topics", "nlp.feedback_topic_assignments", "nlp.feedback_topic_model", "nlp.feedback_aspects",
         "nlp_cache.feedback_aspects_read", "nlp.feedback_sentiment"]
SCORER = "the day-one classifier"


def night(con, fb: pd.DataFrame, model, method: str, kept: bool) -> dict[str, float]:
    """The three steps as the nightly refresh runs them (kept) or as every night ran before; their seconds."""
    from cip_assets.feedback import pipeline

    seconds = {}
    t = time.perf_counter()
    pipeline.topics_step(con, fb, refit=not kept)
    seconds["topics"] = time.perf_counter() - t
    t = time.perf_counter()
    pipeline.aspects_step(con, fb, model, read_by=SCORER if kept else None)
    seconds["aspects"] = time.perf_counter() - t
    t = time.perf_counter()
    pipeline.sentiment_step(con, fb, model, method, scored_by=SCORER if kept else None)
    seconds["sentiment"] = time.perf_counter() - t
    return seconds


def tables(con) -> dict[str, pd.DataFrame]:
    return {"sentiment": con.execute("SELECT feedback_id, sentiment_label, sentiment_score FROM nlp.feedback_sentiment "
                                     "ORDER BY feedback_id").df(),
            "aspects": con.execute("SELECT feedback_id, aspect, aspect_sentiment FROM nlp.feedback_aspects "
                                   "ORDER BY feedback_id, aspect").df(),
            "labels": con.execute("SELECT feedback_id, topic_label FROM nlp.feedback_topic_assignments").df()
            .set_index("feedback_id").topic_label}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=100_000, help="texts on day one")
    parser.add_argument("--new", type=int, default=1_000, help="new texts on the night")
    args = parser.parse_args()
    os.environ.pop("CIP_EMBEDDING_CACHE", None)
    os.environ.pop("CIP_CONFIG", None)
    from cip_assets.feedback import pipeline

    feedback, _ = review_feedback(args.texts + args.new)
    with tempfile.TemporaryDirectory() as work, duckdb.connect(str(Path(work) / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA staging")
        con.register("day_one", feedback.iloc[:args.texts])
        con.register("arrived", feedback.iloc[args.texts:])
        con.execute("CREATE TABLE staging.stg_feedback AS SELECT * FROM day_one")
        con.execute("CREATE TABLE staging.stg_order_lines AS SELECT 'P' || lpad(i::VARCHAR, 5, '0') AS product_id, "
                    "['Apparel', 'Electronics', 'Home', 'Beauty'][i % 4 + 1] AS category FROM range(2000) t(i)")
        t = time.perf_counter()
        fb = pipeline.load_feedback(con)
        training = pipeline.train_step(con, fb)[0]
        model = pipeline.in_memory_model(training, pipeline.sentiment_backend())
        topics = pipeline.topics_step(con, fb)
        pipeline.aspects_step(con, fb, model, read_by=SCORER)
        pipeline.sentiment_step(con, fb, model, training.method, scored_by=SCORER)
        print(f"day one: {len(fb):,} texts, builds sentiment {pipeline.sentiment_backend()} / bulk "
              f"{pipeline.bulk_backend()}, {training.method} scores; embedded, trained, fitted, tagged and scored in "
              f"{time.perf_counter() - t:.0f} s")
        quality = pipeline.topic_quality(fb, topics)
        print(f"day-one topics: {quality['topics']}, the largest {topics.topics.share.max():.1%} of the texts, "
              f"outliers {topics.outliers_before:.1%} before reduction and {topics.outliers_after:.1%} after, "
              f"NPMI {quality['npmi']:.3f}")
        day_one = tables(con)
        con.execute("CREATE SCHEMA snapshot")
        for name in STATE:
            con.execute(f"CREATE TABLE snapshot.{name.split('.')[1]} AS SELECT * FROM {name}")
        con.execute("INSERT INTO staging.stg_feedback SELECT * FROM arrived")
        fb = pipeline.load_feedback(con)
        pipeline.embed(con, fb.text)  # the new texts' vectors are cached before both nights: neither is timed encoding
        pipeline.embed(con, fb.text, pipeline.sentiment_backend())
        every = night(con, fb, model, training.method, kept=False)
        read_again = tables(con)
        for name in STATE:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM snapshot.{name.split('.')[1]}")
        proportional = night(con, fb, model, training.method, kept=True)
        kept = tables(con)

    print(f"night: {args.new:,} new texts, {len(fb):,} in all")
    print("step | every text read again: s | only the new texts: s | ratio")
    for step in every:
        print(f"{step} | {every[step]:.2f} | {proportional[step]:.2f} | {proportional[step] / every[step]:.3f}")
    total_every, total_kept = sum(every.values()), sum(proportional.values())
    print(f"all three | {total_every:.2f} | {total_kept:.2f} | {total_kept / total_every:.3f}")
    same_sentiment = kept["sentiment"].equals(read_again["sentiment"])
    same_aspects = kept["aspects"].reset_index(drop=True).equals(read_again["aspects"].reset_index(drop=True))
    print(f"same sentiment label and score for every text on both nights: {same_sentiment}; same aspect tags: "
          f"{same_aspects}")
    earlier = day_one["labels"]
    for name, result in (("kept", kept), ("fitted again", read_again)):
        print(f"day-one texts keeping their topic label, topics {name}: "
              f"{(result['labels'].reindex(earlier.index) == earlier).mean():.1%}")


if __name__ == "__main__":
    main()

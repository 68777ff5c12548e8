"""Does `cip ask` ever drop a qualifier? A metamorphic probe over the held-out banks.

For questions of the banks that the engine answers, it appends a qualifier that changes the question (" excluding
France", " per customer", " from repeat customers", " for the top 5 customers", ...) and asks again. An answer equal to
the unqualified one (same figure, same table) is flagged: the qualifier may have been left out. Some flags are
legitimate (a Spanish figure "excluding France" is the same figure), so the flags are read, not counted as errors.

    .venv/bin/python benchmarks/probe_qa_qualifiers.py --published PATH/cip.duckdb --index-dir DIR [--seed 1 --questions 150]
"""

from __future__ import annotations

import argparse
import glob
import json
import random
import re
from pathlib import Path

from cip_assets.qa.engine import Engine

QUALIFIERS = [" excluding France", " for guest orders only", " on Sundays", " per customer", " in each month",
              " before 10:00", " for new customers", " in Germany", " for orders over 500", " from repeat customers",
              " for product 85123A", " by country", " for the top 5 customers", " with more than 3 orders",
              " not counting postage", " in the churned segment", " on weekdays"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--published", required=True)
    ap.add_argument("--index-dir", required=True)
    ap.add_argument("--banks", default=str(Path(__file__).parent / "qa_heldout" / "online_retail*.json"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--questions", type=int, default=150, help="questions sampled from the banks")
    ap.add_argument("--per-question", type=int, default=3, help="qualifiers tried on each question")
    args = ap.parse_args()
    engine = Engine(args.published, args.index_dir)
    rng = random.Random(args.seed)
    questions = [item["question"] for path in sorted(glob.glob(args.banks)) for item in json.loads(Path(path).read_text())
                 if item["kind"] != "refuse" and len(item["question"]) < 90 and "?" not in item["question"][:-1]]
    rng.shuffle(questions)
    asked = flagged = probes = 0
    for question in questions:
        if asked >= args.questions:
            break
        plain = engine.ask(question)
        if plain.status != "answered" or (plain.value is None and not plain.table):
            continue
        asked += 1
        for qualifier in rng.sample(QUALIFIERS, args.per_question):
            if qualifier.split()[-1].lower() in question.lower():
                continue
            qualified = re.sub(r"\s*\?\s*$", "", question) + qualifier + "?"
            card = engine.ask(qualified)
            probes += 1
            if card.status == "answered" and card.value == plain.value and card.table == plain.table:
                flagged += 1
                print(f"SAME  {qualified}\n      -> {card.answer[:160]}")
    print(f"questions {asked}, qualified questions asked {probes}, answered as without the qualifier {flagged}")


if __name__ == "__main__":
    main()

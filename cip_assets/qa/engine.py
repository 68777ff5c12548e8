"""Question -> intent -> slots -> parameterised SQL -> answer card, over the published copy only.

    engine = Engine()                      # the current published copy, the saved index if there is one
    card = engine.ask("how many customers in Germny")
    card.answer, card.value, card.table, card.sql, card.params, card.filters, card.confidence

A `Session` carries the last question's plan so follow-ups ("and in France?", "what about last
year?") change only what they name. When the engine does not understand, or the question needs a
table that is not published, the card says so (status `not_understood` / `not_available`), lists
what it did understand and suggests questions; it never guesses a number. A question that
contains SQL or an injection attempt is refused before anything runs; every statement the
engine runs is a SELECT from the allow-list with bound parameters on a read-only connection.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from cip_assets.qa import glossary
from cip_assets.qa.dates import Period, parse_period
from cip_assets.qa.gazetteer import Gazetteer, normalise
from cip_assets.qa.intents import MIN_SIMILARITY, ExampleClassifier, rule_intent
from cip_assets.qa.templates import DIM_LABEL, METRICS, NotAvailable, Query, Templates, check_sql

ON_THE_FLY_EMBED_MAX = 5000
SUGGESTIONS = ["how many customers in {country}", "total revenue last month", "top 5 countries by revenue",
               "which countries have the most high risk customers", "monthly revenue trend this year",
               "what share of customers are churned", "compare revenue in {country} and {country2}",
               "what is a Champion", "why is customer {customer} at risk", "what do customers say about delivery"]

INJECTION = re.compile(
    r"(;\s*(drop|delete|insert|update|alter|create|attach|copy|pragma|truncate|select|install|load|call|set|export)\b)|"
    r"\b(drop|truncate)\s+(table|schema|database|view)\b|\bdelete\s+from\b|\binsert\s+into\b|\bupdate\s+\w+(\.\w+)?\s+set\b|"
    r"\balter\s+table\b|\battach\s+'|\bcopy\s+\w+(\.\w+)?\s+(to|from)\b|\bunion\s+(all\s+)?select\b|--|/\*|\bpragma\b|"
    r"\bselect\s+[\w*,\s()]+\s+from\s+\w+|\bor\s+'?1'?\s*=\s*'?1|\bexec(ute)?\s*\(|\bread_(csv|parquet|json)\w*\s*\(|"
    r"\bignore\s+(all\s+)?(previous|prior)\s+instructions\b",
    re.IGNORECASE)

# metrics that only make sense as a mean over customers
MEAN_METRICS = ("age", "churn_probability", "purchase_probability", "rating", "recency")
METRIC_PATTERNS: list[tuple[str, str]] = [
    ("aov", r"average order value|\baov\b|order value|basket value|basket size|average basket"),
    ("cancellation_rate", r"cancell?ation rate|cancel rate"),
    ("return_rate", r"return rate|returns rate"),
    ("churn_rate", r"churn rate|churned share|attrition"),
    ("purchase_probability", r"purchase probabilit\w*|propensity|probability (of|to) (buy|purchase)\w*|"
                             r"likel\w* to (buy|purchase)|chance of (buying|purchasing)"),
    ("churn_probability", r"churn probabilit\w*|churn score|probability (of|to) churn\w*|likelihood (of|to) churn\w*|"
                          r"chance of churn\w*"),
    ("expected_spend_90d", r"expected spend"),
    ("value_12m", r"12.?months? value|\bclv\b|\bltv\b|lifetime value|customer value|predicted value|future value|"
                  r"\bvalue\b"),
    ("new_customers", r"\bnew (customers|buyers|clients)|acquisitions?|acquired"),
    ("active_customers", r"\bactive (customers|buyers|clients)"),
    ("rating", r"\bratings?\b|\bstars\b"),
    ("recency", r"\brecency\b|days since (the )?last"),
    ("age", r"\bage\b|\bhow old\b|\bolder\b|\byounger\b"),
    ("revenue", r"revenue|\bsales\b|turnover|\bspend\b|\bspent\b|\bmoney\b|\bincome\b|\bsold\b|\bearn\w*|\bsell\b"),
    ("orders", r"\borders?\b|\bpurchases\b|\btransactions?\b"),
    ("customers", r"\bcustomers?\b|\bclients?\b|\bbuyers?\b|\bshoppers?\b|\bpeople\b|\busers?\b"),
]
DIM_PATTERNS: list[tuple[str, str]] = [
    ("country", r"\bcountr(y|ies)\b|\bmarkets?\b|\bnations?\b"),
    ("city", r"\bcit(y|ies)\b|\btowns?\b"),
    ("category", r"\bcategor(y|ies)\b"),
    ("persona", r"\bpersonas?\b|\bclusters?\b|\bml segments?\b|\bcustomer segments?\b"),
    ("segment", r"\bsegments?\b"),
    ("risk_band", r"\brisk bands?\b|\bbands?\b"),
    ("gender", r"\bgenders?\b"),
    ("product", r"\bproducts?\b|\bitems?\b|\bsku\w*\b"),
    ("weekday", r"\bweekdays?\b|\bday of (the )?week\b|\bdays of (the )?week\b"),
    ("hour", r"\bhours?\b|\btime of day\b"),
    ("month", r"\bmonths?\b"),
    ("week", r"\bweeks?\b"),
    ("customer", r"\bcustomers\b|\bclients\b|\bbuyers\b|\bcustomer\b"),
]
PLURAL = {"country": "countries", "city": "cities", "favourite category": "favourite categories"}
FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|and what about|same for|same but|now|also|what if|then)\b",
                       re.IGNORECASE)
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "twenty": 20}


@dataclass
class AnswerCard:
    question: str
    status: str                       # answered | not_understood | not_available | refused
    intent: str
    answer: str
    value: Any = None                 # the headline number (None when there is none)
    table: dict = field(default_factory=lambda: {"columns": [], "rows": []})
    chart: dict | None = None         # {"type": "bar"|"line"|"none", "x": ..., "y": ...}
    sql: str | None = None
    params: list = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    confidence: float = 0.0
    suggestions: list[str] = field(default_factory=list)
    plan: dict = field(default_factory=dict)
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self), default=_json_default))

    def to_text(self) -> str:
        lines = [self.answer]
        if self.filters:
            lines.append("understood: " + "; ".join(self.filters))
        if self.table.get("rows"):
            cols = self.table["columns"]
            lines.append("")
            lines.append(" | ".join(cols))
            for row in self.table["rows"][:20]:
                lines.append(" | ".join(_fmt_cell(v) for v in row))
        if self.sql:
            lines += ["", f"sql: {self.sql}", f"params: {json.dumps(self.params, default=_json_default)}"]
        if self.chart and self.chart.get("type") not in (None, "none"):
            lines.append(f"chart: {self.chart['type']} of {self.chart.get('y')} by {self.chart.get('x')}")
        lines.append(f"confidence: {self.confidence:.2f}")
        if self.suggestions:
            lines += ["", "try:"] + [f"  {s}" for s in self.suggestions]
        return "\n".join(lines)


def _json_default(v):
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return str(v)


def _fmt_cell(v) -> str:
    if isinstance(v, float):
        return f"{v:,.4f}" if abs(v) < 1 else f"{v:,.2f}"
    return str(v)


@dataclass
class Session:
    """Conversation context: the last answered question's plan."""
    last: dict | None = None
    history: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"last": self.last, "history": self.history[-20:]}, default=_json_default)

    @classmethod
    def from_json(cls, text: str) -> "Session":
        data = json.loads(text or "{}")
        return cls(last=data.get("last"), history=data.get("history", []))


def current_published_db() -> Path:
    from cip_resources.settings import paths

    return paths().published_db


class Engine:
    def __init__(self, published: str | Path | None = None, index_dir: str | Path | None = None,
                 use_embeddings: bool = True, encoder=None):
        self.published = Path(published) if published else current_published_db()
        if index_dir is None:
            from cip_resources.settings import paths

            index_dir = paths().qa_index
        self.index_dir = Path(index_dir)
        self.use_embeddings = use_embeddings
        self._encoder = encoder
        self._stamp = None
        self._classifier: ExampleClassifier | None = None
        self._feedback = None
        self._feedback_loaded = False
        self.refresh()

    # ------------------------------------------------------------------ loading
    def _published_stamp(self) -> str:
        st = self.published.stat()
        return f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"

    def connect(self) -> duckdb.DuckDBPyConnection:
        if not self.published.exists():
            raise FileNotFoundError(f"no published copy at {self.published}: run `cip run` first")
        return duckdb.connect(str(self.published), read_only=True)

    def refresh(self) -> None:
        """(Re)load the gazetteer when the published copy was swapped since the last question."""
        stamp = self._published_stamp() if self.published.exists() else None
        if stamp == self._stamp and stamp is not None:
            return
        self._stamp = stamp
        if getattr(self, "_con", None) is not None:
            self._con.close()
        self._con = None
        self._feedback, self._feedback_loaded = None, False
        saved = self.index_dir / "gazetteer.json"
        gaz = None
        if saved.exists():
            data = json.loads(saved.read_text())
            if data.get("stamp") == stamp:
                gaz = Gazetteer.from_dict(data)
        if gaz is None:
            if stamp is None:
                gaz = Gazetteer()
            else:
                with self.connect() as con:
                    gaz = Gazetteer.from_connection(con, stamp=stamp)
        self.gaz = gaz
        self.templates = Templates(gaz.tables or {})
        self.as_of = date.fromisoformat(gaz.as_of[:10]) if gaz.as_of else None
        personas = {}
        if stamp and gaz.has_table("ml.customer_segments"):
            with self.connect() as con:
                personas = dict(con.execute("SELECT segment_name, any_value(persona) FROM ml.customer_segments "
                                            "GROUP BY 1").fetchall())
        self.glossary = glossary.definitions(personas)

    @property
    def encoder(self):
        if self._encoder is None:
            from cip_assets.qa.intents import load_encoder

            self._encoder = load_encoder()
        return self._encoder

    def classifier(self) -> ExampleClassifier:
        if self._classifier is None:
            import numpy as np

            emb = None
            f = self.index_dir / "examples.npy"
            meta = self.index_dir / "examples.json"
            clf = ExampleClassifier(encoder=self._encoder)
            if f.exists() and meta.exists() and json.loads(meta.read_text()).get("texts") == clf.texts:
                emb = np.load(f)
            self._classifier = ExampleClassifier(encoder=self._encoder, embeddings=emb)
        if self._classifier._encoder is None:
            self._classifier._encoder = self.encoder
        return self._classifier

    def feedback_index(self):
        if not self._feedback_loaded:
            from cip_assets.qa.search import TextIndex, feedback_index

            self._feedback_loaded = True
            folder = self.index_dir / "feedback"
            manifest = self.index_dir / "manifest.json"
            if folder.exists() and manifest.exists() and json.loads(manifest.read_text()).get("stamp") == self._stamp:
                self._feedback = TextIndex.load(folder)
            elif self.gaz.has_table("nlp.feedback_sentiment"):
                with self.connect() as con:
                    # no saved index for this copy: BM25 over everything, embeddings for the first distinct texts
                    self._feedback = feedback_index(con, self.gaz.tables, max_embedded=ON_THE_FLY_EMBED_MAX,
                                                    encoder=self.encoder if self.use_embeddings else None)
        return self._feedback

    # ------------------------------------------------------------------ asking
    def ask(self, question: str, session: Session | None = None) -> AnswerCard:
        started = time.perf_counter()
        try:
            self.refresh()
            card = self._ask(question, session)
        except NotAvailable as exc:
            card = AnswerCard(question, "not_available", "unknown", f"I cannot answer that from the published data: {exc}.",
                              suggestions=self._suggestions())
        except (duckdb.Error, ValueError, KeyError, IndexError, TypeError) as exc:
            card = AnswerCard(question, "not_understood", "unknown",
                              f"Sorry, I could not answer that ({type(exc).__name__}: {str(exc)[:200]}); I did not guess.",
                              suggestions=self._suggestions())
        card.elapsed_ms = (time.perf_counter() - started) * 1000
        if session is not None:
            session.history.append(question)
            if card.status == "answered" and card.plan:
                session.last = card.plan
        return card

    def _ask(self, question: str, session: Session | None) -> AnswerCard:
        q = (question or "").strip()
        if not q:
            return self._not_understood(question, {}, "the question is empty")
        if INJECTION.search(q):
            return AnswerCard(question, "refused", "refused",
                              "I only answer questions in plain words; this looks like SQL or an attempt to change "
                              "the data, so nothing was run.", suggestions=self._suggestions(), confidence=1.0)
        slots = self._slots(q)
        plan = self._plan(q, slots, session)
        if plan.get("status") == "not_understood":
            return self._not_understood(question, plan, plan.get("why", ""))
        return self._execute(question, plan)

    # ------------------------------------------------------------------ slots
    def _slots(self, q: str) -> dict:
        low = q.lower()
        period, spans, periods = parse_period(low, self.as_of)
        masked = list(low)
        for a, b in spans:
            masked[a:b] = " " * (b - a)
        masked_text = "".join(masked)
        ids = []
        for token in self.gaz.customer_ids(q):
            ids.append(token.upper() if token[:1].isalpha() else token)
            masked_text = re.sub(re.escape(token.lower()), " ", masked_text)
        mentions = self.gaz.find(masked_text)
        metric = None
        for name, pattern in METRIC_PATTERNS:
            if re.search(pattern, masked_text):
                metric = name
                break
        n = None
        m = re.search(r"\b(?:top|bottom|best|worst|first|largest|biggest|smallest|highest|lowest)\s+(\d+|"
                      + "|".join(NUMBER_WORDS) + r")\b|\b(\d+|" + "|".join(NUMBER_WORDS) +
                      r")\s+(?:best|worst|top|biggest|largest|smallest|highest|lowest|most|least)\b|\b(?:which|what|the)\s+("
                      r"\d+|" + "|".join(NUMBER_WORDS) + r")\s+[a-z]", masked_text)
        if m:
            tok = m.group(1) or m.group(2) or m.group(3)
            n = int(tok) if tok.isdigit() else NUMBER_WORDS[tok]
        dims = [d for d, pattern in DIM_PATTERNS if re.search(pattern, masked_text)]
        return {"period": period, "periods": periods, "mentions": mentions, "ids": ids, "metric": metric, "n": n,
                "dims": dims, "text": masked_text}

    def _filters_from(self, slots: dict, q: str) -> tuple[dict, list]:
        filters: dict[str, Any] = {}
        multi: dict[str, list] = {}
        low = slots["text"]
        for m in slots["mentions"]:
            if m.kind in ("product", "topic"):
                continue
            multi.setdefault(m.kind, [])
            if m.value not in multi[m.kind]:
                multi[m.kind].append(m.value)
        # "at risk" names the RFM segment only when the question says segment; otherwise the churn risk band high
        if "segment" in multi and multi["segment"] == ["At Risk"] and not re.search(r"\bsegment", low) \
                and self.gaz.values.get("risk_band"):
            multi["segment"].remove("At Risk")
            if not multi["segment"]:
                del multi["segment"]
            multi.setdefault("risk_band", ["high"] if "high" in self.gaz.values["risk_band"] else [])
        if re.search(r"\b(likely to (churn|leave)|risky)\b", low) and "risk_band" not in multi \
                and "high" in self.gaz.values.get("risk_band", []):
            multi["risk_band"] = ["high"]
        for kind, vals in multi.items():
            if vals:
                filters[kind] = vals[0]
        if re.search(r"\b(churned|lapsed|lost customers|inactive)\b", low) and "segment" not in multi:
            filters["churned"] = True
        elif re.search(r"\b(not churned|still active|retained)\b", low):
            filters["churned"] = False
        return filters, [(k, v) for k, v in multi.items() if len(v) >= 2]

    # ------------------------------------------------------------------ planning
    def _plan(self, q: str, slots: dict, session: Session | None) -> dict:
        low = q.lower()
        filters, pairs = self._filters_from(slots, q)
        how, confidence = "rule", 0.9
        scores = [m.score for m in slots["mentions"]]
        if scores:
            confidence *= min(scores) / 100

        definition = self._definition(low)
        if definition:
            return {"intent": "define", "term": definition[0], "text": definition[1], "confidence": 0.95}
        intent = rule_intent(low)
        if slots["ids"] and intent not in ("why_risk",):
            intent = "profile" if intent in (None, "count", "sum", "define") or re.search(
                r"\b(about|profile|who is|show|details|tell)\b", low) else intent
        if intent == "why_risk" and not slots["ids"]:
            intent = "top" if re.search(r"\bwhich\b", low) else "not_understood_why"
        prev = session.last if session else None
        is_follow = bool(prev) and (FOLLOW_UP.match(q) is not None or (
            intent is None and slots["metric"] is None and (slots["mentions"] or slots["period"] or slots["n"])))
        if is_follow and (FOLLOW_UP.match(q) or intent is None) and intent not in ("define", "profile", "why_risk",
                                                                                   "feedback"):
            plan = self._follow_up(prev, slots, filters, low)
            if intent in ("top", "bottom", "trend", "share", "average") and intent != plan.get("intent"):
                plan["intent"] = intent
            return plan
        if intent == "not_understood_why":
            return {"status": "not_understood", "why": "a 'why' question needs a customer id, e.g. 'why is customer "
                                                        "C0000057 at risk'", "filters": filters}
        m = re.search(r"\bhow many ([a-z]+)", slots["text"])
        if m and intent == "count" and slots["metric"] is None and not slots["mentions"] and \
                m.group(1) not in ("are", "do", "did", "is", "have", "were", "in", "from"):
            return {"status": "not_understood", "filters": filters,
                    "why": f"I do not know how to count '{m.group(1)}' in the published data"}
        unknown_words = self._unresolved(slots)
        if unknown_words and intent not in ("define", "feedback"):
            return {"status": "not_understood", "filters": filters,
                    "why": f"I do not know {', '.join(repr(w) for w in unknown_words)} in the published data"}
        if intent is None and (slots["metric"] or filters) and not re.search(r"\b(weather|joke|poem|translate)\b", low):
            intent = "count" if slots["metric"] in (None, "customers") else "sum"
            confidence *= 0.8
        if intent is None:
            if not self.use_embeddings:
                return {"status": "not_understood", "why": "no rule matched", "filters": filters}
            guess = self.classifier().predict(q)
            if guess.intent == "unknown" or guess.confidence < MIN_SIMILARITY:
                return {"status": "not_understood", "filters": filters,
                        "why": f"closest known question was '{guess.example}' ({guess.confidence:.2f})"}
            intent, how, confidence = guess.intent, "nearest example", guess.confidence * confidence / 0.9
            if intent in ("count", "sum", "average", "top", "bottom", "share", "compare", "trend") \
                    and not (slots["metric"] or filters or slots["period"]):
                return {"status": "not_understood", "filters": filters,
                        "why": f"it sounds like a '{intent}' question but I found no measure or filter in it"}
        plan = {"intent": intent, "how": how, "confidence": round(confidence, 3), "metric": slots["metric"],
                "filters": filters, "period": slots["period"].to_dict() if slots["period"] else None,
                "periods": [p.to_dict() for p in slots["periods"]], "n": slots["n"], "dims": slots["dims"],
                "pairs": pairs, "ids": slots["ids"],
                "products": [m.value for m in slots["mentions"] if m.kind == "product"],
                "text": slots["text"], "question": q}
        return plan

    def _unresolved(self, slots: dict) -> list[str]:
        """Words after in/from/for that name nothing known ("customers in Atlantis")."""
        from cip_assets.qa.gazetteer import PROTECTED

        tokens = normalise(slots["text"]).split()
        covered = set()
        for m in slots["mentions"]:
            covered |= set(range(m.start, m.end))
        out = []
        for i, tok in enumerate(tokens):
            if i > 0 and tokens[i - 1] in ("in", "from") and i not in covered and tok not in PROTECTED \
                    and not tok.isdigit() and len(tok) > 2 and tok not in ("total", "general", "particular", "stock",
                                                                           "store", "shop", "store", "person"):
                out.append(tok)
        return out

    def _follow_up(self, prev: dict, slots: dict, filters: dict, low: str) -> dict:
        plan = dict(prev)
        plan["filters"] = dict(prev.get("filters") or {})
        for kind, value in filters.items():
            if kind == "city":
                plan["filters"].pop("country", None)
            if kind == "country":
                plan["filters"].pop("city", None)
            plan["filters"][kind] = value
        if plan.get("intent") == "compare" and plan.get("pairs"):
            plan["pairs"] = [] if filters else plan["pairs"]
            if filters:
                plan["intent"] = "sum" if plan.get("metric") not in (None, "customers") else "count"
        if slots["period"]:
            plan["period"] = slots["period"].to_dict()
            plan["periods"] = [p.to_dict() for p in slots["periods"]]
        if slots["metric"] and slots["metric"] != "customers":
            plan["metric"] = slots["metric"]
        if slots["n"]:
            plan["n"] = slots["n"]
        if re.search(r"\b(all time|overall|ever|whole period)\b", low):
            plan["period"], plan["periods"] = None, []
        if re.search(r"\b(everyone|all customers|everywhere|all countries)\b", low):
            plan["filters"] = {}
        plan["confidence"] = round(float(prev.get("confidence", 0.9)) * 0.95, 3)
        plan["follow_up"] = True
        return plan

    def _definition(self, low: str) -> tuple[str, str] | None:
        m = re.match(r"^\s*(?:what\s+(?:is|are|does|do)|define|definition\s+of|meaning\s+of|explain|"
                     r"how\s+(?:is|are)|what\s+(?:is|are)\s+meant\s+by)\s+(?:an?\s+|the\s+)?(.+?)\s*"
                     r"(?:mean|means|stand for|defined|calculated|computed)?\s*\??\s*$", low)
        if not m:
            return None
        term = normalise(m.group(1))
        term = re.sub(r"^(a|an|the)\s+", "", term)
        candidates = [term, re.sub(r"\s+(segment|band|customers?|score|metric)$", "", term),
                      re.sub(r"s$", "", term), re.sub(r"^(rfm|churn)\s+", "", term)]
        for c in candidates:
            if c in self.glossary:
                return c, self.glossary[c]
        try:
            from rapidfuzz import fuzz, process

            hit = process.extractOne(term, list(self.glossary), scorer=fuzz.ratio, score_cutoff=88)
            if hit:
                return hit[0], self.glossary[hit[0]]
        except ImportError:
            pass
        return None

    # ------------------------------------------------------------------ execution
    def _execute(self, question: str, plan: dict) -> AnswerCard:
        intent = plan["intent"]
        if intent == "define":
            return AnswerCard(question, "answered", "define", plan["text"], filters=[f"term = {plan['term']}"],
                              confidence=plan["confidence"], plan=plan, chart={"type": "none"})
        if intent == "feedback":
            return self._feedback_answer(question, plan)
        if intent in ("profile", "why_risk"):
            return self._customer(question, plan)
        period = Period.from_dict(plan["period"]) if plan.get("period") else None
        metric_name = plan.get("metric")
        filters = dict(plan.get("filters") or {})
        understood = self._understood(plan, period)
        t = self.templates

        if intent == "trend":
            metric = METRICS[metric_name if metric_name in METRICS and METRICS[metric_name].kpi_expr else "revenue"]
            if metric_name and not METRICS.get(metric_name, metric).kpi_expr:
                raise NotAvailable(f"{METRICS[metric_name].label} over time is not kept in the KPI marts")
            if filters:
                raise NotAvailable(self._needs_dim_mart(filters))
            grain = "week" if re.search(r"\bweek", plan["text"]) else "month"
            query = t.kpi_series(metric, grain, period)
            rows, cols = self._run(query)
            if not rows:
                return self._empty(question, plan, query, understood)
            first, last = rows[0], rows[-1]
            peak = max(rows, key=lambda r: (r[1] is not None, r[1] or 0))
            change = ((last[1] - first[1]) / first[1] * 100) if first[1] else None
            answer = (f"{metric.label.capitalize()} by {grain}: {self._fmt(first[1], metric.kind)} in {_label(first[0], grain)}"
                      f" to {self._fmt(last[1], metric.kind)} in {_label(last[0], grain)}"
                      + (f" ({change:+.1f}%)" if change is not None else "")
                      + f"; peak {self._fmt(peak[1], metric.kind)} in {_label(peak[0], grain)}.")
            return self._card(question, plan, answer, None, rows, cols, query, understood,
                              {"type": "line", "x": grain, "y": metric.label})

        if intent == "compare":
            return self._compare(question, plan, period, filters, understood)

        if intent == "share":
            return self._share(question, plan, filters, understood)

        if intent in ("top", "bottom"):
            return self._ranking(question, plan, period, filters, understood, descending=(intent == "top"))

        # "customers by country", "revenue per segment": every group, ranked
        if re.search(r"\b(by|per|for each|in each|across|split by|broken down by)\s+(country|countries|city|cities|"
                     r"segments?|categor(y|ies)|risk bands?|genders?|personas?|clusters?)\b", plan["text"]):
            plan = {**plan, "n": plan.get("n") or 100}
            return self._ranking(question, plan, period, filters, understood, descending=True)

        # count / sum / average
        average = intent == "average"
        name = metric_name or ("customers" if intent == "count" else None)
        if name is None:
            return self._not_understood(question, plan, "I could not tell which measure you want (revenue, orders, "
                                                        "customers, ...)")
        if average and name == "customers":
            return self._not_understood(question, plan, "an average of customers needs a measure (age, revenue, ...)")
        if average and name in ("churn_rate",):
            average = False
        metric = METRICS[name]
        query = self._scalar_query(metric, filters, period, average, plan)
        rows, cols = self._run(query)
        value = rows[0][0] if rows else None
        what = ("average " if average and name not in ("aov", *MEAN_METRICS,
                                                        "churn_rate", "return_rate", "cancellation_rate") else "")
        what += ("revenue per customer" if average and name == "revenue" else
                 "orders per customer" if average and name == "orders" else metric.label)
        if average and name in MEAN_METRICS:
            what = "average " + metric.label
        scope = self._scope_text(filters, period)
        answer = (f"{what[0].upper() + what[1:]}{scope}: {self._fmt(value, metric.kind)}." if value is not None else
                  f"There is no data for {what}{scope}.")
        return self._card(question, plan, answer, value, rows, cols, query, understood, {"type": "none"})

    def _scalar_query(self, metric, filters: dict, period, average: bool, plan: dict) -> Query:
        t = self.templates
        name = metric.name
        if name == "new_customers" and filters:  # first order in the period, among the filtered customers
            return t.customer_aggregate(METRICS["customers"], filters, period=period,
                                        period_column="first_order_at" if period is not None else None)
        if name == "customers" and period is not None:
            if re.search(r"\bnew\b|\bfirst\b|\bacquired\b|\bjoined\b", plan.get("text", "")):
                return t.customer_aggregate(METRICS["customers"], filters, period=period, period_column="first_order_at")
            if filters:
                raise NotAvailable(self._needs_dim_mart(filters, "customers active in a period"))
            return t.kpi_total(METRICS["active_customers"], period)
        if period is not None or (not filters and metric.kpi_expr and name in ("revenue", "orders", "aov",
                                                                               "new_customers", "cancellation_rate")
                                  and not average):
            if filters:
                raise NotAvailable(self._needs_dim_mart(filters))
            if metric.kpi_expr is None:
                raise NotAvailable(f"{metric.label} is kept per customer (lifetime), not per period")
            return t.kpi_total(metric, period)
        return t.customer_aggregate(metric, filters, average=average)

    def _needs_dim_mart(self, filters: dict, what: str = "figures by period") -> str:
        kinds = ", ".join(DIM_LABEL.get(k, k) for k in filters)
        return (f"{what} filtered by {kinds} need a mart with those columns by month (for example revenue by "
                f"country x month), which is not published; the published KPI marts (daily/weekly/monthly_kpis) have "
                f"no customer attributes and the customer marts hold lifetime totals")

    def _ranking(self, question, plan, period, filters, understood, descending: bool) -> AnswerCard:
        t = self.templates
        dims = plan.get("dims") or []
        text = plan["text"]
        name = plan.get("metric")
        by = re.search(r"\bby\s+(revenue|sales|orders|value|customers|age|churn probability|spend|number of customers)", text)
        if by:
            name = {"sales": "revenue", "spend": "revenue", "value": "value_12m",
                    "number of customers": "customers", "churn probability": "churn_probability"}.get(by.group(1), by.group(1))
        dim = next((d for d in dims if d != "customer"), None)
        if dim is None and "customer" in dims:
            dim = "customer"
        if dim in ("month", "week") and not (period and dims.count(dim) and re.search(r"\b(which|what|best|worst|top|bottom)\b.*\b(month|week)", text)):
            pass
        if dim is None:
            return self._not_understood(question, plan, "a ranking needs something to rank (countries, cities, "
                                                        "segments, customers, months, products, ...)")
        plural = {"country": r"countries|markets", "city": r"cities", "category": r"categories", "segment": r"segments",
                  "persona": r"personas|clusters", "risk_band": r"bands", "gender": r"genders",
                  "customer": r"customers|clients|buyers", "product": r"products|items", "month": r"months",
                  "week": r"weeks", "weekday": r"weekdays|days", "hour": r"hours"}.get(dim, "")
        n = plan.get("n") or (5 if plural and re.search(rf"\b({plural})\b", text) else 1)
        if dim == "customer" and name in (None, "customers"):
            name = "revenue"
        if dim == "product" and name is None and re.search(r"\b(bought|popular|ordered|purchased)\b", text):
            name = "orders"
        name = name or ("revenue" if dim in ("month", "week", "weekday", "hour", "product") else "customers")
        metric = METRICS[name]
        if dim in ("month", "week"):
            if filters:
                raise NotAvailable(self._needs_dim_mart(filters))
            if not metric.kpi_expr:
                raise NotAvailable(f"{metric.label} by {dim} is not in the KPI marts")
            query = t.kpi_ranking(metric, dim, period, n, descending)
        elif dim in ("weekday", "hour"):
            query = t.activity_ranking(metric, dim, n, descending)
        elif dim == "product":
            query = t.product_ranking(metric, filters, period, n, descending)
        else:
            if period is not None:
                raise NotAvailable(self._needs_dim_mart(filters or {dim: ""}, f"rankings of {DIM_LABEL[dim]} in a period"))
            if dim == "category" and name != "customers":
                raise NotAvailable(f"{metric.label} by category needs the product x month mart "
                                   f"(marts.product_sales_monthly), which is not published; the customer marts only "
                                   f"keep each customer's favourite category")
            average = bool(re.search(r"\b(average|avg|mean|per customer)\b", text)) and name not in ("customers",)
            query = t.customer_ranking(metric, dim, {k: v for k, v in filters.items() if k != dim}, n, descending,
                                       average=average or name in MEAN_METRICS)
        rows, cols = self._run(query)
        if not rows:
            return self._empty(question, plan, query, understood)
        head = rows[0]
        lab = DIM_LABEL.get(dim, dim)
        word = "Top" if descending else "Bottom"
        scope = self._scope_text({k: v for k, v in filters.items()}, period)
        if n == 1:
            answer = (f"The {lab} with the {'most' if descending else 'least'} {metric.label}{scope} is "
                      f"{_label(head[0], dim)} ({self._fmt(head[1], metric.kind)}).")
        else:
            answer = (f"{word} {len(rows)} {PLURAL.get(lab, lab + 's')} by {metric.label}{scope}: "
                      + ", ".join(f"{_label(r[0], dim)} ({self._fmt(r[1], metric.kind)})" for r in rows) + ".")
        plan["n"] = n
        return self._card(question, plan, answer, head[1], rows, cols, query, understood,
                          {"type": "bar", "x": dim, "y": metric.label})

    def _compare(self, question, plan, period, filters, understood) -> AnswerCard:
        t = self.templates
        name = plan.get("metric") or "customers"
        metric = METRICS[name]
        pairs = plan.get("pairs") or []
        periods = [Period.from_dict(p) for p in plan.get("periods") or []]
        if pairs:
            kind, values = pairs[0][0], pairs[0][1][:2]
            base = {k: v for k, v in filters.items() if k != kind}
            if period is not None:
                raise NotAvailable(self._needs_dim_mart({kind: ""}, f"{metric.label} by {DIM_LABEL.get(kind, kind)} in a period"))
            average = name in MEAN_METRICS or bool(
                re.search(r"\b(average|avg|mean|per customer)\b", plan["text"]))
            query = t.customer_by_group(metric, kind, values, base, average=average)
            rows, cols = self._run(query)
            got = {r[0]: r[1] for r in rows}
            a, b = values
            va, vb = got.get(a), got.get(b)
            answer = f"{metric.label.capitalize()}: {a} {self._fmt(va, metric.kind)} vs {b} {self._fmt(vb, metric.kind)}"
            if va is not None and vb is not None and vb:
                answer += f" ({a} is {va / vb * 100 - 100:+.1f}% vs {b})"
            rows = [[a, va], [b, vb]]
            plan_values = {a: va, b: vb}
            card = self._card(question, plan, answer + ".", plan_values, rows, cols, query, understood,
                              {"type": "bar", "x": kind, "y": metric.label})
            return card
        if len(periods) >= 2:
            if filters:
                raise NotAvailable(self._needs_dim_mart(filters))
            metric = metric if metric.kpi_expr else METRICS["revenue"]
            query = t.kpi_compare_periods(metric, periods[:2])
            rows, cols = self._run(query)
            (la, va), (lb, vb) = rows[0], rows[1]
            answer = f"{metric.label.capitalize()}: {la} {self._fmt(va, metric.kind)} vs {lb} {self._fmt(vb, metric.kind)}"
            if va is not None and vb:
                answer += f" ({va / vb * 100 - 100:+.1f}%)"
            return self._card(question, plan, answer + ".", {la: va, lb: vb}, rows, cols, query, understood,
                              {"type": "bar", "x": "period", "y": metric.label})
        return self._not_understood(question, plan, "a comparison needs two things of the same kind (two countries, "
                                                    "two segments, two periods, ...)")

    def _share(self, question, plan, filters, understood) -> AnswerCard:
        t = self.templates
        name = plan.get("metric") or "customers"
        if re.search(r"\btop\s*(20|twenty)\s*(%|percent)", plan["question"].lower()):
            query = t.pareto_top20()
            rows, cols = self._run(query)
            value = rows[0][0] if rows else None
            return self._card(question, plan, f"The top 20% of customers bring {self._fmt(value, 'share')} of revenue.",
                              value, rows, cols, query, understood, {"type": "none"})
        if name in ("churn_rate",):
            name, filters = "customers", {**filters, "churned": True}
        if name not in ("customers", "revenue", "orders", "value_12m"):
            name = "customers"
        metric = METRICS[name]
        if not filters:
            return self._not_understood(question, plan, "a share needs a part to measure (a country, a segment, "
                                                        "churned customers, ...)")
        geo = {k: v for k, v in filters.items() if k in ("country", "city")}
        other = {k: v for k, v in filters.items() if k not in ("country", "city")}
        if name == "customers" and geo and other:
            part, base = other, geo
        else:
            part, base = filters, {}
        if plan.get("period"):
            raise NotAvailable(self._needs_dim_mart(filters, "shares in a period"))
        query = t.customer_share(metric, part, base)
        rows, cols = self._run(query)
        p, whole, value = rows[0]
        answer = (f"{self._fmt(value, 'share')} of {metric.label}{self._scope_text(base, None)} "
                  f"{'are' if name == 'customers' else 'come from'} {self._describe(part)} "
                  f"({self._fmt(p, metric.kind)} of {self._fmt(whole, metric.kind)}).")
        plan["part"], plan["base"] = part, base
        return self._card(question, plan, answer, value, rows, cols, query, understood, {"type": "pie", "x": "part", "y": metric.label})

    def _customer(self, question, plan) -> AnswerCard:
        ids = plan.get("ids") or []
        cid = ids[0]
        understood = [f"customer = {cid}"]
        if plan["intent"] == "why_risk":
            query = self.templates.churn_reasons(cid)
            rows, cols = self._run(query)
            if not rows:
                exists = self._run(self.templates.customer_profile(cid))[0]
                if exists:
                    return self._card(question, plan, f"Customer {cid} is not scored by the churn model (only customers "
                                                      "with a completed order in the last year are).", None, [], [],
                                      query, understood, {"type": "none"})
                return self._no_customer(question, plan, cid, query)
            _, prob, band, reasons = rows[0]
            answer = (f"Customer {cid} is in the {band} risk band (churn probability {prob:.2f}); "
                      f"main reasons: {reasons}.")
            return self._card(question, plan, answer, prob, rows, cols, query, understood, {"type": "none"})
        query = self.templates.customer_profile(cid)
        rows, cols = self._run(query)
        if not rows:
            return self._no_customer(question, plan, cid, query)
        r = dict(zip(cols, rows[0]))
        bits = [f"Customer {cid}"]
        where = ", ".join(str(r[c]) for c in ("city", "country") if r.get(c))
        if where:
            bits.append(f"from {where}")
        if r.get("age") is not None:
            bits.append(f"aged {r['age']}")
        s = " ".join(bits) + f": {r.get('lifetime_orders') or 0} orders, revenue {self._fmt(r.get('lifetime_revenue'), 'money')}"
        if r.get("last_order_at"):
            s += f", last order {str(r['last_order_at'])[:10]}"
        if r.get("segment"):
            s += f", RFM segment {r['segment']}"
        if r.get("risk_band"):
            s += f", churn risk {r['risk_band']} ({r['churn_probability']:.2f})"
        if r.get("value_12m") is not None:
            s += f", 12-month value {self._fmt(r['value_12m'], 'money')}"
        return self._card(question, plan, s + ".", r.get("lifetime_revenue"), rows, cols, query, understood,
                          {"type": "none"})

    def _no_customer(self, question, plan, cid, query) -> AnswerCard:
        return AnswerCard(question, "not_available", plan["intent"], f"There is no customer {cid} in the published data.",
                          sql=query.sql, params=query.params, filters=[f"customer = {cid}"], confidence=0.9,
                          suggestions=self._suggestions())

    def _feedback_answer(self, question, plan) -> AnswerCard:
        understood = self._understood({**plan, "metric": None}, None)
        if not self.gaz.has_table("nlp.feedback_sentiment"):
            return AnswerCard(question, "not_available", "feedback",
                              "Feedback search needs the published table nlp.feedback_sentiment, which is not in the "
                              "published copy (staging feedback is never published), so I cannot say what customers "
                              "write.", filters=understood, confidence=0.9, suggestions=self._suggestions(), plan=plan)
        index = self.feedback_index()
        topic = re.sub(r"\b(what|do|does|did|customers?|people|users|clients|say|says|saying|said|about|think|of|"
                       r"the|a|an|complain\w*|complaints?|feedback|reviews?|on|mention\w*|are|is|opinions?|comments?|"
                       r"regarding|in|for|with|their|our|show|me|unhappy|happy)\b", " ", plan["text"])
        topic = re.sub(r"\s+", " ", topic).strip() or plan["text"]
        mask = None
        import numpy as np

        category = plan["filters"].get("category")
        if category and "category" in index.extra:
            mask = np.asarray(index.extra["category"], dtype=object) == category
        if re.search(r"\b(complain\w*|unhappy|negative|problems?|issues?|angry|disappointed)\b", plan["text"]) \
                and "sentiment_label" in index.extra:
            neg = np.char.startswith(np.char.lower(np.asarray(index.extra["sentiment_label"], dtype=str)), "neg")
            mask = neg if mask is None else (mask & neg)
            understood = understood + ["sentiment = negative"]
        encoder = self.encoder if self.use_embeddings and index.embeddings is not None else None
        hits, relevant = index.search(topic, k=5, encoder=encoder, mask=mask)
        total = int(len(relevant))
        if not hits:
            return AnswerCard(question, "answered", "feedback", f"No feedback mentions '{topic}'.", value=0,
                              filters=understood + [f"topic = {topic}"], confidence=0.8, plan=plan)
        ids = [index.ids[h.doc] for h in hits]
        query = self.templates.feedback_rows(ids)
        rows, cols = self._run(query)
        order = {fid: i for i, fid in enumerate(ids)}
        rows.sort(key=lambda r: order.get(str(r[0]), 99))
        sentiment = ""
        if "sentiment_label" in index.extra and total:
            labels = np.asarray(index.extra["sentiment_label"], dtype=object)[relevant]
            neg = float(np.char.startswith(np.char.lower(labels.astype(str)), "neg").mean())
            sentiment = f"; {neg:.0%} of them negative"
        quotes = " | ".join(f"\"{index.texts[h.doc][:120]}\"" for h in hits[:3])
        answer = f"{total:,} feedback texts match '{topic}'{sentiment}. Closest: {quotes}"
        return self._card(question, plan, answer, total, rows, cols, query, understood + [f"topic = {topic}"],
                          {"type": "none"})

    # ------------------------------------------------------------------ helpers
    def _run(self, query: Query) -> tuple[list, list]:
        check_sql(query.sql)
        if self._con is None:  # one read-only connection per published copy; reopened after a swap
            self._con = self.connect()
        cur = self._con.cursor()
        try:
            cur.execute(query.sql, query.params)
            cols = [d[0] for d in cur.description]
            return [list(r) for r in cur.fetchall()], cols
        finally:
            cur.close()

    def _card(self, question, plan, answer, value, rows, cols, query, understood, chart) -> AnswerCard:
        return AnswerCard(question, "answered", plan["intent"], answer, value=value,
                          table={"columns": cols, "rows": rows}, chart=chart, sql=query.sql, params=list(query.params),
                          filters=understood, confidence=float(plan.get("confidence", 0.9)), plan=_plain(plan))

    def _empty(self, question, plan, query, understood) -> AnswerCard:
        return AnswerCard(question, "answered", plan["intent"], "No rows match these filters.", value=None,
                          sql=query.sql, params=list(query.params), filters=understood,
                          confidence=float(plan.get("confidence", 0.9)), plan=_plain(plan))

    def _understood(self, plan: dict, period: Period | None) -> list[str]:
        out = []
        if plan.get("metric"):
            out.append(f"measure = {METRICS[plan['metric']].label}" if plan["metric"] in METRICS else plan["metric"])
        for k, v in (plan.get("filters") or {}).items():
            out.append(f"{DIM_LABEL.get(k, k).capitalize()} = {v}" if k != "churned" else f"churned = {v}")
        if period is not None:
            out.append(f"period = {period.label} ({period.start} to {date.fromordinal(period.end.toordinal() - 1)})")
        for kind, values in plan.get("pairs") or []:
            out.append(f"compare {DIM_LABEL.get(kind, kind)}: {' vs '.join(values)}")
        if plan.get("follow_up"):
            out.append("follow-up of the previous question")
        return out

    def _not_understood(self, question, plan, why: str) -> AnswerCard:
        understood = []
        for k, v in (plan.get("filters") or {}).items():
            understood.append(f"{DIM_LABEL.get(k, k)} = {v}")
        if plan.get("metric"):
            understood.append(f"measure = {plan['metric']}")
        what = ("I understood: " + "; ".join(understood) + ". ") if understood else ""
        return AnswerCard(question, "not_understood", "unknown",
                          f"Sorry, I did not understand the question ({why}). {what}I did not guess an answer.",
                          filters=understood, confidence=0.0, suggestions=self._suggestions())

    def _suggestions(self) -> list[str]:
        countries = self.gaz.values.get("country", []) or ["Germany"]
        fill = {"country": countries[0], "country2": countries[1] if len(countries) > 1 else countries[0],
                "customer": "<customer id>"}
        out = [s.format(**fill) for s in SUGGESTIONS]
        if not self.gaz.has_table("nlp.feedback_sentiment"):
            out = [s for s in out if "say about" not in s]
        return out[:6]

    def _scope_text(self, filters: dict, period: Period | None) -> str:
        parts = []
        if filters:
            parts.append(" for " + self._describe(filters))
        if period is not None:
            parts.append(f" in {period.label}")
        return "".join(parts)

    @staticmethod
    def _describe(filters: dict) -> str:
        bits = []
        for k, v in filters.items():
            if k == "churned":
                bits.append("churned customers" if v else "customers not churned")
            elif k == "risk_band":
                bits.append(f"{v} churn-risk customers")
            elif k == "segment":
                bits.append(f"the {v} segment")
            elif k == "category":
                bits.append(f"customers whose favourite category is {v}")
            else:
                bits.append(f"{DIM_LABEL.get(k, k)} {v}")
        return ", ".join(bits) if bits else "all customers"

    @staticmethod
    def _fmt(value, kind: str) -> str:
        if value is None:
            return "n/a"
        if kind == "share":
            return f"{value * 100:.1f}%"
        if kind == "int":
            return f"{int(round(value)):,}"
        if kind == "money":
            return f"{value:,.2f}"
        return f"{value:,.2f}"


def _label(v, dim: str) -> str:
    if isinstance(v, (date, datetime)):
        return v.strftime("%Y-%m") if dim == "month" else v.strftime("%Y-%m-%d")
    return str(v)


def _plain(plan: dict) -> dict:
    return json.loads(json.dumps(plan, default=_json_default))


def load_session(path: Path) -> Session:
    return Session.from_json(path.read_text()) if path.exists() else Session()


def save_session(path: Path, session: Session) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(session.to_json())
    tmp.replace(path)

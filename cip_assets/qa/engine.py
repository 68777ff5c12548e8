"""Question -> `Plan` (parser) -> handler -> parameterised SQL -> answer card, over the published copy only.

    engine = Engine()                      # the current published copy, the saved index if there is one
    card = engine.ask("how many customers in Germny")
    card.answer, card.value, card.table, card.sql, card.params, card.filters, card.words, card.confidence

A `Session` carries the last question's plan so follow-ups ("and in France?", "what about last
year?") change only what they name. Every word of a question must map to something the engine
knows (`card.words` says what each became); otherwise, and when the question needs a table that is
not published, the card says so (status `not_understood` / `not_available`), lists what it did
understand and suggests questions; it never answers a broader question and never guesses a number.
Questions over 500 characters, or that contain SQL or an injection attempt, are refused before any
pattern runs on them; every statement the engine runs is a SELECT over allow-listed tables and
columns with bound parameters on a read-only connection, and returns at most 100 rows.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from cip_assets.qa import glossary
from cip_assets.qa.gazetteer import Gazetteer
from cip_assets.qa.handlers import handle
from cip_assets.qa.intents import ExampleClassifier
from cip_assets.qa.parser import MAX_QUESTION_CHARS, NotUnderstood, Parser, ascii_digits
from cip_assets.qa.plan import Plan, json_default
from cip_assets.qa.templates import DIM_LABEL, METRICS, NONE_SINCE, NotAvailable, Query, Templates, check_sql

ON_THE_FLY_EMBED_MAX = 5000
SUGGESTIONS = ["how many customers in {country}", "total revenue last month", "top 5 countries by revenue",
               "which countries have the most high risk customers", "monthly revenue trend this year",
               "what share of customers are churned", "compare revenue in {country} and {country2}",
               "what is a Champion", "why is customer {customer} at risk", "what do customers say about delivery"]

# SQL or an attempt to change the data: each alternative is a plain token sequence (no nested repetition), so the
# scan is linear in the question; "select ... from" is found with two searches, not one backtracking pattern
INJECTION = re.compile(
    r"(;\s*(drop|delete|insert|update|alter|create|attach|copy|pragma|truncate|select|install|load|call|set|export)\b)|"
    r"\b(drop|truncate)\s+(table|schema|database|view)\b|\bdelete\s+from\b|\binsert\s+into\b|"
    r"\bupdate\s+\w+(\.\w+)?\s+set\b|\balter\s+table\b|\battach\s+'|\bcopy\s+\w+(\.\w+)?\s+(to|from)\b|"
    r"\bunion\s+(all\s+)?select\b|--|/\*|\bpragma\b|\bor\s+'?1'?\s*=\s*'?1|\bexec(ute)?\s*\(|"
    r"\bread_(csv|parquet|json)\w*\s*\(|\bignore\s+(all\s+)?(previous|prior)\s+instructions\b",
    re.IGNORECASE)
_SELECT = re.compile(r"\bselect\b", re.IGNORECASE)
_FROM_TABLE = re.compile(r"\bfrom\s+[a-z_]+(\.[a-z_]+)?\s*($|where\b|limit\b|;|\))", re.IGNORECASE)


def looks_like_sql(question: str) -> bool:
    if INJECTION.search(question):
        return True
    first = _SELECT.search(question)
    return bool(first and (re.search(r"\bselect\s+\*", question, re.IGNORECASE)
                           or _FROM_TABLE.search(question, first.end())))


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
    words: dict = field(default_factory=dict)  # each word of the question -> what it became
    customer_level: bool = False      # rows or text about one identifiable customer: analysts only

    def to_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self), default=json_default))

    def to_text(self) -> str:
        lines = [self.answer]
        if self.filters:
            lines.append("understood: " + "; ".join(self.filters))
        if self.words:
            lines.append("words: " + "; ".join(f"{w} = {what}" for w, what in self.words.items()))
        if self.table.get("rows"):
            cols = self.table["columns"]
            lines.append("")
            lines.append(" | ".join(cols))
            for row in self.table["rows"][:20]:
                lines.append(" | ".join(_fmt_cell(v) for v in row))
        if self.sql:
            lines += ["", f"sql: {self.sql}", f"params: {json.dumps(self.params, default=json_default)}"]
        if self.chart and self.chart.get("type") not in (None, "none"):
            lines.append(f"chart: {self.chart['type']} of {self.chart.get('y')} by {self.chart.get('x')}")
        lines.append(f"confidence: {self.confidence:.2f}")
        if self.suggestions:
            lines += ["", "try:"] + [f"  {s}" for s in self.suggestions]
        return "\n".join(lines)


def _codes(codes) -> str:
    """A list of product codes as said on a card: a long one (the non-merchandise codes) by its first few."""
    shown = ", ".join(codes[:4])
    return f"product codes {shown}" + (f" and {len(codes) - 4} more" if len(codes) > 4 else "")


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
        return json.dumps({"last": self.last, "history": self.history[-20:]}, default=json_default)

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
        self.as_of = date.fromisoformat(gaz.as_of[:10]) if gaz.as_of else None
        self.templates = Templates(gaz.tables or {}, self.as_of)
        personas = {}
        if stamp and gaz.has_table("ml.customer_segments"):
            with self.connect() as con:
                personas = dict(con.execute("SELECT segment_name, any_value(persona) FROM ml.customer_segments "
                                            "GROUP BY 1").fetchall())
        self.glossary = glossary.definitions(personas)

    def _index_build(self) -> str | None:
        """The encoder build the saved index was embedded with (torch for indexes saved before builds)."""
        manifest = self.index_dir / "manifest.json"
        if not manifest.exists():
            return None
        return json.loads(manifest.read_text()).get("encoder", "torch")

    @property
    def encoder(self):
        if self._encoder is None:
            from cip_assets.qa.intents import load_encoder

            self._encoder = load_encoder(self._index_build())
        return self._encoder

    def classifier(self) -> ExampleClassifier:
        if self._classifier is None:
            import numpy as np

            emb = None
            f = self.index_dir / "examples.npy"
            meta = self.index_dir / "examples.json"
            clf = ExampleClassifier(encoder=self._encoder)
            same_build = self._encoder is None or getattr(self._encoder, "backend", None) == self._index_build()
            if f.exists() and meta.exists() and json.loads(meta.read_text()).get("texts") == clf.texts and same_build:
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
        """Never raises: every failure is a card that says what went wrong and that nothing was guessed."""
        started = time.perf_counter()
        try:
            card = self._ask(question, session)
        except NotAvailable as exc:
            card = AnswerCard(question, "not_available", "unknown", f"I cannot answer that from the published data: {exc}.",
                              suggestions=self.suggestions())
        except Exception as exc:  # noqa: BLE001 - a question must never crash the caller (CLI, dashboard)
            card = AnswerCard(question, "not_understood", "unknown",
                              f"Sorry, I could not answer that ({type(exc).__name__}: {str(exc)[:200]}); I did not guess.",
                              suggestions=self._safe_suggestions())
        card.elapsed_ms = (time.perf_counter() - started) * 1000
        if session is not None:
            session.history.append(str(question)[:MAX_QUESTION_CHARS])
            if card.status == "answered" and card.plan:
                session.last = card.plan
        return card

    def _ask(self, question: str, session: Session | None) -> AnswerCard:
        q = (question or "").strip()
        if len(q) > MAX_QUESTION_CHARS:
            return AnswerCard(question, "refused", "refused", f"Questions are limited to {MAX_QUESTION_CHARS} characters "
                              f"(this one has {len(q):,}); nothing was run.", confidence=1.0)
        if not q:
            return self.not_understood(Plan("unknown", question=question), "the question is empty")
        if looks_like_sql(q):
            return AnswerCard(question, "refused", "refused",
                              "I only answer questions in plain words; this looks like SQL or an attempt to change "
                              "the data, so nothing was run.", suggestions=self.suggestions(), confidence=1.0)
        self.refresh()
        q = ascii_digits(q)
        previous = Plan.from_dict(session.last) if session is not None else None
        try:
            plan = self.parser.parse(q, previous)
        except NotUnderstood as exc:
            return self.not_understood(exc.plan or Plan("unknown", question=q), exc.why)
        plan.question = question
        return handle(self, plan)

    @property
    def parser(self) -> Parser:
        classify = (lambda text: self.classifier().predict(text)) if self.use_embeddings else None
        return Parser(self.gaz, self.glossary, self.as_of, classify)

    # ------------------------------------------------------------------ what handlers use
    def run(self, query: Query) -> tuple[list, list]:
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

    def card(self, plan: Plan, answer, value, rows, cols, query, chart) -> AnswerCard:
        return AnswerCard(plan.question, "answered", plan.intent, answer, value=value,
                          table={"columns": cols, "rows": rows}, chart=chart, sql=query.sql, params=list(query.params),
                          filters=self.understood(plan), confidence=float(plan.confidence or 0.9),
                          plan=plan.to_dict(), words=dict(plan.words),
                          customer_level=is_customer_level(plan.intent, cols))

    def empty(self, plan: Plan, query) -> AnswerCard:
        return AnswerCard(plan.question, "answered", plan.intent, "No rows match these filters.", value=None,
                          sql=query.sql, params=list(query.params), filters=self.understood(plan),
                          confidence=float(plan.confidence or 0.9), plan=plan.to_dict(), words=dict(plan.words))

    def no_customer(self, plan: Plan, cid, query) -> AnswerCard:
        return AnswerCard(plan.question, "not_available", plan.intent, f"There is no customer {cid} in the published "
                          "data.", sql=query.sql, params=query.params, filters=[f"customer = {cid}"], confidence=0.9,
                          suggestions=self.suggestions(), customer_level=True)

    def understood(self, plan: Plan) -> list[str]:
        out = []
        if plan.metric:
            out.append(f"measure = {METRICS[plan.metric].label}" if plan.metric in METRICS else plan.metric)
        for k, v in (plan.filters or {}).items():
            out.append(f"{DIM_LABEL.get(k, k).capitalize()} = {v}" if k != "churned" else f"churned = {v}")
        for k, values in (plan.exclude or {}).items():
            out.append(f"{DIM_LABEL.get(k, k).capitalize()} not in {', '.join(values)}")
        if plan.orders_condition:
            out.append(f"customers with {plan.orders_condition[0]} {plan.orders_condition[1]} orders")
        period = plan.period_obj
        if period is not None:
            out.append(f"period = {period.label} ({period.start} to {date.fromordinal(period.end.toordinal() - 1)})")
        for kind, values in plan.pairs or []:
            out.append(f"compare {DIM_LABEL.get(kind, kind)}: {' vs '.join(values)}")
        if plan.n_capped:
            out.append("at most 100 rows")
        if plan.follow_up:
            out.append("follow-up of the previous question")
        return out

    def not_understood(self, plan: Plan, why: str) -> AnswerCard:
        understood = self.understood(plan)
        what = ("I understood: " + "; ".join(understood) + ". ") if understood else ""
        return AnswerCard(plan.question, "not_understood", "unknown",
                          f"Sorry, I did not understand the question ({why}). {what}I did not guess an answer.",
                          filters=understood, confidence=0.0, suggestions=self.suggestions(), words=dict(plan.words))

    def suggestions(self) -> list[str]:
        countries = self.gaz.values.get("country", []) or ["Germany"]
        fill = {"country": countries[0], "country2": countries[1] if len(countries) > 1 else countries[0],
                "customer": "<customer id>"}
        out = [s.format(**fill) for s in SUGGESTIONS]
        if not self.gaz.has_table("nlp.feedback_sentiment"):
            out = [s for s in out if "say about" not in s]
        return out[:6]

    _suggestions = suggestions  # the dashboard's name for it

    def _safe_suggestions(self) -> list[str]:
        try:
            return self.suggestions()
        except Exception:  # noqa: BLE001 - no gazetteer yet (no published copy)
            return [s for s in SUGGESTIONS if "{" not in s][:6]

    def scope_text(self, plan: Plan) -> str:
        parts = []
        if plan.filters:
            parts.append(" for " + self.describe(plan.filters))
        for k, values in (plan.exclude or {}).items():
            parts.append(f" excluding {_codes(values)}" if k == "product_code" and len(values) > 1 else
                         f" excluding {DIM_LABEL.get(k, k)} {', '.join(values)}")
        if plan.orders_condition:
            op, n = plan.orders_condition
            words = {"=": "exactly", ">": "more than", ">=": "at least", "<": "fewer than", "<=": "at most"}[op]
            who = "" if plan.metric in (None, "customers") else " among customers"
            parts.append(f"{who} with {words} {n} order{'' if n == 1 else 's'}")
        period = plan.period_obj
        if period is not None:
            parts.append(f" in {period.label}")
        return "".join(parts)

    @staticmethod
    def describe(filters: dict) -> str:
        bits = []
        for k, v in filters.items():
            if isinstance(v, (list, tuple)) and k in ("segment", "risk_band", "country", "category", "persona", "city"):
                v = " or ".join(v)  # "either Lost or Hibernating"
            if k == "churned":
                bits.append("churned customers" if v else "customers not churned")
            elif k == "risk_band":
                bits.append(f"{v} churn-risk customers")
            elif k == "segment":
                bits.append(f"the {v} segment")
            elif k == "category":
                bits.append(f"category {v}")
            elif k == "product_code" and isinstance(v, (list, tuple)):
                bits.append(_codes(v))
            elif k == "anonymous" and not v:
                bits.append("orders with a customer id")
            elif k in ("scored", "rfm_scored", "anonymous", "new_in_period"):
                bits.append({"scored": "customers the churn model scored", "rfm_scored": "customers with an RFM segment",
                             "anonymous": "orders without a customer id",
                             "new_in_period": "customers whose first order falls in the period"}[k])
            elif k == "order_value":
                said = {"<": "under", "<=": "of at most", ">=": "of at least", ">": "over"}[v[0]]
                bits.append(f"completed orders {said} {v[1]:,.2f}")
            elif k in ("order_lines", "order_units"):
                said = {"<": "fewer than", "<=": "at most", ">=": "at least", "=": "exactly", ">": "more than"}[v[0]]
                noun = "line" if k == "order_lines" else "unit"
                bits.append(f"completed orders with {said} {v[1]:,} {noun}{'' if v[1] == 1 else 's'}")
            elif k == "weekday":
                bits.append("orders placed on " + " or ".join(v if isinstance(v, list) else [v]))
            elif k == "hour":
                bits.append(f"orders placed from {v[0]:02d}:00 to before {v[1]:02d}:00")
            elif k == "customer_condition":
                bits += [f"customers with no order from {number} on (a last order before it, or none)" if op == NONE_SINCE
                         else f"customers whose {column.replace('_', ' ')} {op} "
                              f"{number if isinstance(number, str) else format(number, ',g')}" for column, op, number in v]
            else:
                bits.append(f"{DIM_LABEL.get(k, k)} {v}")
        return ", ".join(bits) if bits else "all customers"

    @staticmethod
    def fmt(value, kind: str) -> str:
        if value is None:
            return "n/a"
        if kind == "share":
            return f"{value * 100:.1f}%"
        if kind == "date":
            return str(value)[:10]
        if kind == "int":
            return f"{int(round(value)):,}"
        return f"{value:,.2f}"


def is_customer_level(intent: str, columns: list) -> bool:
    """Answers about identifiable customers (a profile, churn reasons, a list of customer ids)."""
    names = {str(c).lower() for c in columns or []}
    return intent in ("profile", "why_risk") or bool(names & {"customer", "customer_id"})


def load_session(path: Path) -> Session:
    return Session.from_json(path.read_text()) if path.exists() else Session()


def save_session(path: Path, session: Session) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(session.to_json())
    tmp.replace(path)

"""The gazetteer: every named thing a question can mention, read from the published copy.

Countries, cities, categories, products, RFM segments, ML segment names, risk bands and feedback
topics are read with DISTINCT queries over the published marts (whatever of them is published);
customer ids are not listed (a million of them would not fit a question parser) but their shape
is learned from a sample, and an id found in a question is checked with a bound parameter.

Matching: the question is normalised (lower case, punctuation to spaces) and scanned for the
longest exact phrase first; what is left is matched fuzzily (rapidfuzz when installed, else
difflib) against the same phrases, so "Germny" finds Germany. Words the question grammar uses
("revenue", "customers", "top", ...) are never fuzzy-matched to an entity, and neither is a single word that is
itself an English word (a whole word of the sentence encoder's vocabulary): "shows" is no misspelt Shoes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

try:  # fast C implementation when present
    from rapidfuzz import fuzz as _rf_fuzz
    from rapidfuzz import process as _rf_process
except ImportError:  # pragma: no cover - exercised only where rapidfuzz is absent
    _rf_fuzz = _rf_process = None
import difflib
from functools import lru_cache

KINDS = ("country", "city", "category", "product", "segment", "persona", "risk_band", "topic", "gender")

# aliases people type for values that may be spelled otherwise in the data
ALIASES: dict[str, list[str]] = {
    "United Kingdom": ["uk", "u k", "britain", "great britain", "england", "gb"],
    "United States": ["usa", "us", "u s", "u s a", "america", "united states of america"],
    "USA": ["united states", "us", "u s", "america", "united states of america"],
    "EIRE": ["ireland", "eire", "republic of ireland"],
    "Ireland": ["eire", "republic of ireland"],
    "RSA": ["south africa"],
    "Netherlands": ["holland", "the netherlands"],
}
# "French customers", "German orders": a country's adjective names it too
DEMONYMS: dict[str, list[str]] = {
    "United Kingdom": ["british", "uk based"], "France": ["french"], "Germany": ["german"], "Spain": ["spanish"],
    "Italy": ["italian"], "Netherlands": ["dutch"], "Belgium": ["belgian"], "Switzerland": ["swiss"],
    "Portugal": ["portuguese"], "Australia": ["australian"], "Japan": ["japanese"], "Norway": ["norwegian"],
    "Sweden": ["swedish"], "Denmark": ["danish"], "Finland": ["finnish"], "Austria": ["austrian"], "Poland": ["polish"],
    "EIRE": ["irish"], "Ireland": ["irish"], "USA": ["american"], "United States": ["american"], "Canada": ["canadian"],
    "Greece": ["greek"], "Cyprus": ["cypriot"], "Israel": ["israeli"], "Iceland": ["icelandic"], "Brazil": ["brazilian"],
    "Lebanon": ["lebanese"], "Malta": ["maltese"], "Czech Republic": ["czech"], "Lithuania": ["lithuanian"],
    "Singapore": ["singaporean"], "United Arab Emirates": ["emirati"], "Saudi Arabia": ["saudi"],
    "Bahrain": ["bahraini"], "RSA": ["south african"], "China": ["chinese"], "India": ["indian"],
    "Mexico": ["mexican"], "Turkey": ["turkish"], "Hungary": ["hungarian"], "Romania": ["romanian"],
    "Estonia": ["estonian"], "Latvia": ["latvian"], "Slovakia": ["slovak", "slovakian"], "Slovenia": ["slovenian"],
    "Croatia": ["croatian"], "Bulgaria": ["bulgarian"], "Luxembourg": ["luxembourgish"],
}
# how a question names the codes that are not merchandise (postage, fees, adjustments), and merchandise itself
PRODUCT_CLASS_NAMES: dict[str, list[str]] = {
    "non-merchandise": ["non product", "non products", "non product codes", "non product lines", "non product items",
                        "non merchandise", "non merchandise codes", "non merchandise lines", "non merchandise items",
                    "service codes",
                        "non stock codes", "non stock items"],
    "merchandise": ["real products", "actual products", "proper products", "genuine products", "physical products",
                    "merchandise only", "real items", "actual items"],
}
GENDER_WORDS = {"female": ["female", "females", "women", "woman"], "male": ["male", "males", "men", "man"]}

# words of the question grammar: never fuzzy-matched onto an entity
PROTECTED = set("""
a an the of in on at to for from by with and or vs versus per each every all any what which who whom whose how
why when where is are was were be been do does did have has had many much most least more less top bottom best
worst highest lowest largest smallest biggest fewest number count total sum average mean avg median share percent
percentage proportion fraction ratio customers customer clients client buyers buyer people shoppers users revenue
sales sale turnover spend spent orders order purchases purchase value values age aged rate rates churn churned
churning risk risky band bands segment segments country countries city cities category categories product products
month months monthly week weeks weekly year years yearly day days daily quarter trend trends over time compare
compared comparison between since until last this next previous ago show tell me about profile say says saying said
think feedback reviews review complaints complain mention mentions mentioned define definition meaning mean means
explain what's whats score scores probability likely likelihood new active returning lifetime expected predicted
value_12m aov basket baskets line lines return returns returned cancel cancelled cancellation cancellations rating
ratings recency frequency monetary rfm high medium low give list find get please could would should can you i we
our my there their them they it its that those these than then also same now just only please
""".split())

STOP = {"a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or", "is", "are"}


def non_merchandise_codes(codes: list[str], dominant: float = 0.9) -> list[str]:
    """The product codes that are not merchandise, by shape: where at least `dominant` of the codes start with a
    digit (Online Retail documents a product's StockCode as a 5-digit number), or all but a few with a letter, the
    codes that start otherwise are postage, carriage, fees, discounts, samples and manual adjustments (POST, DOT,
    M, C2, BANK CHARGES...). None where the codes have no dominant shape."""
    if len(codes) < 20:
        return []
    digit_led = [c for c in codes if c[:1].isdigit()]
    if len(digit_led) >= dominant * len(codes):
        return sorted(c for c in codes if not c[:1].isdigit())
    if len(codes) - len(digit_led) >= dominant * len(codes):
        return sorted(digit_led)
    return []


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The whole words of the encoder's WordPiece vocabulary (about 20,000 common English words), from the installed
    wheel; empty where it is not installed."""
    try:
        from cip_resources.text_encoders import wheel_model_path

        lines = (wheel_model_path() / "vocab.txt").read_text(encoding="utf-8").split()
    except (ImportError, OSError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.islower() and len(w) >= 4)


def _length_slack(phrase: str) -> int:
    """How many letters a typo may add or drop: one in a short word ("plan" is no Poland, "begin" no Belgium)."""
    return 1 if len(phrase) <= 5 else max(2, len(phrase) // 4)


def normalise(text: str) -> str:
    text = text.lower().replace("&", " and ")
    text = re.sub(r"[^a-z0-9%]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Mention:
    kind: str
    value: str        # canonical value, as spelled in the data
    text: str         # the words of the question it came from
    score: float      # 100 = exact
    start: int        # token span in the normalised question
    end: int
    excluded: bool = False  # named after "excluding", "other than"...


@dataclass
class Gazetteer:
    values: dict[str, list[str]] = field(default_factory=dict)   # kind -> canonical values
    id_pattern: str | None = None                                # regex of a customer id
    as_of: str | None = None                                     # ISO date: the data's reference date
    first_date: str | None = None
    tables: dict[str, list[str]] = field(default_factory=dict)   # "schema.table" -> columns (what is published)
    stamp: str | None = None                                     # identity of the published copy it came from
    id_range: list[str] | None = None                            # the smallest and largest customer id
    code_names: dict[str, str] = field(default_factory=dict)     # lower-case product code -> the product's name
    name_codes: dict[str, list[str]] = field(default_factory=dict)  # every name a code was sold under -> its codes

    def __post_init__(self) -> None:
        self._build_lookup()

    # ------------------------------------------------------------------ building
    @classmethod
    def from_connection(cls, con, stamp: str | None = None) -> "Gazetteer":
        tables: dict[str, list[str]] = {}
        for schema, table, column in con.execute(
                """SELECT table_schema, table_name, column_name FROM information_schema.columns
                   WHERE table_schema IN ('marts', 'ml', 'nlp', 'monitoring')
                   ORDER BY table_schema, table_name, ordinal_position""").fetchall():
            tables.setdefault(f"{schema}.{table}", []).append(column)

        def distinct(table: str, column: str, limit: int = 50000) -> list[str]:
            if column not in tables.get(table, []):
                return []
            rows = con.execute(f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM {table} '
                               f'WHERE "{column}" IS NOT NULL LIMIT {int(limit)}').fetchall()
            return sorted({str(r[0]).strip() for r in rows if str(r[0]).strip()})

        values: dict[str, list[str]] = {}
        values["country"] = sorted(set(distinct("marts.customer_360", "country")) | set(distinct("marts.geo_summary", "country")))
        values["city"] = distinct("marts.customer_360", "city")
        values["category"] = sorted(set(distinct("marts.customer_360", "favourite_category"))
                                    | set(distinct("marts.funnel_daily", "category"))
                                    | set(distinct("marts.product_sales_monthly", "category"))
                                    | set(distinct("nlp.feedback_sentiment", "category")))
        values["product"] = sorted(set(distinct("marts.product_affinity", "product_a_name"))
                                   | set(distinct("marts.product_affinity", "product_b_name"))
                                   | set(distinct("marts.product_sales_monthly", "product_name")))
        values["product_code"] = distinct("marts.product_sales_monthly", "product_id")
        values["segment"] = sorted(set(distinct("marts.rfm_segment_map", "segment")) | set(distinct("marts.customer_rfm", "segment")))
        values["persona"] = distinct("ml.customer_segments", "segment_name")
        values["risk_band"] = distinct("ml.churn_scores", "risk_band")
        values["topic"] = distinct("nlp.feedback_sentiment", "topic_label")
        values["gender"] = [g for g in distinct("marts.customer_360", "gender") if g in GENDER_WORDS]
        values = {k: v for k, v in values.items() if v}

        id_pattern = id_range = None
        if "marts.customer_360" in tables:
            sample = [r[0] for r in con.execute("SELECT customer_id FROM marts.customer_360 USING SAMPLE 200 ROWS").fetchall()]
            id_pattern = learn_id_pattern(sample)
            low, high = con.execute("SELECT min(customer_id), max(customer_id) FROM marts.customer_360").fetchone()
            id_range = [str(low), str(high)] if low is not None else None
        as_of = first = None
        if "marts.daily_kpis" in tables:
            first, last = con.execute("SELECT min(order_date), max(order_date) FROM marts.daily_kpis").fetchone()
            as_of = last
        if "marts.customer_rfm" in tables:
            rfm_as_of = con.execute("SELECT max(as_of) FROM marts.customer_rfm").fetchone()[0]
            as_of = rfm_as_of or as_of
        code_names, name_codes = {}, {}
        if {"product_id", "product_name"} <= set(tables.get("marts.product_sales_monthly", [])):
            code_names = {str(code).lower(): str(name) for code, name in con.execute(
                "SELECT product_id, max(product_name) FROM marts.product_sales_monthly "
                "WHERE product_name IS NOT NULL GROUP BY product_id").fetchall()}
            names = ("marts.product_names" if {"product_id", "product_name"} <= set(tables.get("marts.product_names", []))
                     else "marts.product_sales_monthly")  # every name a code carried; else the one it shows
            name_codes = {str(name): sorted(codes) for name, codes in con.execute(
                f"SELECT product_name, list(DISTINCT product_id) FROM {names} "
                "WHERE product_name IS NOT NULL GROUP BY product_name").fetchall()}
        return cls(values=values, id_pattern=id_pattern, as_of=str(as_of) if as_of else None,
                   first_date=str(first) if first else None, tables=tables, stamp=stamp, id_range=id_range,
                   code_names=code_names, name_codes=name_codes)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Gazetteer":
        return cls(**{k: data.get(k) for k in ("values", "id_pattern", "as_of", "first_date", "tables", "stamp",
                                               "id_range")}, code_names=data.get("code_names") or {},
                   name_codes=data.get("name_codes") or {})

    def _build_lookup(self) -> None:
        self._exact: dict[str, tuple[str, str]] = {}
        priority = {k: i for i, k in enumerate(("segment", "risk_band", "country", "city", "category", "persona",
                                                 "topic", "gender", "product"))}
        entries: list[tuple[str, str, str]] = []
        self.product_codes: dict[str, list[str]] = {}  # lower-case code -> the codes as spelled (85123A, 85123a)
        for code in (self.values or {}).get("product_code", []):
            self.product_codes.setdefault(normalise(code).replace(" ", ""), []).append(code)
        for kind, vals in (self.values or {}).items():
            if kind == "product_code":  # matched only where the question says "code"/"sku" (see parser)
                continue
            for value in vals:
                if kind != "risk_band" or " " in value.strip():
                    entries.append((normalise(value), kind, value))  # a bare "high" is not a risk band
                    if "'" in value:  # "Can't Lose Them" typed "cant lose them"
                        entries.append((normalise(value.replace("'", "")), kind, value))
                for alias in ALIASES.get(value, []) + DEMONYMS.get(value, []) if kind == "country" else []:
                    entries.append((alias, kind, value))
                if kind == "gender":
                    entries += [(w, kind, value) for w in GENDER_WORDS.get(value, [])]
                if kind == "risk_band":
                    entries += [(f"{normalise(value)}{suffix}", kind, value)
                                for suffix in (" risk", " churn risk", " risk band", " band", " risk customers",
                                               " churn band", " churn risk band", " churn group")]
        self.non_merchandise = non_merchandise_codes((self.values or {}).get("product_code", []))
        if self.non_merchandise:  # "excluding postage and other non-product codes", "top real products"
            entries += [(phrase, "product_class", value) for value, phrases in PRODUCT_CLASS_NAMES.items()
                        for phrase in phrases]
        # an earlier kind wins a phrase spelled the same in two kinds (a city named like its country...)
        for phrase, kind, value in sorted(entries, key=lambda e: priority.get(e[1], 99)):
            if phrase and phrase not in self._exact:
                self._exact[phrase] = (kind, value)
        self._max_words = max((len(p.split()) for p in self._exact), default=1)
        # fuzzy candidates: phrases of 4+ characters that are not grammar words
        self._fuzzy_keys = [p for p in self._exact if len(p) >= 4 and p not in PROTECTED]
        self._product_keys = sorted({normalise(v) for v in (self.values or {}).get("product", [])})
        self._product_trigrams: dict[str, set[str]] = {}  # three words in a row -> the product names holding them
        for key in self._product_keys:
            words = key.split()
            for i in range(len(words) - 2):
                self._product_trigrams.setdefault(" ".join(words[i:i + 3]), set()).add(key)

    # ------------------------------------------------------------------ matching
    def find(self, question: str, skip: set[int] | None = None) -> list[Mention]:
        """Entities mentioned in the question: exact phrases first (longest wins), then fuzzy ones."""
        tokens = normalise(question).split()
        used = set(skip or ())
        found: list[Mention] = []
        for n in range(min(self._max_words, len(tokens)), 0, -1):
            for i in range(0, len(tokens) - n + 1):
                span = set(range(i, i + n))
                if span & used:
                    continue
                phrase = " ".join(tokens[i:i + n])
                hit = self._exact.get(phrase)
                if hit is None and n == 1 and phrase.endswith("s") and len(phrase) > 4:
                    hit = self._exact.get(phrase[:-1])  # plurals: "champions" is a value, "germanys" is not
                if hit and not (n == 1 and phrase in STOP):
                    if hit[1] == "New" and hit[0] == "segment" and not _near(tokens, i, "segment"):
                        continue  # "new customers" is a metric, not the New segment
                    found.append(Mention(hit[0], hit[1], phrase, 100.0, i, i + n))
                    used |= span
        for n in range(min(self._max_words, 6), 0, -1):  # a mistyped product name can be long
            for i in range(0, len(tokens) - n + 1):
                span = set(range(i, i + n))
                words = tokens[i:i + n]
                if span & used or any(w in PROTECTED or w.isdigit() for w in words):
                    continue
                phrase = " ".join(words)
                if len(phrase) < 4 or n == 1 and phrase in english_words() and not (  # a word as spelled, not a typo
                        f"{phrase}s" in self._exact or phrase[:-1] in self._exact):  # (but "champion": Champions)
                    continue
                match = self._fuzzy(phrase)
                if match:
                    key, score = match
                    kind, value = self._exact[key]
                    if kind == "segment" and value == "New":
                        continue
                    found.append(Mention(kind, value, phrase, score, i, i + n))
                    used |= span
        for n in range(min(self._max_words, 6), 1, -1):  # the start of one product's name: "regency cakestand"
            for i in range(0, len(tokens) - n + 1):
                span = set(range(i, i + n))
                words = tokens[i:i + n]
                if span & used or all(w in PROTECTED for w in words) or words[0] in PROTECTED:
                    continue
                hit = self._only_prefix(" ".join(words))
                if hit is None and words[-1].endswith("s") and len(words[-1]) > 4:  # "regency cakestands"
                    hit = self._only_prefix(" ".join(words)[:-1])
                if hit:
                    kind, value = self._exact[hit]
                    found.append(Mention(kind, value, " ".join(words), 90.0, i, i + n))
                    used |= span
        for n in range(min(self._max_words, 6), 2, -1):  # three words or more inside one product's name only:
            for i in range(0, len(tokens) - n + 1):     # "colour bird ornament"
                span = set(range(i, i + n))
                words = tokens[i:i + n]
                if span & used or any(w in PROTECTED or w.isdigit() for w in words):
                    continue
                hit = self._only_inside(" ".join(words))
                if hit:
                    kind, value = self._exact[hit]
                    found.append(Mention(kind, value, " ".join(words), 90.0, i, i + n))
                    used |= span
        return sorted(found, key=lambda m: m.start)

    def codes_named_with(self, words: str) -> list[str]:
        """The product codes sold under any name holding `words` (as SQL's LIKE '%words%' would, any case)."""
        needle = words.upper()
        return sorted({code for name, codes in self.name_codes.items() if needle in name.upper() for code in codes})

    def _only_inside(self, phrase: str) -> str | None:
        """The one product name that holds `phrase` (three words or more) as whole words, if exactly one does."""
        words = phrase.split()
        hits = [key for key in self._product_trigrams.get(" ".join(words[:3]), ()) if f" {phrase} " in f" {key} "]
        return hits[0] if len(hits) == 1 else None

    def _only_prefix(self, phrase: str) -> str | None:
        """The one product name that starts with `phrase` (two words or more), if exactly one does."""
        import bisect

        if len(phrase) < 8:
            return None
        i = bisect.bisect_left(self._product_keys, phrase)
        hits = []
        while i < len(self._product_keys) and self._product_keys[i].startswith(phrase) and len(hits) < 2:
            if self._product_keys[i][len(phrase):len(phrase) + 1] in ("", " "):
                hits.append(self._product_keys[i])
            i += 1
        return hits[0] if len(hits) == 1 else None

    def _fuzzy(self, phrase: str) -> tuple[str, float] | None:
        cutoff = 80.0
        if not self._fuzzy_keys:
            return None
        if _rf_process is not None:
            hit = _rf_process.extractOne(phrase, self._fuzzy_keys, scorer=_rf_fuzz.ratio, score_cutoff=cutoff)
            if hit and abs(len(hit[0]) - len(phrase)) <= _length_slack(phrase) and hit[0][0] == phrase[0]:
                return hit[0], float(hit[1])  # a typo keeps the first letter: "land" is no Poland
            return None
        hits = difflib.get_close_matches(phrase, self._fuzzy_keys, n=1, cutoff=cutoff / 100)
        if hits and abs(len(hits[0]) - len(phrase)) <= _length_slack(phrase) and hits[0][0] == phrase[0]:
            return hits[0], 100 * difflib.SequenceMatcher(None, phrase, hits[0]).ratio()
        return None

    def customer_ids(self, question: str) -> list[str]:
        """Tokens shaped like a customer id (checked against the data by the caller)."""
        if not self.id_pattern:
            return []
        try:
            return [m.group(0) for m in re.finditer(self.id_pattern, question, flags=re.IGNORECASE | re.ASCII)]
        except re.error:  # a pattern saved by an older version from ids with regex characters
            return []

    def could_be_customer(self, token: str) -> bool:
        """Whether a token shaped like a customer id lies within the ids the data has (a 5-digit stock code such as
        22423 is not one of Online Retail's customers, 12346 to 18287)."""
        if not self.id_range:
            return True
        low, high = self.id_range
        key = (lambda v: (len(v), v)) if token.isdigit() and low.isdigit() and high.isdigit() else (lambda v: v.upper())
        return key(low) <= key(token) <= key(high)

    def has_table(self, name: str) -> bool:
        return name in (self.tables or {})

    def columns(self, name: str) -> list[str]:
        return (self.tables or {}).get(name, [])


def _near(tokens: list[str], i: int, word: str, window: int = 2) -> bool:
    return any(t.startswith(word) for t in tokens[max(0, i - window): i + window + 1])


def learn_id_pattern(sample: list[str]) -> str | None:
    """A regex matching ids like the sample's: 'C0000057' -> C\\d{7}; '12346' -> \\d{5}."""
    sample = [str(s) for s in sample if s]
    if not sample:
        return None
    shapes = {re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", s)) for s in sample}
    prefixes = {re.match(r"[A-Za-z_-]*", s).group(0) for s in sample}
    if len(prefixes) == 1:
        prefix = prefixes.pop()
        digits = {len(s) - len(prefix) for s in sample}
        if all(s[len(prefix):].replace(".", "").isdigit() for s in sample):
            lo, hi = min(digits), max(digits)
            if prefix:
                return rf"\b{re.escape(prefix)}\d{{{lo},{hi}}}\b"
            return rf"\b\d{{{max(lo, 4)},{max(hi, 4)}}}(?:\.0)?\b"
    if len(shapes) <= 3:
        alts = ["".join(rf"\d{{{len(run)}}}" if run[0] == "9" else f"[A-Za-z]{{{len(run)}}}" if run[0] == "A"
                        else re.escape(run) for run in re.findall(r"9+|A+|[^9A]+", shape)) for shape in sorted(shapes)]
        return r"\b(?:" + "|".join(alts) + r")\b"
    return None

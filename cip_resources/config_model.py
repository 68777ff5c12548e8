"""The one typed model of `cip.yaml` and of inbox sidecars: every section, every key, unknown keys refused.

`parse_config` validates a whole file before anything runs (`settings.load_config` calls it), and
`parse_sidecar` an inbox sidecar (`inbox/<adapter>/<file>.json`, the options of one source). Errors
name the file and the key path, one line per problem:

    cip.yaml: offers.budjet: unknown key (did you mean 'budget'?; known: budget, contact_cost, ...)
    cip.yaml: sources[3] (alexa).date_format: unsupported directive '%Q' ...

This module is the single place that lists the keys. The section readers (`EventSettings`, `OfferSettings`,
the monitoring thresholds, the dashboard's access config, the ingest limits) validate their section through
`validate_section` and keep their own defaults: a key left out here is `None`, meaning "the reader's default".

Values that reach SQL are checked here too: `date_format` may only hold strftime directives DuckDB knows
plus literal text, `encoding` must be a text codec Python knows, `delimiter` one of a closed set, and the
generic adapter's `columns` / `constants` may only name columns of the contract's raw table.
"""

from __future__ import annotations

import codecs
import difflib
import types
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt,
                      TypeAdapter, ValidationError, field_validator, model_validator)

from cip_assets.ingest.contract import CHANNELS, LOADER_COLUMNS, RAW_TABLES


class ConfigError(ValueError):
    """The config (or a sidecar) is unreadable or names something CIP does not know."""


# ------------------------------------------------------------------ values that reach SQL
# strftime/strptime directives DuckDB 1.5 accepts (checked against DuckDB in tests/test_config_model.py)
STRFTIME_DIRECTIVES = frozenset({
    "%a", "%A", "%b", "%B", "%c", "%d", "%-d", "%f", "%g", "%G", "%h", "%H", "%-H", "%I", "%-I", "%j", "%-j",
    "%m", "%-m", "%M", "%-M", "%n", "%p", "%S", "%-S", "%T", "%u", "%U", "%V", "%w", "%W", "%x", "%X", "%y",
    "%-y", "%Y", "%z", "%Z", "%%",
})
MAX_DATE_FORMAT = 100


def check_date_format(value: Any) -> str:
    """A strptime format of DuckDB directives and literal text (quotes allowed: the loader binds it)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a strptime format such as '%d-%b-%y', got {value!r}")
    if len(value) > MAX_DATE_FORMAT:
        raise ValueError(f"longer than {MAX_DATE_FORMAT} characters")
    if any(ord(ch) < 32 and ch != "\t" or ord(ch) == 127 for ch in value):
        raise ValueError("control characters are not allowed")
    i = 0
    while i < len(value):
        if value[i] != "%":
            i += 1
            continue
        end = i + 3 if value[i + 1:i + 2] == "-" else i + 2
        directive = value[i:end]
        if directive not in STRFTIME_DIRECTIVES:
            raise ValueError(f"unsupported directive {directive!r} in {value!r} (DuckDB knows "
                             f"{' '.join(sorted(STRFTIME_DIRECTIVES, key=str.lower))}; write %% for a literal %)")
        i = end
    return value


# Python codec name -> DuckDB read_csv encoding; any other text codec is transcoded to UTF-8 by the reader
DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "iso8859-1": "latin-1", "utf-16": "utf-16"}


def check_encoding(value: Any) -> str:
    """A text encoding Python knows, by its canonical codec name ('cp1252', 'utf-8', 'iso8859-1', ...)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected an encoding name such as 'utf-8', 'cp1252' or 'latin-1', got {value!r}")
    try:
        info = codecs.lookup(value.strip())
    except LookupError:
        raise ValueError(f"unknown encoding {value!r} (for example utf-8, cp1252, latin-1, utf-16)") from None
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError(f"{value!r} is not a text encoding")
    return info.name


DELIMITERS = {",": ",", ";": ";", "\t": "\t", "|": "|", ":": ":", "~": "~", "^": "^", " ": " ",
              "\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " "}


def check_delimiter(value: Any) -> str:
    """One of a closed set of field separators (also by name: tab, comma, semicolon, pipe, space)."""
    key = value.lower() if isinstance(value, str) and len(value) > 1 else value
    if key not in DELIMITERS:
        raise ValueError(f"expected one of {sorted(k for k in DELIMITERS if len(k) == 1)} or tab/comma/semicolon/"
                         f"pipe/space, got {value!r}")
    return DELIMITERS[key]


Scalar = Union[bool, int, float, str, date, datetime, None]
Role = Literal["viewer", "analyst", "admin"]
MARKED_COLUMNS = tuple(c for c in LOADER_COLUMNS if c != "event_key")  # written by the loader only: 'source'


# ------------------------------------------------------------------ sources
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Source(_Strict):
    name: str | None = None


class _FileSource(_Source):
    path: str
    date_format: str | None = None  # strptime format for dates that are not ISO
    encoding: str | None = None  # default utf-8; undecodable rows are rejected, not mangled
    delimiter: str | None = None  # default ',' (tab for .tsv)
    sheet: str | NonNegativeInt | None = None  # Excel: sheet name or 0-based position

    @field_validator("path", mode="before")
    @classmethod
    def _path(cls, value: Any) -> Any:
        return str(value) if isinstance(value, Path) else value

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        return None if value is None else check_date_format(value)

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str | None) -> str | None:
        return None if value is None else check_encoding(value)

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str | None) -> str | None:
        return None if value is None else check_delimiter(value)


class SyntheticSource(_Source):
    adapter: Literal["synthetic"]
    path: str | None = None  # where to write the generated data (default: CIP_HOME/synthetic/...)
    customers: PositiveInt | None = None
    seed: int | None = None
    start: date | str | None = None
    end: date | str | None = None
    lines_per_customer: PositiveFloat | None = None
    events: bool | None = None


class OnlineRetailSource(_FileSource):
    adapter: Literal["online_retail"]


class EventsSource(_FileSource):
    adapter: Literal["events"]


class ReviewColumns(_Strict):
    """Canonical field -> the file's column (the same keys as `adapters._REVIEW_KEYS`)."""
    text: str | None = None
    rating: str | None = None
    title: str | None = None
    product_id: str | None = None
    product: str | None = None
    date: str | None = None
    created_at: str | None = None
    customer: str | None = None
    customer_id: str | None = None
    category: str | None = None
    feedback_id: str | None = None
    channel: str | None = None


class ReviewsSource(_FileSource):
    adapter: Literal["reviews"]
    columns: ReviewColumns | None = None
    channel: Literal[CHANNELS] | None = None


class CxWorkbookSource(_FileSource):
    adapter: Literal["cx_workbook"]


class CampaignColumns(_Strict):
    arm: str | None = None
    converted: str | None = None
    customer_id: str | None = None
    visited: str | None = None
    spend: str | None = None
    discount_pct: str | None = None
    exposed_at: str | None = None
    is_control: str | None = None


class CampaignSource(_FileSource):
    adapter: Literal["campaign"]
    columns: CampaignColumns | None = None
    control_arm: bool | int | float | str | None = None  # the arm value of the control group
    campaign_id: str | None = None  # default: the source's name


class LabelledColumns(_Strict):
    customer_id: str | None = None
    churned: str | None = None


class LabelledSource(_FileSource):
    adapter: Literal["labelled_customers"]
    columns: LabelledColumns | None = None
    labelled_at: datetime | date | str | None = None


class TableSource(_FileSource):
    adapter: Literal["table"]
    table: Literal[tuple(RAW_TABLES)]
    columns: dict[str, str] | None = None  # raw table column -> the file's column
    constants: dict[str, Scalar] | None = None  # raw table column -> one value for every row

    @model_validator(mode="after")
    def _contract_columns(self) -> "TableSource":
        allowed = [c for c in RAW_TABLES[self.table].columns if c not in MARKED_COLUMNS]
        for key in ("columns", "constants"):
            unknown = sorted(set(getattr(self, key) or {}) - set(allowed))
            if unknown:
                raise ValueError(f"'{key}' names {unknown}, not columns of raw.{self.table} (its columns: "
                                 f"{', '.join(allowed)})")
        return self


SOURCE_MODELS: dict[str, type[_Source]] = {
    m.model_fields["adapter"].annotation.__args__[0]: m
    for m in (SyntheticSource, OnlineRetailSource, EventsSource, ReviewsSource, CxWorkbookSource, CampaignSource,
              LabelledSource, TableSource)
}
SourceEntry = Annotated[Union[tuple(SOURCE_MODELS.values())], Field(discriminator="adapter")]


# ------------------------------------------------------------------ sections
class ChurnSection(_Strict):
    horizon_days: PositiveInt | None = None  # churned = no completed order in this many days (default 90)
    full_rescore_every_days: NonNegativeInt | None = None  # every active customer scored again (default 7; 0 = nightly)


class MartsSection(_Strict):
    as_of: datetime | date | None = None  # default: the last order date in the data

    @field_validator("as_of", mode="before")
    @classmethod
    def _iso(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value) if "T" in value or ":" in value else date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"expected an ISO date such as 2011-12-09, got {value!r}") from None
        return value


class EventsSection(_Strict):
    """Defaults in `cip_assets/events/features.py` (EventSettings)."""
    horizon_days: PositiveFloat | None = None
    snapshot_every_days: PositiveFloat | None = None
    train_snapshots: PositiveInt | None = None
    session_gap_minutes: PositiveInt | None = None
    max_train_events: PositiveInt | None = None
    max_test_events: PositiveInt | None = None


class OffersSection(_Strict):
    """Defaults in `cip_assets/pricing/offers.py` (OfferSettings)."""
    margin: float | None = Field(default=None, gt=0, le=1)
    budget: NonNegativeFloat | None = None
    max_offers: NonNegativeInt | None = None
    contact_cost: NonNegativeFloat | None = None
    min_profit: float | None = None


class ExperimentsSection(_Strict):
    planned_n_per_arm: dict[str, PositiveInt] | None = None  # campaign id -> planned customers per arm
    looks: dict[str, PositiveInt] | None = None  # campaign id -> how many times the test was read


class MonitoringSection(_Strict):
    """Alert thresholds; defaults in `cip_assets/monitoring/alerts.py` (DEFAULTS)."""
    high_value_quantile: float | None = Field(default=None, ge=0, le=1)
    max_customer_alerts: NonNegativeInt | None = None
    high_risk_share_rise: NonNegativeFloat | None = None
    sentiment_drop: NonNegativeFloat | None = None
    topic_surge_ratio: PositiveFloat | None = None
    min_texts: NonNegativeInt | None = None
    kpi_mad_multiplier: PositiveFloat | None = None
    kpi_min_relative_band: NonNegativeFloat | None = None
    kpi_baseline_weeks: PositiveInt | None = None
    drift_share: float | None = Field(default=None, ge=0, le=1)
    change_drift_share: float | None = Field(default=None, ge=0, le=1)
    reject_share: float | None = Field(default=None, ge=0, le=1)
    null_share_jump: float | None = Field(default=None, ge=0, le=1)
    max_publish_age_hours: PositiveFloat | None = None
    drift_sample_customers: PositiveInt | None = None


class DashboardUser(_Strict):
    role: Role = "viewer"
    password_hash: str | None = None  # `cip dashboard --hash-password`


class DashboardSection(_Strict):
    """Read by `cip_assets/reports/access.py`."""
    address: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    auth: bool | Literal["auto", "true", "false", "on", "off", "yes", "no"] | None = None
    local_role: Role | None = None
    users: dict[str, DashboardUser] | None = None
    sso_roles: dict[str, Role] | None = None  # e-mail -> role
    login_max_failures: PositiveInt | None = None
    login_lockout_seconds: NonNegativeInt | None = None


class IngestSection(_Strict):
    """Limits of the readers and the inbox; defaults in `cip_assets/ingest/readers.py` (IngestLimits)."""
    max_uncompressed_mb: PositiveFloat | None = None  # CSV/TSV, a .gz counted as it expands
    max_workbook_mb: PositiveFloat | None = None  # an Excel workbook's parts, uncompressed
    inbox_settle_seconds: NonNegativeFloat | None = None  # a file untouched this long is complete


EncoderBuild = Literal["torch", "onnx-int8", "static"]


class TextSection(_Strict):
    """Which build of the sentence encoder each use gets; defaults in `cip_resources/text_encoders.py`."""
    sentiment_encoder: EncoderBuild | None = None  # the sentiment classifier's features
    bulk_encoder: EncoderBuild | None = None  # topics, aspects, quotes, the question index


class CipFile(_Strict):
    """The whole `cip.yaml`."""
    sources: list[SourceEntry] = Field(min_length=1)
    engine: Literal["duckdb", "spark"] = "duckdb"  # where the dbt project runs (cip_resources/engine.py)
    churn: ChurnSection | None = None
    marts: MartsSection | None = None
    events: EventsSection | None = None
    offers: OffersSection | None = None
    experiments: ExperimentsSection | None = None
    monitoring: MonitoringSection | None = None
    dashboard: DashboardSection | None = None
    ingest: IngestSection | None = None
    text: TextSection | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> "CipFile":
        names = [s.name or s.adapter for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError(f"source names must be unique, got {names}")
        return self


SECTIONS = tuple(f for f in CipFile.model_fields if f != "sources")
SIDECAR_FORBIDDEN = ("name", "adapter", "path")  # the inbox folder and the file name decide these


# ------------------------------------------------------------------ entry points
def parse_config(data: Any, where: str) -> CipFile:
    """Validate a whole config (the YAML as loaded); ConfigError naming `where` and each key path."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of sections ({', '.join(('sources',) + SECTIONS)}), "
                          f"got {type(data).__name__}")
    try:
        return CipFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_report(exc, data, CipFile, where)) from None


def validate_section(name: str, value: Any) -> BaseModel | None:
    """One section, for a reader handed the raw dict: ConfigError naming `name.key`."""
    if name not in SECTIONS:
        raise KeyError(name)
    if value is None:
        return None
    annotation = CipFile.model_fields[name].annotation
    try:
        return TypeAdapter(annotation).validate_python(value)
    except ValidationError as exc:
        raise ConfigError(_report(exc, {name: value}, CipFile, None, prefix=(name,))) from None


def parse_sidecar(adapter: str, data: Any, where: str) -> dict:
    """Validate an inbox sidecar for `adapter`; returns its options (as given)."""
    if adapter not in SOURCE_MODELS or adapter == "synthetic":
        raise ConfigError(f"{where}: no inbox for adapter {adapter!r}")
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a JSON object of options, got {type(data).__name__}")
    lines = [f"{key}: not allowed in a sidecar (the inbox folder names the adapter, the file is the path)"
             for key in SIDECAR_FORBIDDEN if key in data]
    if lines:
        raise ConfigError(_join(where, lines))
    entry = {"adapter": adapter, "path": "<inbox file>", **data}
    try:
        SOURCE_MODELS[adapter].model_validate(entry)
    except ValidationError as exc:
        raise ConfigError(_report(exc, entry, SOURCE_MODELS[adapter], where)) from None
    return dict(data)


# ------------------------------------------------------------------ error messages
def _join(where: str | None, lines: list[str]) -> str:
    lines = list(dict.fromkeys(lines))
    if where is None:
        return "; ".join(lines)
    return f"{where}: {lines[0]}" if len(lines) == 1 else f"{where}:\n  " + "\n  ".join(lines)


def _report(exc: ValidationError, data: Any, root: type, where: str | None, prefix: tuple = ()) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        segments, keys = _walk(data, prefix + tuple(error["loc"]))
        lines.append(_line(error, segments, keys, _known_keys(root, keys)))
    return _join(where, lines)


def _walk(data: Any, loc: tuple) -> tuple[list[str], tuple]:
    """The key path of `loc` as text segments (["sources[2] (alexa)", ".columns", ".foo"]) and the loc with the
    union's tags marked as ("tag", adapter)."""
    segments: list[str] = []
    keys: list = []
    node, in_source = data, False
    for elem in loc:
        if (in_source and isinstance(node, dict) and isinstance(elem, str) and elem in SOURCE_MODELS
                and node.get("adapter") == elem):
            in_source = False
            keys.append(("tag", elem))  # the discriminated union's tag, not a key
            continue
        in_source = False
        if isinstance(elem, int):
            node = node[elem] if isinstance(node, list) and 0 <= elem < len(node) else None
            text = f"[{elem}]"
            if keys == ["sources"] and isinstance(node, dict):
                text += f" ({node.get('name') or node.get('adapter')})"
                in_source = True
            if segments:
                segments[-1] += text
            else:
                segments.append(text)
        else:
            segments.append(f".{elem}" if segments else str(elem))
            node = node.get(elem) if isinstance(node, dict) else None
        keys.append(elem)
    return segments, tuple(keys)


def _line(error: dict, segments: list[str], keys: tuple, known: list[str] | None) -> str:
    kind, value = error["type"], error.get("input")
    path = "".join(segments)

    def here(message: str) -> str:
        return f"{path}: {message}" if path else message

    if kind == "extra_forbidden":
        key = str(keys[-1]) if keys else path
        hint = ""
        if known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = (f" (did you mean {close[0]!r}?; known: {', '.join(known)})" if close
                    else f" (known: {', '.join(known)})")
        return f"{path}: unknown key{hint}"
    if kind == "missing":
        parent, key = "".join(segments[:-1]), keys[-1] if keys else path
        return f"{parent}: {key!r} is required" if parent else f"{key!r} is required"
    if kind == "union_tag_invalid":
        return here(f"unknown adapter {error['ctx']['tag']!r}; known: {', '.join(SOURCE_MODELS)}")
    if kind == "union_tag_not_found":
        return here(f"'adapter' is required (one of {', '.join(SOURCE_MODELS)})")
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type"):
        return here(f"expected a number, got {value!r}")
    if kind == "int_from_float":
        return here(f"expected a whole number, got {value!r}")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return here(f"expected a mapping of keys, got {value!r}")
    if kind == "list_type":
        return here(f"expected a list, got {value!r}")
    if kind == "too_short" and keys == ("sources",):
        return "sources: list at least one source"
    if kind == "literal_error":
        return here(f"expected one of {error['ctx']['expected']}, got {value!r}")
    if kind == "value_error":
        return here(str(error["ctx"]["error"]))
    message = error["msg"] or kind
    message = message.replace("Input should be", "must be").replace("input should be", "must be")
    return here(f"{message}, got {value!r}")


def _known_keys(root: type, keys: tuple) -> list[str] | None:
    """The keys the model allows at the parent of `keys` (for an unknown key's hint)."""
    node: Any = root
    for elem in keys[:-1]:
        node = _unwrap(node)
        if isinstance(elem, tuple):  # a union tag
            node = SOURCE_MODELS.get(elem[1])
        elif isinstance(elem, int):
            node = get_args(node)[0] if get_origin(node) is list else None
        elif isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields.get(elem)
            node = field.annotation if field else None
        elif get_origin(node) is dict:
            node = get_args(node)[1]
        else:
            return None
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return list(node.model_fields)
    return None


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional; a union of several models (the sources) is kept."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        if get_origin(tp) in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp

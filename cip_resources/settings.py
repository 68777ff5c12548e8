"""Every path and the sources config, decided in one place.

`CIP_HOME` (default `./.cip`) holds everything a run writes; `CIP_CONFIG` names the
sources file (`cip.yaml`). No config means the embedded synthetic default. The DuckDB
path is also exported as `CIP_DUCKDB_PATH`, the one variable dbt's profile and the
warehouse resource both read. `load_config` validates the whole file through the typed
model in `config_model` (unknown keys refused, errors naming the file and the key path)
before anything reads it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cip_resources.config_model import CipFile, ConfigError, parse_config

DEFAULT_SYNTHETIC = {"name": "synthetic", "adapter": "synthetic", "customers": 2000, "seed": 42}

__all__ = ["CipConfig", "ConfigError", "Paths", "SourceConfig", "export_env", "load_config", "paths"]


@dataclass(frozen=True)
class SourceConfig:
    name: str
    adapter: str
    path: Path | None
    options: dict[str, Any] = field(default_factory=dict)  # every other key of the entry

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


@dataclass(frozen=True)
class CipConfig:
    sources: tuple[SourceConfig, ...]
    churn_horizon_days: int = 90
    path: Path | None = None  # None = the embedded default
    raw: dict[str, Any] = field(default_factory=dict)  # the whole file, as validated by `model`
    model: CipFile | None = field(default=None, compare=False, repr=False)  # the typed, validated file


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def warehouse(self) -> Path:
        return Path(os.environ.get("CIP_DUCKDB_PATH") or self.home / "warehouse.duckdb")

    @property
    def lake(self) -> Path:
        """The raw tables as day-partitioned Parquet, written when the engine is Spark (cip_resources/lake.py)."""
        return Path(os.environ.get("CIP_LAKE_PATH") or self.home / "lake")

    @property
    def spark(self) -> Path:
        """Spark's own folder for the dbt project's tables and its metastore (the `spark` dbt target)."""
        return Path(os.environ.get("CIP_SPARK_PATH") or self.home / "spark")

    @property
    def published_dir(self) -> Path:
        return self.home / "published"

    @property
    def published_db(self) -> Path:
        """The safe copy: personal data masked (cip_assets/serving/privacy.py); any reader, any SQL tool."""
        return self.published_dir / "cip.duckdb"

    @property
    def analyst_db(self) -> Path:
        """The unmasked copy, published beside the safe one, for the dashboard's analyst role only."""
        return self.published_dir / "analyst" / "cip.duckdb"

    @property
    def mlflow_db(self) -> Path:
        return self.home / "mlflow.db"

    @property
    def mlartifacts(self) -> Path:
        return self.home / "mlartifacts"

    @property
    def qa_index(self) -> Path:
        return self.home / "qa_index"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME") or self.home / "dagster")

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def synthetic(self) -> Path:
        return self.home / "synthetic"

    def ensure(self) -> "Paths":
        for folder in (self.home, self.published_dir, self.mlartifacts, self.qa_index, self.reports,
                       self.dagster_home, self.inbox, self.synthetic, self.warehouse.parent):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def cip_home() -> Path:
    return Path(os.environ.get("CIP_HOME", ".cip")).resolve()


def paths() -> Paths:
    return Paths(cip_home())


def export_env() -> Paths:
    """Make the derived variables (CIP_DUCKDB_PATH, CIP_LAKE_PATH, CIP_SPARK_PATH, DAGSTER_HOME) visible to dbt
    and Dagster."""
    from cip_resources.instance import write_instance_settings

    p = paths().ensure()
    os.environ.setdefault("CIP_HOME", str(p.home))
    os.environ.setdefault("CIP_DUCKDB_PATH", str(p.warehouse))
    os.environ.setdefault("CIP_LAKE_PATH", str(p.lake))
    os.environ.setdefault("CIP_SPARK_PATH", str(p.spark))
    os.environ.setdefault("DAGSTER_HOME", str(p.dagster_home))
    write_instance_settings(p.dagster_home)  # runs queue one at a time (the warehouse's single writer)
    return p


def load_config(path: str | Path | None = None) -> CipConfig:
    """Read and validate `cip.yaml` (argument, else `CIP_CONFIG`); none means the synthetic default.

    Every section is checked here, before anything runs: a typo (`offers.budjet`), a value of the wrong type or
    an option that would reach SQL unchecked is a `ConfigError` naming the file and the key path."""
    path = path or os.environ.get("CIP_CONFIG")
    if not path:
        data = {"sources": [dict(DEFAULT_SYNTHETIC)]}
        model = parse_config(data, "the built-in default config")
        return CipConfig(sources=(_source(data["sources"][0], base=None),), model=model, raw=data)
    path = Path(path).resolve()
    if not path.exists():
        raise ConfigError(f"{path}: config file not found (set CIP_CONFIG or pass --config)")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    model = parse_config({} if data is None else data, str(path))
    sources = tuple(_source(entry, base=path.parent) for entry in data["sources"])
    horizon = model.churn.horizon_days if model.churn and model.churn.horizon_days else 90
    return CipConfig(sources=sources, churn_horizon_days=horizon, path=path, raw=data, model=model)


def _source(entry: dict[str, Any], base: Path | None) -> SourceConfig:
    """A validated source entry; `options` are its other keys as written (the adapters read them)."""
    adapter = entry["adapter"]
    path = None
    if entry.get("path") is not None:
        path = Path(str(entry["path"])).expanduser()
        if not path.is_absolute() and base is not None:
            path = (base / path).resolve()
    options = {k: v for k, v in entry.items() if k not in ("name", "adapter", "path")}
    return SourceConfig(name=str(entry.get("name") or adapter), adapter=adapter, path=path, options=options)

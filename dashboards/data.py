"""Cached, read-only queries over the published copy (never the warehouse).

Each query opens `CIP_HOME/published/cip.duckdb` read-only and closes it; the cache key carries
the copy's inode and mtime, so a publish that swaps the file in invalidates every cached result at
once, and the short TTL bounds staleness otherwise. A query that meets a half-finished swap is
retried by `queries.connect` and, failing that, reported as "refreshing".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from cip_assets.reports import queries

TTL = 60


def db() -> Path:
    """The signed-in role's copy: analysts the unmasked analyst copy, viewers the safe one."""
    return queries.published_db(role=st.session_state.get("role"))


def version() -> tuple[int, int]:
    return queries.version(db())


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=500)
def _read(sql: str, params: tuple | None, db_path: str, key_version: tuple) -> pd.DataFrame:
    return queries.read(Path(db_path), sql, dict(params) if params else None)


def read(sql: str, **params) -> pd.DataFrame:
    """`read("SELECT ... WHERE country = $country", country="UK")`, cached per published copy."""
    return _read(sql, tuple(sorted(params.items())) or None, str(db()), version())


@st.cache_data(ttl=TTL, show_spinner=False)
def _tables(db_path: str, key_version: tuple) -> dict[str, list[str]]:
    return queries.tables(Path(db_path))


def tables() -> dict[str, list[str]]:
    return _tables(str(db()), version())


def has(*names: str) -> bool:
    available = tables()
    return all(n in available for n in names)


def columns(table: str) -> list[str]:
    return tables().get(table, [])


@st.cache_data(ttl=TTL, show_spinner=False)
def _kpis(db_path: str, start, end, key_version: tuple) -> list:
    return queries.kpis(Path(db_path), start, end, queries.tables(Path(db_path)))


def kpis(start, end) -> list:
    return _kpis(str(db()), start, end, version())


def span():
    """(first, last) order day of marts.daily_kpis, or None."""
    if not has("marts.daily_kpis"):
        return None
    frame = read("SELECT min(order_date) AS lo, max(order_date) AS hi FROM marts.daily_kpis")
    if frame.empty or pd.isna(frame.lo[0]):
        return None
    return pd.Timestamp(frame.lo[0]).date(), pd.Timestamp(frame.hi[0]).date()

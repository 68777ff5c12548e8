"""Shared page furniture: login, roles, the filters that carry across pages, missing-table notes, exports."""

from __future__ import annotations

import io
import re
import secrets
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from cip_assets.reports import access, queries
from dashboards import data

EXCEL_MAX_ROWS = 1_000_000  # Excel's sheet limit is 1,048,576 rows


# ---------------------------------------------------------------- login and roles
def config() -> access.DashboardConfig:
    return access.load_dashboard_config()


def bind_address() -> str | None:
    """The address the server really listens on: Streamlit's `server.address`, None (every interface) when unset."""
    return st.get_option("server.address") or None


def sso_configured() -> bool:
    """Streamlit's OIDC login is set up: an `[auth]` section in `.streamlit/secrets.toml`."""
    try:
        return bool(st.secrets.get("auth"))
    except Exception:  # no secrets file, or one that does not parse: no SSO
        return False


def _signed_in(user: str, role: str, method: str) -> None:
    st.session_state.user, st.session_state.role, st.session_state.login_method = user, role, method


def _forget() -> None:
    for key in ("user", "role", "login_method"):
        st.session_state.pop(key, None)


def login_gate() -> None:
    """Sets session_state user/role from the config as it is now, on every rerun (a user removed or demoted loses
    access at the next interaction), or shows the login and stops the script."""
    cfg = config()
    if not cfg.auth_enabled(bind_address()):
        _signed_in("local", cfg.local_role, "local")
        return
    notice = None
    if st.session_state.get("login_method") == "password":
        role = cfg.role_of(st.session_state.get("user"))
        if role:
            st.session_state.role = role
            return
        notice = "Your user name is no longer in the dashboard's configuration."
    sso = sso_configured()
    if sso and st.user.to_dict().get("is_logged_in"):
        info = st.user.to_dict()
        email = str(info.get("email") or "")
        role = cfg.sso_role(email, info.get("email_verified"))
        if role:
            if (st.session_state.get("user"), st.session_state.get("login_method")) != (email, "sso"):
                access.audit("login", email, role, detail={"method": "sso"})
            _signed_in(email, role, "sso")
            return
        _forget()
        if st.session_state.get("sso_refused") != email:
            access.audit("login_refused", email, None, detail={"method": "sso"})
            st.session_state.sso_refused = email
        st.title("Customer Intelligence Platform")
        st.error(f"{md(email or 'This account')} has no access to this dashboard: an admin can add the e-mail "
                 "to dashboard.sso_roles in cip.yaml.")
        st.button("Log out", key="sso_logout", on_click=st.logout)
        st.stop()
    _forget()
    _login_form(cfg, sso, notice)


def _login_form(cfg: access.DashboardConfig, sso: bool, notice: str | None) -> None:
    st.title("Customer Intelligence Platform")
    if notice:
        st.warning(notice)
    if sso:
        from streamlit.auth_util import is_authlib_installed

        if is_authlib_installed():
            st.button("Log in with SSO", key="login_sso", on_click=st.login)
        else:
            st.caption("Single sign-on is configured in secrets.toml, but Streamlit needs the Authlib package for it "
                       "(`pip install 'Authlib>=1.3.2'`).")
    if cfg.users or not sso:
        with st.form("login"):
            user = st.text_input("User", key="login_user")
            password = st.text_input("Password", type="password", key="login_password")
            submitted = st.form_submit_button("Log in")
        if submitted:
            session = st.session_state.setdefault("login_session", secrets.token_hex(16))
            outcome = access.login(cfg, user, password, session)
            if outcome.role:
                _signed_in(user, outcome.role, "password")
                st.rerun()
            if outcome.locked_for:
                st.error(f"Too many failed logins for this user name or this browser session: try again in "
                         f"{-(-outcome.locked_for // 60)} minute(s).")
            else:
                st.error("Wrong user name or password.")
    st.stop()


def logout_button() -> None:
    """In the sidebar when someone logged in (not when the login is off)."""
    method = st.session_state.get("login_method")
    if method in ("password", "sso") and st.sidebar.button("Log out", key="logout"):
        _forget()
        if method == "sso":
            st.logout()
        st.rerun()


def role() -> str:
    return st.session_state.get("role", "viewer")


def user() -> str:
    return st.session_state.get("user", "")


def allowed(needed: str) -> bool:
    return access.at_least(role(), needed)


def page_guard(needed: str = "viewer", what: str = "This page") -> None:
    """First line of every page: a page reached any other way than through app.py's login still refuses."""
    if "role" not in st.session_state:
        st.warning("Please log in first (open the dashboard's start page).")
        st.stop()
    require(needed, what)


def require(needed: str, what: str = "This page") -> None:
    if not allowed(needed):
        st.warning(f"{what} shows customer-level data and needs the {needed} role; you are signed in as "
                   f"{role()}.")
        st.stop()


def mask(frame: pd.DataFrame) -> pd.DataFrame:
    return access.mask_frame(frame, role())


def table(frame: pd.DataFrame, **kwargs) -> None:
    """st.dataframe of what the role may see (viewers: no customer keys, personal fields masked)."""
    st.dataframe(mask(frame), hide_index=True, width="stretch", **kwargs)


# ---------------------------------------------------------------- text from the data
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&])")
_WWW = re.compile(r"\bwww\.", re.IGNORECASE)


def md(value) -> str:
    """Text from the data made inert inside st.markdown/caption/info/...: every Markdown and HTML character is
    backslash-escaped and line breaks collapse, so a review's `![x](http://...)` shows as typed and loads nothing;
    a word joiner (U+2060, invisible) after `:` in `://` and after `www` keeps URLs from turning into links."""
    text = " ".join(str(value).split()).replace("://", ":\u2060//")
    return _MARKDOWN.sub(r"\\\1", _WWW.sub(lambda m: m.group(0)[:-1] + "\u2060.", text))


# ---------------------------------------------------------------- filters
def sidebar_filters() -> None:
    """Widgets live in app.py (run on every page), so their keys carry the choices across pages."""
    sb = st.sidebar
    sb.caption(f"Signed in as **{md(user())}** ({role()})")
    if "marts.daily_kpis" not in data.tables():
        return
    span = data.span()
    if span:
        lo, hi = span
        default = (max(lo, hi - timedelta(days=89)), hi)
        sb.date_input("Period", value=st.session_state.get("f_period", default), min_value=lo, max_value=hi,
                      key="f_period")
    countries = data.read("SELECT country FROM marts.geo_summary WHERE country IS NOT NULL ORDER BY customers DESC")
    sb.multiselect("Country", countries.country.tolist(), key="f_country")
    if data.has("marts.customer_rfm"):
        segments = data.read("SELECT DISTINCT segment FROM marts.customer_rfm WHERE segment IS NOT NULL ORDER BY 1")
        sb.multiselect("RFM segment", segments.segment.tolist(), key="f_segment")
    cats = data.read("SELECT DISTINCT favourite_category AS c FROM marts.customer_360 WHERE favourite_category "
                     "IS NOT NULL ORDER BY 1")
    sb.multiselect("Category", cats.c.tolist(), key="f_category")


def period() -> tuple[date, date] | None:
    value = st.session_state.get("f_period")
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value[0], value[1]
    if isinstance(value, (tuple, list)) and len(value) == 1:
        return value[0], value[0]
    span = data.span()
    return (max(span[0], span[1] - timedelta(days=89)), span[1]) if span else None


def selected(name: str) -> list[str]:
    return list(st.session_state.get(f"f_{name}") or [])


def where(**columns: str) -> tuple[str, dict]:
    """SQL conditions and parameters for the active filters, e.g. where(country="c.country")."""
    parts, params = ["TRUE"], {}
    for name, column in columns.items():
        chosen = selected(name)
        if chosen:
            parts.append(f"{column} IN (SELECT unnest(${name}::VARCHAR[]))")
            params[name] = list(chosen)
    return " AND ".join(parts), params


def filter_note(applies: str) -> None:
    st.caption(f"Filters used on this page: {applies}.")


# ---------------------------------------------------------------- missing data
def need(*tables: str) -> bool:
    """True when every table is published; otherwise an info box saying what to run."""
    missing = [t for t in tables if not data.has(t)]
    for t in missing:
        st.info(queries.missing_message(t))
    return not missing


def published_or_stop() -> None:
    if not data.db().exists():
        st.info(f"No published copy at `{data.db()}` yet: run `cip run` (or `make run`) and reload.")
        st.stop()


# ---------------------------------------------------------------- tables and exports
def paginated(frame: pd.DataFrame, key: str, page_size: int = 50, height: int | str = "auto") -> None:
    pages = max(1, -(-len(frame) // page_size))
    if pages > 1:
        page = st.number_input(f"Page (of {pages}, {len(frame):,} rows)", 1, pages, 1, key=f"{key}_page")
        frame = frame.iloc[(page - 1) * page_size: page * page_size]
    table(frame, height=height)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _inert(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) get a leading quote;
    numbers, and text that is just a number, stay as they are."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_inert)
    return out


def export_bytes(frame: pd.DataFrame, fmt: str, for_role: str) -> bytes:
    """CSV or Excel of `frame` as `for_role` may see it (masking applied before anything is written, formulas
    neutralised)."""
    frame = neutralise_formulas(access.mask_frame(frame, for_role))
    if fmt == "csv":
        return frame.to_csv(index=False, lineterminator="\r\n").encode()  # RFC 4180: a CR inside a cell is quoted
    buf = io.BytesIO()
    out = frame.head(EXCEL_MAX_ROWS).copy()
    for col in out.columns:  # Excel has no time zones
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_localize(None)
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        out.to_excel(writer, index=False, sheet_name="data")
    return buf.getvalue()


def export_buttons(frame, name: str, key: str) -> None:
    """Prepare (audited) then download; analysts and admins only. `frame` may be a callable that loads it,
    so a large table is read only when someone asks for it."""
    if not allowed("analyst"):
        st.caption("Exports need the analyst role.")
        return
    cols = st.columns([1, 1, 4])
    fmt = cols[0].selectbox("Format", ["csv", "xlsx"], key=f"{key}_fmt", label_visibility="collapsed")
    if cols[1].button("Prepare export", key=f"{key}_prep"):
        frame = frame() if callable(frame) else frame
        st.session_state[f"{key}_bytes"] = (fmt, export_bytes(frame, fmt, role()))
        access.audit("export", user(), role(), target=name, detail={"rows": len(frame), "format": fmt})
    prepared = st.session_state.get(f"{key}_bytes")
    if prepared:
        fmt, payload = prepared
        mime = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        cols[2].download_button(f"Download {name}.{fmt}", payload, file_name=f"{name}.{fmt}", mime=mime,
                                key=f"{key}_dl")

"""Dashboard access: users and roles from config, salted password hashes, masking, the audit store.

Config (`cip.yaml`, the file named by `CIP_CONFIG`):

```yaml
dashboard:
  address: 127.0.0.1        # bind address; anything else turns auth on unless `auth: false` is explicit
  port: 8501
  auth: auto                # auto (off only when the server binds loopback explicitly) | true | false
  local_role: analyst       # the role everyone gets when auth is off
  users:
    ana: {role: analyst, password_hash: "scrypt$131072$8$1$<salt hex>$<hash hex>"}
    vic: {role: viewer,  password_hash: "..."}
  sso_roles:                # optional: e-mail -> role for Streamlit's OIDC login ([auth] in secrets.toml)
    ana@example.com: analyst
  login_max_failures: 5     # failed logins per user name or per session ...
  login_lockout_seconds: 300  # ... within this many seconds lock that name/session for as long
```
`cip dashboard --hash-password` prints a hash for a password read from the terminal. The variable
`CIP_DASHBOARD_AUTH` (on/off/auto), set by `cip dashboard --auth`, overrides `auth`.

`auth: auto` is decided by the address the server really binds: Streamlit without `--server.address`
listens on every interface, so an unset address means the login is on; only an explicit loopback
address (127.0.0.1, ::1, localhost) turns it off. Roles are looked up in the config on every rerun,
so a user removed or demoted loses access at the next interaction.

The audit trail (logins and exports) and alert acknowledgements cannot live in the published
copy: it is read-only and replaced wholesale on every publish. They go to a small SQLite file,
`CIP_HOME/dashboard/dashboard.sqlite` (SQLite because the dashboard process and `cip report`
may write at the same moment, which SQLite's file locking allows and DuckDB's single writer
does not).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ROLES = ("viewer", "analyst", "admin")
_SCRYPT = {"n": 2 ** 17, "r": 8, "p": 1}  # new hashes; hashes made with 2**14 before still verify
_MAX_N = 2 ** 20  # a stored hash asking for more would take seconds and GiBs per login


# ---------------------------------------------------------------- passwords
def _kdf(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    """hashlib.scrypt with room for its work memory (128·r·n bytes: 128 MiB at n=2**17, over the 32 MiB default)."""
    if not (1 < n <= _MAX_N and n & (n - 1) == 0 and 0 < r <= 32 and 0 < p <= 16):
        raise ValueError(f"scrypt parameters out of range: n={n} r={r} p={p}")
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=dklen,
                          maxmem=128 * r * (n + p + 2) + 2 ** 20)


def hash_password(password: str, salt: bytes | None = None, n: int | None = None) -> str:
    """`scrypt$n$r$p$salt$hash` with a fresh 16-byte salt (hashlib.scrypt, no extra package)."""
    salt = salt or secrets.token_bytes(16)
    n = n or _SCRYPT["n"]
    digest = _kdf(password, salt, n, _SCRYPT["r"], _SCRYPT["p"], 32)
    return f"scrypt${n}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = _kdf(password, bytes.fromhex(salt), int(n), int(r), int(p), len(digest) // 2)
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def _cost(stored: str) -> tuple[int, int, int]:
    try:
        _, n, r, p, _, _ = stored.split("$")
        return int(n), int(r), int(p)
    except (ValueError, AttributeError):
        return 0, 0, 0


# ---------------------------------------------------------------- config
@dataclass(frozen=True)
class DashboardConfig:
    address: str = "127.0.0.1"
    port: int = 8501
    auth: str | bool = "auto"
    local_role: str = "analyst"
    users: dict[str, dict[str, str]] = field(default_factory=dict)
    sso_roles: dict[str, str] = field(default_factory=dict)
    login_max_failures: int = 5
    login_lockout_seconds: int = 300

    def auth_enabled(self, address: str | None) -> bool:
        """`address` is what the server really binds (Streamlit's `server.address`); None binds every interface."""
        if isinstance(self.auth, bool):
            return self.auth
        if str(self.auth).lower() in ("true", "on", "yes"):
            return True
        if str(self.auth).lower() in ("false", "off", "no"):
            return False
        return not is_loopback(address)

    def check(self, user: str, password: str) -> str | None:
        """The user's role when the password matches, else None. An unknown name costs the same scrypt work
        as a known one (a dummy hash with the users' parameters), so timing does not tell which names exist."""
        entry = self.users.get(user)
        stored = str(entry.get("password_hash", "")) if entry else self._dummy_hash()
        ok = verify_password(password, stored)
        return entry.get("role", "viewer") if entry and ok else None

    def _dummy_hash(self) -> str:
        costs = [c for c in (_cost(str(e.get("password_hash", ""))) for e in self.users.values()) if c[0]]
        n, r, p = max(costs) if costs else (_SCRYPT["n"], _SCRYPT["r"], _SCRYPT["p"])
        return f"scrypt${n}${r}${p}${'00' * 16}${'00' * 32}"

    def role_of(self, user: str | None) -> str | None:
        """The configured role of a password user now (None once removed): read again on every rerun."""
        entry = self.users.get(user or "")
        return entry.get("role", "viewer") if entry else None

    def sso_role(self, email: str | None, email_verified: bool | None = None) -> str | None:
        """The role `dashboard.sso_roles` gives an identity provider's e-mail; unknown or unverified: None."""
        if not email or email_verified is False:
            return None
        roles = {str(k).strip().lower(): v for k, v in self.sso_roles.items()}
        return roles.get(str(email).strip().lower())


def is_loopback(address: str | None) -> bool:
    """True only for an explicit loopback address; unset or empty binds every interface."""
    address = (address or "").strip().strip("[]")
    if not address:
        return False
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def load_dashboard_config(path: str | Path | None = None) -> DashboardConfig:
    """The `dashboard:` section of the file named by `CIP_CONFIG` (or `path`); defaults without one."""
    path = path or os.environ.get("CIP_CONFIG")
    section: dict[str, Any] = {}
    if path and Path(path).exists():
        section = (yaml.safe_load(Path(path).read_text()) or {}).get("dashboard") or {}
    users = section.get("users") or {}
    for name, entry in users.items():
        if entry.get("role", "viewer") not in ROLES:
            raise ValueError(f"dashboard.users.{name}: role must be one of {ROLES}, got {entry.get('role')!r}")
    sso_roles = section.get("sso_roles") or {}
    for email, role in sso_roles.items():
        if role not in ROLES:
            raise ValueError(f"dashboard.sso_roles.{email}: role must be one of {ROLES}, got {role!r}")
    limits = {}
    for key, default, least in (("login_max_failures", 5, 1), ("login_lockout_seconds", 300, 0)):  # 0 s: no lock
        limits[key] = int(section.get(key) if section.get(key) is not None else default)
        if limits[key] < least:
            raise ValueError(f"dashboard.{key} must be at least {least}, got {limits[key]}")
    return DashboardConfig(address=str(section.get("address", "127.0.0.1")), port=int(section.get("port", 8501)),
                           auth=os.environ.get("CIP_DASHBOARD_AUTH") or section.get("auth", "auto"),
                           local_role=section.get("local_role", "analyst"), users=users, sso_roles=sso_roles,
                           **limits)


def at_least(role: str | None, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


# ---------------------------------------------------------------- masking
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w])\+?\d[\d ()./-]{6,}\d(?![\w])")
PERSONAL_NAME_COLUMNS = {"name", "first_name", "last_name", "full_name", "customer_name", "email", "e_mail",
                         "phone", "phone_number", "address", "street"}
AGE_COLUMNS = {"age"}
CUSTOMER_KEY_COLUMNS = {"customer_id", "user_id", "customer_key", "session_key", "session_id"}
FREE_TEXT_COLUMNS = {"text", "title", "message", "body", "comment", "representative_1", "representative_2",
                     "representative_3", "quote", "review"}


def mask_text(values: pd.Series) -> pd.Series:
    """E-mail addresses and phone numbers inside free text replaced by placeholders (vectorised)."""
    return (values.astype("string").str.replace(EMAIL, "[e-mail]", regex=True)
            .str.replace(PHONE, "[phone]", regex=True))


def mask_frame(frame: pd.DataFrame, role: str | None) -> pd.DataFrame:
    """What `role` may see: viewers get no customer keys, names/e-mails/phones hidden, ages as 10-year bands,
    free text scrubbed."""
    if at_least(role, "analyst"):
        return frame
    out = frame.drop(columns=[c for c in frame.columns if str(c).lower() in CUSTOMER_KEY_COLUMNS])
    for column in out.columns:
        lower = str(column).lower()
        if lower in PERSONAL_NAME_COLUMNS:
            out[column] = "•••"
        elif lower in AGE_COLUMNS:
            age = pd.to_numeric(out[column], errors="coerce")
            band = (age // 10 * 10).astype("Int64")
            out[column] = band.astype("string") + "-" + (band + 9).astype("string")
        elif lower in FREE_TEXT_COLUMNS and (out[column].dtype == object or pd.api.types.is_string_dtype(out[column])):
            out[column] = mask_text(out[column])
    return out


# ---------------------------------------------------------------- audit store
def store_path(home: str | Path | None = None) -> Path:
    home = Path(home or os.environ.get("CIP_HOME", ".cip")).resolve()
    return home / "dashboard" / "dashboard.sqlite"


def _store(home: str | Path | None = None) -> sqlite3.Connection:
    path = store_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=10)
    con.execute("""CREATE TABLE IF NOT EXISTS audit (
        at TEXT NOT NULL, user TEXT, role TEXT, action TEXT NOT NULL, target TEXT, detail TEXT)""")
    con.execute("""CREATE TABLE IF NOT EXISTS alert_acks (
        alert_id TEXT PRIMARY KEY, acknowledged_at TEXT NOT NULL, user TEXT, note TEXT)""")
    con.execute("CREATE TABLE IF NOT EXISTS login_failures (subject TEXT NOT NULL, at REAL NOT NULL)")
    con.execute("CREATE TABLE IF NOT EXISTS login_locks (subject TEXT PRIMARY KEY, until REAL NOT NULL)")
    return con


def audit(action: str, user: str | None, role: str | None, target: str = "", detail: dict | None = None,
          home: str | Path | None = None) -> None:
    """One row per login (ok/failed) and per export: who, when, what."""
    with _store(home) as con:
        con.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?)",
                    [datetime.now(timezone.utc).isoformat(timespec="seconds"), user, role, action, target,
                     json.dumps(detail or {}, default=str)])
    con.close()


def audit_log(home: str | Path | None = None, limit: int = 500) -> pd.DataFrame:
    con = _store(home)
    try:
        return pd.read_sql_query("SELECT * FROM audit ORDER BY rowid DESC LIMIT ?", con, params=[limit])
    finally:
        con.close()


def acknowledge(alert_id: str, user: str | None, note: str = "", home: str | Path | None = None) -> None:
    with _store(home) as con:
        con.execute("INSERT OR REPLACE INTO alert_acks VALUES (?, ?, ?, ?)",
                    [str(alert_id), datetime.now(timezone.utc).isoformat(timespec="seconds"), user, note])
    con.close()


def acknowledged(home: str | Path | None = None) -> pd.DataFrame:
    con = _store(home)
    try:
        return pd.read_sql_query("SELECT * FROM alert_acks", con)
    finally:
        con.close()


# ---------------------------------------------------------------- login throttling
@dataclass(frozen=True)
class LoginOutcome:
    role: str | None
    locked_for: int = 0  # seconds before this user name or session may try again; 0 when not locked


def _subjects(user: str, session: str) -> list[str]:
    return [f"user:{user}", f"session:{session}"]


def lockout_left(user: str, session: str, home: str | Path | None = None, now: float | None = None) -> int:
    """Seconds until the lock on this user name or this session ends (0: not locked)."""
    now = time.time() if now is None else now
    con = _store(home)
    try:
        until = con.execute("SELECT max(until) FROM login_locks WHERE subject IN (?, ?)",
                            _subjects(user, session)).fetchone()[0]
    finally:
        con.close()
    return max(0, int(-(-(until - now) // 1))) if until else 0


def login(cfg: DashboardConfig, user: str, password: str, session: str, home: str | Path | None = None,
          now: float | None = None) -> LoginOutcome:
    """The password form's check, audited and throttled: `login_max_failures` failures of one user name or one
    session within `login_lockout_seconds` lock that name and that session for `login_lockout_seconds`. Kept in
    the SQLite store, so neither a rerun nor a new process nor another browser tab resets the count. An attempt
    counts as failed before scrypt runs (one write transaction checks and counts it), so parallel attempts cannot
    slip past the limit while their KDFs run; a success takes it back."""
    now = time.time() if now is None else now
    subjects = _subjects(user, session)
    con = _store(home)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("DELETE FROM login_locks WHERE until <= ?", [now])
        con.execute("DELETE FROM login_failures WHERE at <= ?", [now - cfg.login_lockout_seconds])
        (until,) = con.execute("SELECT max(until) FROM login_locks WHERE subject IN (?, ?)", subjects).fetchone()
        if not until:
            con.executemany("INSERT INTO login_failures VALUES (?, ?)", [(s, now) for s in subjects])
            for subject in subjects:
                (failures,) = con.execute("SELECT count(*) FROM login_failures WHERE subject = ?",
                                          [subject]).fetchone()
                if failures >= cfg.login_max_failures:  # lock, and count afresh once the lock ends
                    con.execute("INSERT OR REPLACE INTO login_locks VALUES (?, ?)",
                                [subject, now + cfg.login_lockout_seconds])
                    con.execute("DELETE FROM login_failures WHERE subject = ?", [subject])
        con.commit()
    finally:
        con.close()
    if until:
        left = max(1, int(-(-(until - now) // 1)))
        audit("login_locked", user, None, detail={"seconds_left": left}, home=home)
        return LoginOutcome(None, left)
    role = cfg.check(user, password)
    if role:
        with _store(home) as con:
            con.execute("DELETE FROM login_failures WHERE subject IN (?, ?)", subjects)
            con.execute("DELETE FROM login_locks WHERE subject IN (?, ?)", subjects)
        con.close()
    audit("login" if role else "login_failed", user, role, detail={"method": "password"}, home=home)
    return LoginOutcome(role, 0 if role else lockout_left(user, session, home, now))

"""Dashboard access: users and roles from config, salted password hashes, masking, the audit store.

Config (`cip.yaml`, the file named by `CIP_CONFIG`):

```yaml
dashboard:
  address: 127.0.0.1        # bind address; anything else turns auth on unless `auth: false` is explicit
  port: 8501
  auth: auto                # auto (on when the address is not loopback) | true | false
  local_role: analyst       # the role everyone gets when auth is off
  users:
    ana: {role: analyst, password_hash: "scrypt$16384$8$1$<salt hex>$<hash hex>"}
    vic: {role: viewer,  password_hash: "..."}
```
`cip dashboard --hash-password` prints a hash for a password read from the terminal. The variable
`CIP_DASHBOARD_AUTH` (on/off/auto), set by `cip dashboard --auth`, overrides `auth`.

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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ROLES = ("viewer", "analyst", "admin")
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


# ---------------------------------------------------------------- passwords
def hash_password(password: str, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$salt$hash` with a fresh 16-byte salt (hashlib.scrypt, no extra package)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(digest) // 2)
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


# ---------------------------------------------------------------- config
@dataclass(frozen=True)
class DashboardConfig:
    address: str = "127.0.0.1"
    port: int = 8501
    auth: str | bool = "auto"
    local_role: str = "analyst"
    users: dict[str, dict[str, str]] = field(default_factory=dict)

    def auth_enabled(self, address: str | None = None) -> bool:
        if isinstance(self.auth, bool):
            return self.auth
        if str(self.auth).lower() in ("true", "on", "yes"):
            return True
        if str(self.auth).lower() in ("false", "off", "no"):
            return False
        return not is_loopback(address or self.address)

    def check(self, user: str, password: str) -> str | None:
        """The user's role when the password matches, else None."""
        entry = self.users.get(user)
        if not entry or not verify_password(password, str(entry.get("password_hash", ""))):
            return None
        return entry.get("role", "viewer")


def is_loopback(address: str) -> bool:
    if address in ("localhost", ""):
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
    return DashboardConfig(address=str(section.get("address", "127.0.0.1")), port=int(section.get("port", 8501)),
                           auth=os.environ.get("CIP_DASHBOARD_AUTH") or section.get("auth", "auto"), local_role=section.get("local_role", "analyst"),
                           users=users)


def at_least(role: str | None, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


# ---------------------------------------------------------------- masking
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w])\+?\d[\d ()./-]{6,}\d(?![\w])")
PERSONAL_NAME_COLUMNS = {"name", "first_name", "last_name", "full_name", "customer_name", "email", "e_mail",
                         "phone", "phone_number", "address", "street"}
AGE_COLUMNS = {"age"}
FREE_TEXT_COLUMNS = {"text", "title", "message", "body", "comment", "representative_1", "representative_2",
                     "representative_3", "quote", "review"}


def mask_text(values: pd.Series) -> pd.Series:
    """E-mail addresses and phone numbers inside free text replaced by placeholders (vectorised)."""
    return (values.astype("string").str.replace(EMAIL, "[e-mail]", regex=True)
            .str.replace(PHONE, "[phone]", regex=True))


def mask_frame(frame: pd.DataFrame, role: str | None) -> pd.DataFrame:
    """What `role` may see: viewers get names/e-mails/phones hidden, ages as 10-year bands, free text scrubbed."""
    if at_least(role, "analyst"):
        return frame
    out = frame.copy()
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

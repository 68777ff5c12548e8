"""Dashboard access without a published copy: who gets a login, passwords, throttling, roles read again on
every rerun, single sign-on, what viewers see, exports that a spreadsheet cannot run, data text as text.

The login runs before anything reads the published copy, so these AppTests need only a CIP_HOME for the
audit store; the page-level checks on real data are in tests/test_dashboard.py.
"""

import csv
import hashlib
import re
import subprocess
import sys
from io import BytesIO, StringIO
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `dashboards` is not an installed package
    sys.path.insert(0, str(ROOT))
APP = str(ROOT / "dashboards" / "app.py")
FAST = 2 ** 14  # the old cost: still verifies, and keeps these tests quick

from cip_assets.reports import access  # noqa: E402


@pytest.fixture
def dash(monkeypatch, tmp_path):
    """CIP_HOME in tmp, a cip.yaml with the given dashboard section, and the server's bind address."""
    bound = st_config.get_option("server.address")
    monkeypatch.setenv("CIP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CIP_DASHBOARD_AUTH", raising=False)

    def use(dashboard: dict | None = None, address: str | None = None) -> Path:
        path = tmp_path / "cip.yaml"
        path.write_text(yaml.safe_dump({"dashboard": dashboard or {}}))
        monkeypatch.setenv("CIP_CONFIG", str(path))
        st_config.set_option("server.address", address)
        return path
    yield use
    st_config.set_option("server.address", bound)


def _users(**extra) -> dict:
    return {"auth": True, "users": {"ana": {"role": "analyst", "password_hash": access.hash_password("pw-a", n=FAST)},
                                    "vic": {"role": "viewer", "password_hash": access.hash_password("pw-v", n=FAST)}},
            **extra}


def _login(at: AppTest, user: str, password: str) -> AppTest:
    at.text_input(key="login_user").set_value(user)
    at.text_input(key="login_password").set_value(password)
    next(b for b in at.button if b.label == "Log in").click().run()
    return at


def _login_form_shown(at: AppTest) -> bool:
    return any(t.key == "login_user" for t in at.text_input)


# ---------------------------------------------------------------- who gets a login
def test_auth_auto_follows_the_address_the_server_really_binds(dash):
    cfg = access.DashboardConfig(auth="auto")
    assert cfg.auth_enabled(None) and cfg.auth_enabled("") and cfg.auth_enabled("0.0.0.0") and cfg.auth_enabled("::")
    assert cfg.auth_enabled("192.168.1.5")
    assert not any(cfg.auth_enabled(a) for a in ("127.0.0.1", "::1", "[::1]", "localhost"))
    assert access.DashboardConfig(auth=False).auth_enabled(None) is False
    assert access.DashboardConfig(auth="on").auth_enabled("127.0.0.1") is True
    # `streamlit run dashboards/app.py` without --server.address listens everywhere: the login is on,
    # even though the config's own address says loopback
    dash({"address": "127.0.0.1"}, address=None)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and _login_form_shown(at) and "role" not in at.session_state
    dash({"address": "127.0.0.1"}, address="127.0.0.1")  # what `cip dashboard` passes
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not _login_form_shown(at) and at.session_state["role"] == "analyst"


# ---------------------------------------------------------------- passwords
def test_new_hashes_cost_2_17_and_old_2_14_hashes_still_verify():
    stored = access.hash_password("pw")
    assert stored.startswith("scrypt$131072$8$1$")
    assert access.verify_password("pw", stored) and not access.verify_password("px", stored)
    salt = bytes(range(16))  # a hash as the code before wrote it, computed here independently of access.py
    old = f"scrypt$16384$8$1${salt.hex()}${hashlib.scrypt(b'pw', salt=salt, n=2 ** 14, r=8, p=1, dklen=32).hex()}"
    assert access.verify_password("pw", old) and not access.verify_password("px", old)
    assert not access.verify_password("pw", "scrypt$4194304$8$1$00$00")  # refused, not a 4 GiB KDF


def test_an_unknown_user_costs_the_same_scrypt_work_as_a_known_one(monkeypatch):
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(kwargs["n"])
        return real(*args, **kwargs)

    cfg = access.DashboardConfig(auth=True, users=_users()["users"])
    monkeypatch.setattr(access.hashlib, "scrypt", counting)
    assert cfg.check("ana", "wrong") is None
    assert cfg.check("nobody", "wrong") is None
    assert cfg.check("ana", "pw-a") == "analyst"
    assert calls == [FAST, FAST, FAST]  # the unknown name ran the KDF, at the configured users' cost
    calls.clear()
    assert access.DashboardConfig(auth=True).check("nobody", "x") is None and calls == [2 ** 17]


# ---------------------------------------------------------------- throttling
def test_failed_logins_lock_the_user_name_and_the_session(tmp_path):
    home = tmp_path / "home"
    cfg = access.DashboardConfig(auth=True, users=_users()["users"], login_max_failures=3, login_lockout_seconds=60)
    t = 1_000_000.0
    assert access.login(cfg, "ana", "x", "s1", home, now=t) == access.LoginOutcome(None, 0)
    assert access.login(cfg, "ana", "x", "s2", home, now=t + 1).locked_for == 0
    third = access.login(cfg, "ana", "x", "s3", home, now=t + 2)  # three sessions, one name
    assert third.role is None and third.locked_for == 60
    # the right password is refused while the name is locked, from any session, without checking it
    assert access.login(cfg, "ana", "pw-a", "s4", home, now=t + 30) == access.LoginOutcome(None, 32)
    assert access.login(cfg, "vic", "pw-v", "s4", home, now=t + 30).role == "viewer"  # other names are not
    assert access.login(cfg, "ana", "pw-a", "s4", home, now=t + 63).role == "analyst"  # the lock ended
    # one session trying several names (and names that do not exist) is locked too
    for n, name in enumerate(("zoe", "max", "vic")):
        outcome = access.login(cfg, name, "guess", "spray", home, now=t + 100 + n)
    assert outcome.locked_for == 60
    assert access.login(cfg, "ana", "pw-a", "spray", home, now=t + 110).role is None
    # the lock lives in the SQLite store: another process sees it
    probe = (f"from cip_assets.reports import access; "
             f"print(access.lockout_left('someone', 'spray', {str(home)!r}, now={t + 110}))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "52"
    actions = access.audit_log(home).action.tolist()
    assert actions.count("login_locked") == 2 and actions.count("login_failed") == 6


def test_parallel_attempts_cannot_run_more_kdfs_than_the_limit(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    cfg = access.DashboardConfig(auth=True, users=_users()["users"], login_max_failures=3, login_lockout_seconds=60)
    calls = []
    real = hashlib.scrypt
    monkeypatch.setattr(access.hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    with ThreadPoolExecutor(8) as pool:  # eight tabs at once, one user name
        outcomes = list(pool.map(lambda n: access.login(cfg, "ana", "guess", f"tab{n}", tmp_path / "home"), range(8)))
    assert len(calls) == 3 and sum(o.locked_for > 0 for o in outcomes) >= 5


def test_the_login_form_refuses_after_too_many_failures(dash):
    dash(_users(login_max_failures=2, login_lockout_seconds=600))
    at = AppTest.from_file(APP, default_timeout=60).run()
    _login(at, "ana", "nope")
    assert any("Wrong user name or password" in e.value for e in at.error)
    _login(at, "ana", "nope")
    _login(at, "ana", "pw-a")  # right, but locked: a rerun does not reset the count
    assert any("Too many failed logins" in e.value and "10 minute" in e.value for e in at.error)
    assert "role" not in at.session_state
    fresh = _login(AppTest.from_file(APP, default_timeout=60).run(), "ana", "pw-a")  # a new session: still locked
    assert "role" not in fresh.session_state and any("Too many failed logins" in e.value for e in fresh.error)


# ---------------------------------------------------------------- roles follow the config
def test_a_removed_or_demoted_user_loses_access_at_the_next_rerun(dash):
    path = dash(_users())
    at = _login(AppTest.from_file(APP, default_timeout=60).run(), "ana", "pw-a")
    assert at.session_state["role"] == "analyst"
    section = _users()
    section["users"]["ana"]["role"] = "viewer"
    path.write_text(yaml.safe_dump({"dashboard": section}))
    at.run()
    assert at.session_state["role"] == "viewer"
    with pytest.raises(ValueError):  # the analyst pages are no longer registered
        at.switch_page("views/customer.py")
    del section["users"]["ana"]
    path.write_text(yaml.safe_dump({"dashboard": section}))
    at.run()
    assert "role" not in at.session_state and _login_form_shown(at)
    assert any("no longer" in w.value for w in at.warning)


# ---------------------------------------------------------------- single sign-on
def test_sso_role_mapping():
    cfg = access.DashboardConfig(auth=True, sso_roles={"Ana@Example.com": "analyst", "vic@example.com": "viewer"})
    assert cfg.sso_role("ana@example.com") == "analyst" and cfg.sso_role(" ANA@example.COM ") == "analyst"
    assert cfg.sso_role("vic@example.com", email_verified=True) == "viewer"
    assert cfg.sso_role("vic@example.com", email_verified=False) is None  # the provider did not verify it
    assert cfg.sso_role("eve@example.com") is None and cfg.sso_role(None) is None and cfg.sso_role("") is None


SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                    "client_id": "cip", "client_secret": "s", "server_metadata_url": "https://idp.example/.well-known"}}


def test_sso_login_maps_the_e_mail_to_a_role_and_refuses_unknown_ones(dash):
    from streamlit.auth_util import is_authlib_installed

    path = dash({"auth": True, "sso_roles": {"ana@example.com": "analyst"}})
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets = SECRETS
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception and "role" not in at.session_state
    if is_authlib_installed():
        assert any(b.label == "Log in with SSO" for b in at.button)
    else:  # st.login needs Authlib: say so instead of a button that fails
        assert any("Authlib" in c.value for c in at.caption)
    at.user = {"is_logged_in": True, "email": "Ana@example.com", "email_verified": True}
    at.run()
    assert not at.exception and at.session_state["role"] == "analyst"
    assert at.session_state["user"] == "Ana@example.com"
    path.write_text(yaml.safe_dump({"dashboard": {"auth": True, "sso_roles": {}}}))  # removed: no access now
    at.run()
    assert "role" not in at.session_state and any("has no access" in e.value for e in at.error)
    other = AppTest.from_file(APP, default_timeout=60)
    other.secrets = SECRETS
    other.user = {"is_logged_in": True, "email": "eve@example.com"}
    other.run()
    assert "role" not in other.session_state and any("has no access" in e.value for e in other.error)
    assert {"login", "login_refused"} <= set(access.audit_log().action)


# ---------------------------------------------------------------- what viewers see, exports, data text
def test_viewers_get_no_customer_keys():
    frame = pd.DataFrame({"customer_id": ["C1"], "Session_Key": ["s"], "country": ["UK"], "value": [1.0]})
    assert list(access.mask_frame(frame, "viewer").columns) == ["country", "value"]
    assert list(access.mask_frame(frame, "analyst").columns) == list(frame.columns)


def test_exports_never_write_a_live_formula():
    from dashboards.ui import export_bytes

    texts = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "-12.5", "ok"]
    frame = pd.DataFrame({"text": texts, "amount": [-5.0, 1, 2, 3, 4, 5, 6, 7],
                          "label": pd.Series(["=1+1"] * 8, dtype="string")})
    expected = ["'" + t for t in texts[:6]] + ["-12.5", "ok"]
    rows = list(csv.reader(StringIO(export_bytes(frame, "csv", "analyst").decode(), newline="")))
    assert [r[0] for r in rows[1:]] == expected
    assert rows[1][1] == "-5.0" and rows[1][2] == "'=1+1"  # numbers stay numbers
    sheet = openpyxl.load_workbook(BytesIO(export_bytes(frame, "xlsx", "analyst"))).active
    cells = [row for row in sheet.iter_rows(min_row=2)]
    assert all(c.data_type != "f" for row in cells for c in row)
    assert [row[0].value for row in cells] == [t.replace("\r", "\n") for t in expected]  # XML reads CR as LF
    assert cells[0][1].value == -5 and cells[0][1].data_type == "n" and cells[0][2].value == "'=1+1"


def test_text_from_the_data_is_escaped_for_markdown():
    from dashboards.ui import md

    review = "Great ![x](http://example.com/x.png) <img src=x> **bold** :red[red] see www.example.com\nnext line"
    shown = md(review)
    assert not re.search(r"(?<!\\)[!\[\]()<>*:]", shown), shown  # each one backslash-escaped
    assert "\n" not in shown and "://" not in shown and "www." not in shown.replace("\\", "")  # no autolinks
    # nothing lost: less the escapes and the invisible word joiners, the text reads as typed
    assert shown.replace("\\", "").replace("\u2060", "") == review.replace("\n", " ")

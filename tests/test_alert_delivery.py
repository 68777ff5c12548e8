"""Alert delivery against real local servers (an HTTP server and a small SMTP server in threads, with TLS):
a redirect is a failure, secrets stay out of config and error text, each channel keeps its own progress,
STARTTLS / implicit TLS and login work, the DST fall-back hour loses nothing, customer data stays home."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import ipaddress
import json
import socketserver
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from cip_assets.monitoring import alerts as rules
from cip_assets.monitoring.sensors import alert_sensor
from cip_resources.notifier import DeliveryError, NotifierConfigError, NotifierResource
from cip_resources.settings import paths

FAST = {"retries": 2, "backoff_seconds": 0.01, "timeout_seconds": 3}
ALERT = {"id": "a1", "severity": "info", "kind": "test", "entity": "x", "message": "m"}


# --- a webhook receiver --------------------------------------------------------------------------------
class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.posts.append((self.path, json.loads(body)))
        self.server.auth.append(self.headers.get("Authorization"))
        status = self.server.status
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/moved/secret-path?key=k")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):  # noqa: N802 - where a followed redirect would land, answering 200
        self.server.gets.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.posts, server.gets, server.auth, server.status = [], [], [], 200
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_port}/hooks/T0-SECRET-PATH?token=s3cr3t"
    yield server
    server.shutdown()
    server.server_close()


# --- a small SMTP server: EHLO, STARTTLS, AUTH PLAIN, MAIL/RCPT/DATA; implicit TLS on request -----------
@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (the client trusts it through smtp_ca_file)."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


class _Smtp(socketserver.StreamRequestHandler):
    def handle(self):
        server, conn, tls = self.server, self.connection, False
        rfile, wfile = self.rfile, self.wfile

        def secure():
            nonlocal conn, rfile, wfile, tls
            conn = server.tls.wrap_socket(conn, server_side=True)
            rfile, wfile, tls = conn.makefile("rb"), conn.makefile("wb"), True

        def say(*lines):
            wfile.write(b"".join(f"{line}\r\n".encode() for line in lines))
            wfile.flush()

        if server.implicit:
            secure()
        say("220 test ESMTP")
        while line := rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ")[0].upper()
            server.seen.append((verb, tls))
            if verb in ("EHLO", "HELO"):
                say("250-test", *(["250-STARTTLS"] if server.offer_starttls and not tls else []),
                    "250-AUTH PLAIN", "250 8BITMIME")
            elif verb == "STARTTLS":
                say("220 go ahead")
                secure()
            elif verb == "AUTH":
                _, user, password = base64.b64decode(command.split(" ")[2]).decode().split("\0")
                server.logins.append((user, password, tls))
                say("235 accepted")
            elif verb == "MAIL":
                say(server.mail_reply)
            elif verb == "DATA":
                say("354 go on")
                data = []
                while (part := rfile.readline()) not in (b".\r\n", b""):
                    data.append(part)
                server.messages.append(b"".join(data).decode())
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:  # RCPT, RSET, NOOP
                say("250 ok")


@pytest.fixture
def smtp_server(tls_files):
    def start(offer_starttls=True, implicit=False):
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
        server.daemon_threads = True
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(*tls_files)
        server.offer_starttls, server.implicit, server.mail_reply = offer_starttls, implicit, "250 ok"
        server.seen, server.logins, server.messages = [], [], []
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        started.append(server)
        return server

    started = []
    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def _mailer(server, tls_files, **fields) -> dict:
    return {"smtp_host": "127.0.0.1", "smtp_port": server.server_address[1], "smtp_ca_file": str(tls_files[0]),
            "email_to": "ops@example.com", **FAST, **fields}


# --- the webhook ---------------------------------------------------------------------------------------
def test_a_redirect_is_a_failed_delivery_not_a_followed_get(hook):
    hook.status = 302
    notifier = NotifierResource(webhook_url=hook.url, **FAST)
    with pytest.raises(DeliveryError, match="HTTP 302 .*redirect") as failure:
        notifier.send("webhook", [ALERT])
    assert len(hook.posts) == 1 and hook.gets == []  # one POST, not retried, and never turned into a GET
    assert "secret-path" not in str(failure.value) and "key=k" not in str(failure.value)  # the target redacted too


def test_error_text_shows_the_webhook_as_scheme_and_host_only(hook):
    hook.status = 500
    url = hook.url.replace("http://", "http://someone:pa55word@")
    with pytest.raises(DeliveryError) as failure:
        NotifierResource(webhook_url=url, **FAST).send("webhook", [ALERT])
    text = str(failure.value)
    assert f"http://127.0.0.1:{hook.server_port}/" in text and "HTTP 500" in text and len(hook.posts) == 2
    assert hook.auth[0] == "Basic " + base64.b64encode(b"someone:pa55word").decode()  # sent as a header
    for secret in ("T0-SECRET-PATH", "s3cr3t", "token", "someone", "pa55word"):
        assert secret not in text


def test_secrets_reach_the_resource_only_as_env_vars(hook, monkeypatch):
    env = {"CIP_ALERT_WEBHOOK_URL": hook.url, "CIP_SMTP_HOST": "mail.example.com", "CIP_SMTP_USER": "cip",
           "CIP_SMTP_PASSWORD": "pw-123", "CIP_ALERT_EMAIL_TO": "ops@example.com"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    notifier = NotifierResource.from_env()
    # what the Dagster UI shows is the configured value: the variable's name, not the secret
    for field, name in (("webhook_url", "CIP_ALERT_WEBHOOK_URL"), ("smtp_user", "CIP_SMTP_USER"),
                        ("smtp_password", "CIP_SMTP_PASSWORD")):
        assert isinstance(getattr(notifier, field), dg.EnvVar) and getattr(notifier, field) == name
    assert "s3cr3t" not in repr(notifier) and "pw-123" not in repr(notifier)
    assert NotifierResource.from_env({}).webhook_url == ""  # unset stays unset: an unset EnvVar fails launches

    @dg.sensor()
    def probe(context, notifier: NotifierResource):
        notifier.send("webhook", [ALERT])  # resolved at launch: the real URL is used
        return dg.SkipReason("sent")

    probe(dg.build_sensor_context(resources={"notifier": notifier}))
    assert hook.posts[0][0] == "/hooks/T0-SECRET-PATH?token=s3cr3t"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "example.com/hook", "http:///nohost"])
def test_a_webhook_that_is_not_http_is_refused_at_startup(url):
    notifier = NotifierResource(webhook_url=url, **FAST)
    with pytest.raises(NotifierConfigError, match="http:// or https://"):
        notifier.send("webhook", [ALERT])  # a config error, not a TypeError from urllib

    @dg.sensor()
    def probe(context, notifier: NotifierResource):
        return dg.SkipReason("should not get here")

    with pytest.raises(dg.DagsterResourceFunctionError) as failure:  # the resource refuses to start
        probe(dg.build_sensor_context(resources={"notifier": notifier}))
    assert isinstance(failure.value.user_exception, NotifierConfigError)
    assert "passwd" not in str(failure.value.user_exception)


# --- e-mail --------------------------------------------------------------------------------------------
def test_smtp_uses_starttls_before_logging_in(smtp_server, tls_files):
    server = smtp_server(offer_starttls=True)
    notifier = NotifierResource(**_mailer(server, tls_files, smtp_user="cip", smtp_password="pw-123"))
    notifier.send("email", [ALERT])
    verbs = [verb for verb, _ in server.seen]
    assert verbs.index("STARTTLS") < verbs.index("AUTH") < verbs.index("MAIL")
    assert server.logins == [("cip", "pw-123", True)]  # the password only went over TLS
    assert len(server.messages) == 1 and "x: m" in _body(server.messages[0])


def test_smtp_refuses_to_send_a_password_in_the_clear(smtp_server, tls_files):
    server = smtp_server(offer_starttls=False)
    notifier = NotifierResource(**_mailer(server, tls_files, smtp_user="cip", smtp_password="pw-123"))
    with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
        notifier.send("email", [ALERT])
    assert server.logins == [] and server.messages == []
    # without a login, a relay without STARTTLS still gets mail (auto), unless STARTTLS is required
    NotifierResource(**_mailer(server, tls_files)).send("email", [ALERT])
    assert len(server.messages) == 1
    with pytest.raises(DeliveryError, match="STARTTLS"):
        NotifierResource(**_mailer(server, tls_files, smtp_security="starttls")).send("email", [ALERT])
    with pytest.raises(NotifierConfigError, match="unencrypted"):
        NotifierResource(**_mailer(server, tls_files, smtp_user="u", smtp_password="p", smtp_security="none")).check()


def test_smtp_implicit_tls(smtp_server, tls_files):
    server = smtp_server(offer_starttls=False, implicit=True)
    notifier = NotifierResource(**_mailer(server, tls_files, smtp_security="tls", smtp_user="cip",
                                          smtp_password="pw-123"))
    notifier.send("email", [ALERT])
    assert server.logins == [("cip", "pw-123", True)] and len(server.messages) == 1
    assert all(tls for _, tls in server.seen)


# --- the sensor: per-channel progress, UTC, no customer data out ---------------------------------------
def _publish(candidates: list[dict], now: dt.datetime) -> None:
    """The alerts asset's step, written straight to the published copy the sensor reads."""
    published = paths().published_db
    published.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(published)) as con:
        rules.reconcile(con, candidates, set(), now=now)


def _body(raw: str) -> str:
    return email.message_from_string(raw, policy=email.policy.default).get_body(("plain",)).get_content()


def _tick(notifier: NotifierResource, cursor: str | None):
    context = dg.build_sensor_context(cursor=cursor, resources={"notifier": notifier})
    return alert_sensor(context), context.cursor


def test_a_channel_that_succeeded_is_not_repeated_while_another_retries(cip_home, hook, smtp_server, tls_files):
    _publish([rules._alert("critical", "kpi_anomaly", "revenue", "revenue fell", "revenue_7d", 1, 2)],
             dt.datetime(2024, 6, 1, 12, tzinfo=dt.timezone.utc))
    server = smtp_server()
    server.mail_reply = "451 try again later"  # the mail server is down; the webhook is fine
    notifier = NotifierResource(webhook_url=hook.url, **_mailer(server, tls_files))

    cursor = None
    for _ in range(3):  # three ticks, a minute apart in production
        result, cursor = _tick(notifier, cursor)
        assert "delivery failed on email" in result.skip_message
    assert len(hook.posts) == 1 and server.messages == []  # the webhook got the batch once

    server.mail_reply = "250 ok"  # the mail server is back: only e-mail is sent
    result, cursor = _tick(notifier, cursor)
    assert result.skip_message == "email: delivered 1"
    assert len(server.messages) == 1 and "revenue fell" in _body(server.messages[0]) and len(hook.posts) == 1
    assert _tick(notifier, cursor)[0].skip_message == "no new alerts"


def test_alerts_raised_in_the_repeated_dst_hour_are_delivered(cip_home, hook, monkeypatch):
    """New York, 3 November 2024: 01:59 EDT is followed by 01:00 EST. An alert at 01:30 EDT is delivered, then one
    at 01:10 EST (40 minutes later, but earlier on the wall clock) is raised; a wall-clock cursor skips it."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        new_york = ZoneInfo("America/New_York")
        first = dt.datetime(2024, 11, 3, 1, 30, tzinfo=new_york, fold=0)  # EDT, 05:30 UTC
        second = dt.datetime(2024, 11, 3, 1, 10, tzinfo=new_york, fold=1)  # EST, 06:10 UTC
        utc = dt.timezone.utc  # (within one zone Python compares wall clocks, the very trap: compare in UTC)
        assert second.astimezone(utc) > first.astimezone(utc) and second.replace(tzinfo=None) < first.replace(tzinfo=None)
        notifier = NotifierResource(webhook_url=hook.url, **FAST)

        orders = rules._alert("warning", "kpi_anomaly", "orders", "orders fell", "orders_7d", 1, 2)
        _publish([orders], first)
        result, cursor = _tick(notifier, None)
        assert "webhook: delivered 1" in result.skip_message
        _publish([orders, rules._alert("warning", "drift", "churn scores", "drifted", "drifted_share", .5, .1)],
                 second)
        result, cursor = _tick(notifier, cursor)
        assert "webhook: delivered 1" in result.skip_message
        sent = [alert for _, body in hook.posts for alert in body["alerts"]]
        assert [a["entity"] for a in sent] == ["orders", "churn scores"]
        assert [a["created_at"] for a in sent] == ["2024-11-03T05:30:00+00:00", "2024-11-03T06:10:00+00:00"]
        with duckdb.connect(str(paths().published_db), read_only=True) as con:  # instants, not wall-clock times
            assert con.execute("SELECT typeof(created_at) FROM monitoring.alerts LIMIT 1").fetchone()[0] == \
                "TIMESTAMP WITH TIME ZONE"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_naive_time_is_refused_and_an_old_local_time_table_is_moved_to_utc(monkeypatch):
    with pytest.raises(ValueError, match="timezone-aware"):
        rules.reconcile(duckdb.connect(), [], set(), now=dt.datetime(2024, 1, 1))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Berlin'")  # the machine's zone, which the old naive times were in
    con.execute("CREATE SCHEMA monitoring")
    con.execute(rules.ALERTS_DDL.replace("TIMESTAMPTZ", "TIMESTAMP"))
    con.execute("INSERT INTO monitoring.alerts VALUES ('old', TIMESTAMP '2024-07-01 14:00', 'info', 'drift', 'x', "
                "'m', 'drifted_share', 1, 0, 'open', TIMESTAMP '2024-07-01 14:00', NULL)")
    rules.reconcile(con, [rules._alert("info", "drift", "x", "m", "drifted_share", 1, 0)], set(),
                    now=dt.datetime(2024, 7, 2, tzinfo=dt.timezone.utc))
    (created,) = con.execute("SELECT created_at FROM monitoring.alerts WHERE id = 'old'").fetchone()
    assert created.astimezone(dt.timezone.utc) == dt.datetime(2024, 7, 1, 12, tzinfo=dt.timezone.utc)


def test_a_cursor_from_before_the_ledger_does_not_resend_what_was_sent():
    local = dt.datetime(2024, 5, 1, 9).astimezone()  # the old cursor was a naive local time
    alerts = [{"id": "old", "kind": "drift", "created_at": local},
              {"id": "new", "kind": "drift", "created_at": local + dt.timedelta(minutes=5)}]
    sent = []
    cursor, outcome = rules.deliver(alerts, local.replace(tzinfo=None).isoformat(), ["log", "webhook"],
                                    lambda channel, batch: sent.append((channel, [a["id"] for a in batch])))
    assert sent == [("log", ["new"]), ("webhook", ["new"])]
    assert json.loads(cursor)["sent"] == {"log": ["new", "old"], "webhook": ["new", "old"]}


def test_customer_ids_and_values_stay_out_of_outgoing_alerts(cip_home, hook, smtp_server, tls_files):
    _publish([rules._alert("critical", "high_value_at_risk", "C-48213",
                           "customer C-48213 (12-month value 9,876) entered the high-risk band (churn probability "
                           "81%) on 2024-06-01", "churn_probability", 0.81, 0.6)],
             dt.datetime(2024, 6, 1, 12, tzinfo=dt.timezone.utc))
    server = smtp_server()
    notifier = NotifierResource(webhook_url=hook.url, **_mailer(server, tls_files))
    _tick(notifier, None)
    (_, body), (mail,) = hook.posts[0], server.messages
    for text in (json.dumps(body), _body(mail)):
        assert "C-48213" not in text and "9,876" not in text
        assert "high-value customer" in text and "81%" in text
    (alert,) = body["alerts"]
    with duckdb.connect(str(paths().published_db), read_only=True) as con:  # the id says where to look
        assert con.execute("SELECT entity FROM monitoring.alerts WHERE id = ?", [alert["id"]]).fetchone()[0] == \
            "C-48213"


# --- Apprise channels (CIP_ALERT_URLS) -----------------------------------------------------------------
def test_an_apprise_channel_keeps_its_own_progress_beside_a_redirecting_webhook(cip_home, hook, smtp_server,
                                                                               monkeypatch):
    pytest.importorskip("apprise")
    _publish([rules._alert("critical", "kpi_anomaly", "revenue", "revenue fell", "revenue_7d", 1, 2)],
             dt.datetime(2024, 6, 1, 12, tzinfo=dt.timezone.utc))
    mail = smtp_server(offer_starttls=False)
    monkeypatch.setenv("CIP_ALERT_WEBHOOK_URL", hook.url)
    monkeypatch.setenv("CIP_ALERT_URLS", f"mailto://127.0.0.1:{mail.server_address[1]}?to=ops@example.com"
                                         "&from=cip@example.com&mode=insecure")
    notifier = NotifierResource.from_env()
    assert isinstance(notifier.alert_urls, dg.EnvVar)
    hook.status = 302  # the webhook moved: its batch waits, while Apprise's e-mail goes out once
    cursor = None
    for _ in range(2):
        result, cursor = _tick(notifier, cursor)
        assert "delivery failed on webhook" in result.skip_message and "redirect" in result.skip_message
    assert len(mail.messages) == 1 and "revenue fell" in _body(mail.messages[0])
    assert hook.gets == [] and len(hook.posts) == 2
    hook.status = 200
    assert _tick(notifier, cursor)[0].skip_message == "webhook: delivered 1"


@pytest.mark.parametrize("urls, error", [("jsons://example.com/hook", "CIP_ALERT_WEBHOOK_URL"),
                                         ("slack://T1/B2/C3 nonsense://token", "entry 2")])
def test_apprise_urls_that_cannot_be_trusted_are_refused(urls, error):
    pytest.importorskip("apprise")
    with pytest.raises(NotifierConfigError, match=error) as failure:
        NotifierResource(alert_urls=urls).check()
    assert "token" not in str(failure.value) and "example.com" not in str(failure.value)

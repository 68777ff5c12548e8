"""Where alerts go: the log always, plus an optional webhook (JSON POST), e-mail (SMTP), and any services
Apprise knows (Slack, Microsoft Teams, ... as Apprise URLs in CIP_ALERT_URLS, one channel each).

The JSON webhook stays hand-written: Apprise's json:// follows a 302 with a GET and calls the 200 a
success, so json/form/xml URLs are refused in CIP_ALERT_URLS and CIP_ALERT_WEBHOOK_URL is the way.

Each channel is delivered, and fails, on its own (`send(channel, alerts)`), so the caller can keep
one progress mark per channel: a webhook that succeeded is not posted again while e-mail retries.
A delivery that fails raises `DeliveryError` after its retries and the caller keeps the alerts.

Secrets (the webhook URL, the SMTP login) come in as `dg.EnvVar`, so the Dagster UI shows the variable's
name, never its value, and error text shows a webhook only as scheme://host. A webhook that answers a
redirect has not received the alerts (urllib would turn the POST into a GET), so a 3xx is a failure.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit, urlunsplit

import dagster as dg

log = logging.getLogger("cip.alerts")

SMTP_SECURITY = ("auto", "starttls", "tls", "none")  # auto: STARTTLS when the server offers it
GENERIC_HTTP = {"json", "jsons", "form", "forms", "xml", "xmls"}  # Apprise follows their redirects


class DeliveryError(RuntimeError):
    pass


class NotifierConfigError(ValueError):
    """A channel that can never work as configured: raised when the resource starts, not at the first alert."""


def redact_url(url: str) -> str:
    """scheme://host[:port] only: a webhook's path, query and user info are often its secret."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparseable URL>"
    return f"{parts.scheme}://{host}{port}/..." if parts.scheme else "<URL without a scheme>"


def check_webhook_url(url: str) -> None:
    """Only http(s) with a host: a file:// or ftp:// "webhook" would never deliver (and urllib raises oddly)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotifierConfigError(
            f"CIP_ALERT_WEBHOOK_URL must be an http:// or https:// URL with a host, got {redact_url(url)!r}")


def _split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """urllib does not use user:password@ in a URL; send it as HTTP Basic auth and keep it off the request line."""
    headers = {"Content-Type": "application/json"}
    parts = urlsplit(url)
    if parts.username is None:
        return url, headers
    user, password = unquote(parts.username), unquote(parts.password or "")
    headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    host = parts.hostname if ":" not in (parts.hostname or "") else f"[{parts.hostname}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), headers


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would follow a 301/302/303 with a GET and drop the body; we want the 3xx as an error instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class NotifierResource(dg.ConfigurableResource):
    """Built from env vars by `from_env` (CIP_ALERT_WEBHOOK_URL, CIP_SMTP_HOST, CIP_ALERT_EMAIL_TO, ...)."""

    webhook_url: str = ""  # a secret: pass dg.EnvVar
    alert_urls: str = ""  # Apprise URLs separated by spaces; secrets (tokens in the path): pass dg.EnvVar
    timeout_seconds: float = 5.0
    retries: int = 3
    backoff_seconds: float = 0.5
    smtp_host: str = ""
    smtp_port: int = 0  # 0: 465 for implicit TLS, else 25
    smtp_security: str = "auto"  # auto | starttls | tls | none
    smtp_user: str = ""
    smtp_password: str = ""  # a secret: pass dg.EnvVar
    smtp_ca_file: str = ""  # a CA bundle for an internal mail server; empty: the system's
    email_from: str = "cip@localhost"
    email_to: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifierResource:
        """Secrets as dg.EnvVar (masked in the UI, read at launch), only when set: an unset EnvVar fails the launch."""
        env = os.environ if env is None else env

        def secret(name: str):
            return dg.EnvVar(name) if env.get(name) else ""

        return cls(webhook_url=secret("CIP_ALERT_WEBHOOK_URL"), alert_urls=secret("CIP_ALERT_URLS"), smtp_host=env.get("CIP_SMTP_HOST", ""),
                   smtp_port=int(env.get("CIP_SMTP_PORT") or 0),
                   smtp_security=env.get("CIP_SMTP_SECURITY", "auto").lower(),
                   smtp_user=secret("CIP_SMTP_USER"), smtp_password=secret("CIP_SMTP_PASSWORD"),
                   smtp_ca_file=env.get("CIP_SMTP_CA_FILE", ""), email_to=env.get("CIP_ALERT_EMAIL_TO", ""),
                   email_from=env.get("CIP_ALERT_EMAIL_FROM", "cip@localhost"))

    def setup_for_execution(self, context) -> None:
        self.check()

    def check(self) -> None:
        """Refuse, at start-up, a configuration that could never deliver or would leak the SMTP password."""
        if self.webhook_url:
            check_webhook_url(self.webhook_url)
        if self.smtp_security not in SMTP_SECURITY:
            raise NotifierConfigError(f"CIP_SMTP_SECURITY must be one of {SMTP_SECURITY}, got {self.smtp_security!r}")
        if self.smtp_user and self.smtp_security == "none":
            raise NotifierConfigError("CIP_SMTP_USER is set with CIP_SMTP_SECURITY=none: the password would travel "
                                      "unencrypted; use starttls, tls or auto")
        if bool(self.smtp_user) != bool(self.smtp_password):
            raise NotifierConfigError("set both CIP_SMTP_USER and CIP_SMTP_PASSWORD, or neither")
        for number, url in enumerate(self._apprise_urls().values(), start=1):
            scheme = url.split("://", 1)[0].lower() if "://" in url else ""
            if scheme in GENERIC_HTTP:
                raise NotifierConfigError(f"CIP_ALERT_URLS entry {number} is a {scheme}:// URL, which would follow a "
                                          "redirect and lose the alerts: use CIP_ALERT_WEBHOOK_URL for JSON webhooks")
            if _apprise().Apprise.instantiate(url) is None:
                raise NotifierConfigError(f"CIP_ALERT_URLS entry {number} ({scheme or 'no scheme'}://...) is not a URL "
                                          "Apprise can use; see https://github.com/caronc/apprise/wiki")

    def channels(self) -> list[str]:
        """The configured channels, by stable name: the log always, then webhook and e-mail when set."""
        return (["log"] + ["webhook"] * bool(self.webhook_url) + ["email"] * bool(self.smtp_host and self.email_to)
                + list(self._apprise_urls()))

    def _apprise_urls(self) -> dict[str, str]:
        """{channel name: URL}; the name is a hash of the URL, stable across ticks and free of its secrets."""
        return {f"apprise:{hashlib.sha1(url.encode()).hexdigest()[:8]}": url for url in self.alert_urls.split()}

    def send(self, channel: str, alerts: list[dict]) -> None:
        """Deliver a batch to one channel; raises DeliveryError (with secrets redacted) when it fails."""
        if not alerts:
            return
        if channel == "log":
            for alert in alerts:
                log.warning("[%s] %s %s: %s", alert.get("severity"), alert.get("kind"), alert.get("entity"),
                            alert.get("message"))
        elif channel == "webhook":
            self.check()
            self._post({"source": "cip", "alerts": alerts})
        elif channel == "email":
            self.check()
            self._mail(alerts)
        elif channel in self._apprise_urls():
            self.check()
            self._apprise_send(self._apprise_urls()[channel], alerts)
        else:
            raise DeliveryError(f"unknown alert channel {channel!r}")

    def notify(self, alerts: list[dict]) -> dict[str, str]:
        """Deliver a batch to every channel, each tried even when another fails; raises DeliveryError naming
        the failed channels. Returns {channel: "delivered"}."""
        failures, done = {}, {}
        for channel in self.channels():
            try:
                self.send(channel, alerts)
                done[channel] = "delivered"
            except DeliveryError as error:
                failures[channel] = str(error)
        if failures:
            raise DeliveryError("; ".join(f"{c}: {e}" for c, e in failures.items()))
        return done

    # --- the webhook -------------------------------------------------------------------------------
    def _post(self, payload: dict) -> None:
        body = json.dumps(payload, default=str).encode()
        where = redact_url(self.webhook_url)
        url, headers = _split_credentials(self.webhook_url)
        last_error = None
        for attempt in range(max(1, self.retries)):
            request = urllib.request.Request(url, data=body, method="POST", headers=headers)
            try:
                with _OPENER.open(request, timeout=self.timeout_seconds) as response:
                    if 200 <= response.status < 300:
                        return
                    last_error = f"HTTP {response.status}"
            except urllib.error.HTTPError as error:
                if 300 <= error.code < 400:  # not retried: the next try would be redirected too
                    target = error.headers.get("Location")
                    raise DeliveryError(
                        f"webhook {where} answered HTTP {error.code} (a redirect"
                        f"{' to ' + redact_url(target) if target else ''}): not delivered, since a redirected POST "
                        f"loses its body; set CIP_ALERT_WEBHOOK_URL to the final address") from None
                last_error = f"HTTP {error.code}"
                if 400 <= error.code < 500 and error.code not in (408, 429):
                    break  # the request itself is wrong: retrying will not help
            except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
                last_error = self._scrub(str(getattr(error, "reason", error)))
            if attempt + 1 < max(1, self.retries):
                time.sleep(self.backoff_seconds * 2 ** attempt)
        raise DeliveryError(f"webhook {where} failed after {attempt + 1} tries: {last_error}")

    def _scrub(self, text: str) -> str:
        """Error text from the network stack, without the URL's secret parts, should any appear in it."""
        parts = urlsplit(self.webhook_url)
        for secret in (self.webhook_url, parts.password, parts.username, parts.query, parts.path.strip("/")):
            if secret:
                text = text.replace(secret, "...")
        return text

    # --- Apprise: Slack, Teams, ... ------------------------------------------------------------------
    def _apprise_send(self, url: str, alerts: list[dict]) -> None:
        service = _apprise().Apprise.instantiate(url)
        what = f"{url.split('://', 1)[0]}:// ({service.service_name})"
        bundle = _apprise().Apprise()
        bundle.add(service)
        try:
            delivered = bundle.notify(title=f"CIP: {len(alerts)} new alert(s)", body=_lines(alerts))
        except Exception as error:  # noqa: BLE001 - a plugin's own bug is a failed delivery, not a crashed tick
            raise DeliveryError(f"{what} failed: {type(error).__name__}") from None
        if not delivered:
            raise DeliveryError(f"{what} failed; Apprise logs why under the 'apprise' logger")

    # --- e-mail ------------------------------------------------------------------------------------
    def _mail(self, alerts: list[dict]) -> None:
        message = EmailMessage()
        message["Subject"] = f"CIP: {len(alerts)} new alert(s)"
        message["From"], message["To"] = self.email_from, self.email_to
        message.set_content(_lines(alerts))
        implicit = self.smtp_security == "tls"
        port = self.smtp_port or (465 if implicit else 25)
        where = f"{self.smtp_host}:{port}"
        tls = ssl.create_default_context(cafile=self.smtp_ca_file or None)
        try:
            if implicit:
                smtp = smtplib.SMTP_SSL(self.smtp_host, port, timeout=self.timeout_seconds, context=tls)
            else:
                smtp = smtplib.SMTP(self.smtp_host, port, timeout=self.timeout_seconds)
            with smtp:
                smtp.ehlo()
                if not implicit and self.smtp_security != "none":
                    if smtp.has_extn("starttls"):
                        smtp.starttls(context=tls)
                        smtp.ehlo()
                    elif self.smtp_security == "starttls" or self.smtp_user:
                        raise DeliveryError(f"e-mail via {where}: the server does not offer STARTTLS, and "
                                            f"{'the login' if self.smtp_user else 'CIP_SMTP_SECURITY=starttls'} "
                                            "needs it; not sent")
                if self.smtp_user:
                    smtp.login(self.smtp_user, self.smtp_password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"e-mail via {where} failed: {error}") from error


def _lines(alerts: list[dict]) -> str:
    return "\n".join(f"[{a.get('severity')}] {a.get('kind')} {a.get('entity')}: {a.get('message')}" for a in alerts)


def _apprise():
    """Imported when an Apprise channel is configured, not with the definitions."""
    import apprise

    return apprise

"""Where alerts go: the log always, plus an optional webhook (JSON POST) and optional e-mail (SMTP).

A delivery that fails raises `DeliveryError` after its retries, so the caller keeps the alert and
tries again later instead of losing it.
"""

from __future__ import annotations

import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from email.message import EmailMessage

import dagster as dg

log = logging.getLogger("cip.alerts")


class DeliveryError(RuntimeError):
    pass


class NotifierResource(dg.ConfigurableResource):
    """Configured from env vars in definitions.py: CIP_ALERT_WEBHOOK_URL, CIP_SMTP_HOST, CIP_ALERT_EMAIL_TO..."""

    webhook_url: str = ""
    timeout_seconds: float = 5.0
    retries: int = 3
    backoff_seconds: float = 0.5
    smtp_host: str = ""
    smtp_port: int = 25
    email_from: str = "cip@localhost"
    email_to: str = ""

    def notify(self, alerts: list[dict]) -> None:
        """Deliver a batch of alerts to every configured channel; raises DeliveryError if one fails."""
        if not alerts:
            return
        for alert in alerts:
            log.warning("[%s] %s %s: %s", alert.get("severity"), alert.get("kind"), alert.get("entity"),
                        alert.get("message"))
        if self.webhook_url:
            self._post({"source": "cip", "alerts": alerts})
        if self.smtp_host and self.email_to:
            self._mail(alerts)

    def _post(self, payload: dict) -> None:
        body = json.dumps(payload, default=str).encode()
        last_error = None
        for attempt in range(self.retries):
            request = urllib.request.Request(self.webhook_url, data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                    if 200 <= response.status < 300:
                        return
                    last_error = f"HTTP {response.status}"
            except (urllib.error.URLError, TimeoutError, OSError) as error:
                last_error = str(error)
            time.sleep(self.backoff_seconds * 2 ** attempt)
        raise DeliveryError(f"webhook {self.webhook_url} failed after {self.retries} tries: {last_error}")

    def _mail(self, alerts: list[dict]) -> None:
        message = EmailMessage()
        message["Subject"] = f"CIP: {len(alerts)} new alert(s)"
        message["From"], message["To"] = self.email_from, self.email_to
        message.set_content("\n".join(f"[{a.get('severity')}] {a.get('kind')} {a.get('entity')}: {a.get('message')}"
                                      for a in alerts))
        try:
            with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=self.timeout_seconds) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"e-mail via {self.smtp_host}:{self.smtp_port} failed: {error}") from error

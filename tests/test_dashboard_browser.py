"""The running dashboard in headless Chromium: every page loads without an error element; screenshots saved.

Chromium comes from Debian (`apt-get install -y chromium`) and is driven over the DevTools protocol
with the `websockets` client that Streamlit already installs: no Playwright/Selenium and no browser
download. Screenshots go to $CIP_SCREENSHOTS when set, else a pytest tmp folder (printed).
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_dashboard import PAGES, ROOT, build_homes

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
pytestmark = [pytest.mark.long,
              pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed: apt-get install -y chromium")]


class Browser:
    """Just enough of the Chrome DevTools protocol: navigate, evaluate, screenshot."""

    def __init__(self, width: int = 1400, height: int = 1800):
        from websockets.sync.client import connect

        self.width = width
        self.profile = Path(tempfile.mkdtemp(prefix="cip-chromium-"))
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.time() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        self.ws = connect(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"], max_size=None)
        self.n = 0
        self.call("Page.enable")

    def call(self, method: str, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def eval(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def goto(self, url: str, timeout: float = 60) -> bool:
        """Navigate and wait until the page has its title and Streamlit has stopped running (3 polls in a row)."""
        self.call("Page.navigate", url=url)
        deadline, stable = time.time() + timeout, 0
        while time.time() < deadline and stable < 3:
            time.sleep(0.4)
            ready = self.eval("""(() => {
                const h1 = document.querySelector('[data-testid="stMainBlockContainer"] h1');
                const status = document.querySelector('[data-testid="stStatusWidget"]');
                return !!h1 && !(status && /Running/.test(status.innerText)); })()""")
            stable = stable + 1 if ready else 0
        return stable >= 3

    def screenshot(self, path: Path) -> None:
        height = int(self.eval("document.querySelector('[data-testid=\"stMainBlockContainer\"]')?.scrollHeight + 200 || 1800"))
        self.call("Emulation.setDeviceMetricsOverride", width=self.width, height=min(height + 80, 8000),
                  deviceScaleFactor=1, mobile=False)
        time.sleep(0.5)
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=15)
            shutil.rmtree(self.profile, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(request, tmp_path_factory):
    _, _, full = build_homes(request.config, tmp_path_factory, request.getfixturevalue("synthetic_run_home"))
    port = free_port()
    env = {**os.environ, "CIP_HOME": str(full)}
    env.pop("CIP_CONFIG", None)
    env.pop("CIP_DASHBOARD_AUTH", None)
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"),
                                 "--server.headless", "true", "--server.address", "127.0.0.1",
                                 "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            proc.terminate()
            pytest.fail(f"streamlit did not start: {log.read_text()[-2000:]}")
        time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_every_page_in_headless_chromium(app_url, tmp_path_factory):
    shots = Path(os.environ.get("CIP_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    browser = Browser()
    problems = {}
    try:
        for page in PAGES:
            name = Path(page).stem
            url = app_url + ("/" if name == "overview" else f"/{name}")
            loaded = browser.goto(url)
            browser.screenshot(shots / f"{name}.png")
            errors = browser.eval("""Array.from(document.querySelectorAll('[data-testid="stException"]'))
                                     .map(e => e.innerText.slice(0, 300))""")
            title = browser.eval("document.querySelector('[data-testid=\"stMainBlockContainer\"] h1')?.innerText")
            if not loaded or errors or not title:
                problems[name] = {"loaded": loaded, "errors": errors, "title": title}
    finally:
        browser.close()
    print(f"screenshots in {shots}")
    assert not problems, problems
    assert len(list(shots.glob("*.png"))) == len(PAGES)

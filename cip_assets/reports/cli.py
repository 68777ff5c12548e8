"""`cip dashboard` and `cip report`: hooked into cip_assets/cli.py by `add_commands(subparsers)`."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboards" / "app.py"


def add_commands(sub) -> dict:
    """Add the two sub-commands to an argparse subparsers object; returns {name: handler(args) -> int}."""
    dash = sub.add_parser("dashboard", help="start the Streamlit dashboard (127.0.0.1 unless configured)")
    dash.add_argument("--address", help="bind address (default: dashboard.address in cip.yaml, else 127.0.0.1); "
                      "any non-loopback address turns the login on")
    dash.add_argument("--port", type=int, help="default: dashboard.port in cip.yaml, else 8501")
    dash.add_argument("--auth", choices=["auto", "on", "off"], help="override dashboard.auth")
    dash.add_argument("--hash-password", action="store_true",
                      help="print a salted hash for a password (read from the terminal or stdin) and exit")
    rep = sub.add_parser("report", help="write the business report (HTML and PDF) from the published copy")
    rep.add_argument("--out", type=Path, help="folder (default: $CIP_HOME/reports)")
    rep.add_argument("--start", type=date.fromisoformat, help="first day (default: 30 days before --end)")
    rep.add_argument("--end", type=date.fromisoformat, help="last day (default: the last day with orders)")
    rep.add_argument("--format", choices=["html", "pdf", "both"], default="both")
    return {"dashboard": dashboard, "report": report}


def dashboard(args) -> int:
    from cip_assets.reports import access
    from cip_resources.settings import export_env

    if args.hash_password:
        password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
        if not password:
            print("cip: empty password", file=sys.stderr)
            return 2
        print(access.hash_password(password))
        return 0
    paths = export_env()
    if args.auth:
        os.environ["CIP_DASHBOARD_AUTH"] = args.auth
    cfg = access.load_dashboard_config()
    address, port = args.address or cfg.address, args.port or cfg.port
    if cfg.auth_enabled(address) and not cfg.users and not cfg.sso_roles:
        print(f"cip: the login is on (binding {address}) but cip.yaml has no dashboard.users or sso_roles; add "
              "users with password hashes from `cip dashboard --hash-password`, or bind 127.0.0.1", file=sys.stderr)
        return 2
    if not paths.published_db.exists():
        print(f"note: no published copy at {paths.published_db} yet; run `cip run` (the pages say so too)")
    print(f"dashboard on http://{address}:{port} (login {'on' if cfg.auth_enabled(address) else 'off'})")
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
               "--server.address", address, "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    try:
        return subprocess.call(command, cwd=ROOT)
    except KeyboardInterrupt:
        return 0


def report(args) -> int:
    from cip_assets.reports import access, queries
    from cip_assets.reports.report import build_report
    from cip_resources.settings import export_env

    paths = export_env()
    db = queries.published_db(paths.home)
    if not db.exists():
        print(f"cip: no published copy at {db}; run `cip run` first", file=sys.stderr)
        return 2
    formats = ("html", "pdf") if args.format == "both" else (args.format,)
    written = build_report(db, args.out or paths.reports, args.start, args.end, formats)
    access.audit("export", os.environ.get("USER") or getpass.getuser(), "cli", target="report",
                 detail={k: str(v) for k, v in written.items()}, home=paths.home)
    for fmt, path in written.items():
        print(f"{fmt}: {path}")
    return 0

"""`cip ask "QUESTION" [--json] [--session NAME]`: one question, one answer card."""

from __future__ import annotations

import argparse
import json
import re
import sys


def ask_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cip ask", description="ask the published data a question (no LLM)")
    parser.add_argument("question", nargs="+", help="the question, in plain English")
    parser.add_argument("--json", action="store_true", help="print the answer card as JSON")
    parser.add_argument("--session", help="keep the conversation context under this name (follow-ups)")
    args = parser.parse_args(argv)
    from cip_assets.qa.engine import Engine, load_session, save_session
    from cip_resources.settings import paths

    p = paths()
    if not p.published_db.exists():
        print(f"cip ask: no published copy at {p.published_db}; run `cip run` first", file=sys.stderr)
        return 2
    session = path = None
    if args.session:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", args.session) or args.session.startswith("."):
            print("cip ask: --session takes letters, digits, '.', '_' or '-'", file=sys.stderr)
            return 2
        path = p.qa_index / "sessions" / f"{args.session}.json"
        session = load_session(path)
    engine = Engine(p.published_db, p.qa_index)
    card = engine.ask(" ".join(args.question), session)
    if path is not None:
        save_session(path, session)
    print(json.dumps(card.to_dict(), indent=2) if args.json else card.to_text())
    return 0 if card.status in ("answered", "not_understood", "not_available", "refused") else 1


if __name__ == "__main__":
    raise SystemExit(ask_main(sys.argv[1:]))

"""`grader serve`: the local practice page."""

from __future__ import annotations

import sys
from pathlib import Path

from ..grading.session import open_session
from ..practice.feedback import AttemptLog
from ..rubric.model import load_rubric
from ..web import serve
from ..practice.webapp import PracticeApp
from .options import add_model_options, model_options


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="a local web page to practise answers and see feedback")
    p.add_argument("--rubric", required=True, type=Path)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: this computer only)")
    p.add_argument("--port", type=int, default=8000)
    add_model_options(p)
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    rubric = load_rubric(args.rubric)
    options = model_options(args)
    with open_session(options, rubric, keep_anchors=True) as session:
        endpoint = session.settings.base_url if session.settings.is_configured else None
        app = PracticeApp(rubric, session.grader, AttemptLog(), endpoint=endpoint)
        print(f"serving {rubric.title} on http://{args.host}:{args.port}/  (Ctrl-C to stop)", file=sys.stderr)
        serve(app.asgi(args.host), args.host, args.port)
    return 0

"""The web routes fix their own media types and leave the process's mimetypes alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_importing_the_web_routes_does_not_change_mimetypes() -> None:
    code = (
        "import mimetypes, json\n"
        "mimetypes.init()\n"
        "before = dict(mimetypes.types_map)\n"
        "import shared.entry.routes.web as web\n"
        "print(json.dumps([dict(mimetypes.types_map) == before, web.media_type('a.js'),"
        " web.media_type('b.css'), web.media_type('c.svg'), web.media_type('d.json')]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)

    unchanged, js, css, svg, other = json.loads(out.stdout)
    assert unchanged is True
    assert (js, css, svg, other) == ("text/javascript", "text/css", "image/svg+xml", "application/json")

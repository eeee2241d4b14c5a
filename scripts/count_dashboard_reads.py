"""Count string-key reads of dashboard data in ``shared/``: ``x["views"]``, ``v.get("type")``, ...

A read counts when its key is a property name of the dashboard JSON Schema (``schemas/
dashboard.schema.json``) and it is a subscript load or a ``.get``/``.setdefault``/``.pop`` call
with a string constant. Files that only build dashboards from scratch count too: the figure is
an upper bound of the code still reading the dashboard as an untyped dict.

    python scripts/count_dashboard_reads.py [--by-file]
"""

from __future__ import annotations

import ast
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Keys of other documents that share a name with a dashboard property (tool results, settings).
NOT_DASHBOARD = {"name", "message", "description", "label", "default", "format", "value", "text"}


def dashboard_keys() -> set[str]:
    schema = json.loads((ROOT / "schemas" / "dashboard.schema.json").read_text())
    keys: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                keys.update(props)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)
    return keys - NOT_DASHBOARD


def reads(source: str, keys: set[str]) -> int:
    count = 0
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            s = node.slice
            if isinstance(s, ast.Constant) and s.value in keys:
                count += 1
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "setdefault", "pop")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in keys
        ):
            count += 1
    return count


def main(argv: list[str]) -> int:
    keys = dashboard_keys()
    by_file: Counter[str] = Counter()
    for path in sorted((ROOT / "shared").rglob("*.py")):
        n = reads(path.read_text(), keys)
        if n:
            by_file[str(path.relative_to(ROOT))] = n
    if "--by-file" in argv:
        for name, n in by_file.most_common():
            print(f"{n:5d}  {name}")
    print(f"{sum(by_file.values())} string-key reads of dashboard keys in {len(by_file)} files of shared/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""The import rules of docs/architecture.md, checked over every import in shared/ and functions/.

Every ``import`` counts: module level, inside functions (lazy imports) and under TYPE_CHECKING.
A module's layer is the longest matching prefix in :data:`LAYERS`; :data:`FORBIDDEN` names the
layers it must not import. :func:`violations` takes a root folder, so the rules are also checked
against a synthetic tree that breaks them.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# module prefix -> layer (longest prefix wins)
LAYERS = {
    "shared.cli": "tools",
    "shared.dev": "tools",
    "shared.evaluation": "tools",
    "functions": "entry",
    "shared.entry": "entry",
    "shared.bootstrap": "root",
    "shared.agent": "agent",
    "shared.services": "services",
    "shared.dashboards": "dashboards",
    "shared.knowledge": "dashboards",
    "shared.adapters.model": "model",
    "shared.adapters": "adapters",
    "shared.ports": "adapters",
    "shared.db": "core",
    "shared.errors": "core",
    "shared.settings": "core",
    "shared.sqlguard": "core",
}
_ABOVE_AGENT = {"tools", "entry", "root"}
FORBIDDEN: dict[str, set[str]] = {
    "tools": set(),
    "entry": {"tools"},
    "root": {"tools"},
    "agent": _ABOVE_AGENT,
    "services": _ABOVE_AGENT | {"agent"},
    "dashboards": _ABOVE_AGENT | {"agent", "services", "model"},
    "model": _ABOVE_AGENT | {"agent", "services"},
    "adapters": _ABOVE_AGENT | {"agent", "services", "dashboards", "model"},
    "core": _ABOVE_AGENT | {"agent", "services", "dashboards", "model", "adapters"},
}
# (importer, imported) -> why it is tolerated for now. Keep this short.
KNOWN: dict[tuple[str, str], str] = {}


def layer_of(module: str) -> str | None:
    """The module's layer; a top-level helper module (``shared/<name>.py``) not listed is core."""
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len, default=None)
    if best:
        return LAYERS[best]
    parts = module.split(".")
    if parts[0] == "shared" and len(parts) == 2 and (ROOT / "shared" / f"{parts[1]}.py").is_file():
        return "core"
    return None


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if parts[0] == "functions":  # functions/<name>/main.py is the function's entry module
        return "functions." + ".".join(parts[1:])
    return ".".join(parts)


def imports(root: Path, path: Path) -> list[tuple[str, int]]:
    """Every module ``path`` imports, with its line."""
    me = module_name(root, path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importer's package
                package = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            found.append((base, node.lineno))
    return found


def violations(root: Path) -> list[str]:
    """``file:line: importer (layer) imports imported (layer)`` for every forbidden import."""
    out = []
    files = [*sorted((root / "shared").rglob("*.py")), *sorted((root / "functions").glob("*/main.py"))]
    for path in files:
        me = module_name(root, path)
        mine = layer_of(me)
        if mine is None:
            continue
        for target, line in imports(root, path):
            theirs = layer_of(target)
            if theirs is None or theirs not in FORBIDDEN[mine] or (me, target) in KNOWN:
                continue
            out.append(f"{path.relative_to(root)}:{line}: {me} ({mine}) imports {target} ({theirs})")
    return sorted(set(out))


def test_the_code_keeps_the_import_rules() -> None:
    assert violations(ROOT) == []


def test_every_package_of_shared_has_a_layer() -> None:
    loose = [
        module_name(ROOT, p)
        for p in (ROOT / "shared").rglob("*.py")
        if layer_of(module_name(ROOT, p)) is None and module_name(ROOT, p) != "shared"
    ]
    assert loose == []


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_forbidden_import_is_reported(tmp_path: Path) -> None:
    _write(tmp_path, "shared/__init__.py", "")
    _write(
        tmp_path, "shared/services/report.py", "def f():\n    from shared.bootstrap import get_container\n"
    )
    _write(tmp_path, "shared/dashboards/compile.py", "from shared.services import report\n")
    _write(tmp_path, "shared/adapters/warehouse/x.py", "import shared.entry.app\n")
    _write(tmp_path, "shared/adapters/model/offline/plan.py", "from shared.agent.runner import run_step\n")
    _write(tmp_path, "shared/agent/tools/ok.py", "from shared.services.queries import byte_cap\n")
    _write(tmp_path, "functions/app/main.py", "from shared.entry.serve import serve\n")

    found = violations(tmp_path)

    assert found == [
        "shared/adapters/model/offline/plan.py:1: shared.adapters.model.offline.plan (model) imports "
        "shared.agent.runner (agent)",
        "shared/adapters/warehouse/x.py:1: shared.adapters.warehouse.x (adapters) imports "
        "shared.entry.app (entry)",
        "shared/dashboards/compile.py:1: shared.dashboards.compile (dashboards) imports "
        "shared.services (services)",
        "shared/services/report.py:2: shared.services.report (services) imports shared.bootstrap (root)",
    ]

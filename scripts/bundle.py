"""Build one deployable zip per Cloud Function into dist/, plus dist/bundles.json for Terraform.

A bundle holds the function folder's files at the zip root (``main.py`` ...), the ``shared/``
library, ``schemas/``, the function's entries in :data:`EXTRA_DIRS` and :data:`EXTRA_FILES` and a ``requirements.txt``:
the function's own when it has one, else the repository's pinned runtime requirements minus
dev tools. Zips are deterministic (sorted
entries, fixed timestamps and permissions), so identical content gives an identical sha256 and
Terraform, which names the uploaded object by that hash, redeploys only what changed.

Usage: ``python scripts/bundle.py [NAME ...] [--out DIR]`` (default: every function, ``dist/``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.errors import BridgeError, NotFound, ValidationFailed

ROOT = Path(__file__).resolve().parents[1]
LIBRARY_DIRS = ("shared", "schemas")
MANIFEST = "bundles.json"

# Repository files outside shared/ that a function serves. app's list mirrors VENDOR_FILES in
# shared/entry/routes/web.py (tests/infra/test_bundle.py keeps the two in step).
EXTRA_FILES: dict[str, tuple[str, ...]] = {
    "app": (
        "node_modules/vega/build/vega.min.js",
        "node_modules/vega-lite/build/vega-lite.min.js",
        "node_modules/vega-embed/build/vega-embed.min.js",
        "node_modules/vega-interpreter/build/vega-interpreter.js",
    ),
}

# Repository folders a function needs beside shared/: the migrate function runs the migrations.
EXTRA_DIRS: dict[str, tuple[str, ...]] = {"migrate": ("migrations",)}

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16
_SKIP_DIRS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis"})
_SKIP_SUFFIXES = frozenset({".pyc", ".pyo"})
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Bundle:
    """One built zip: its function, file, size in bytes and the sha256 of its bytes."""

    name: str
    path: Path
    size: int
    sha256: str


def function_names(root: Path = ROOT) -> list[str]:
    """Every folder under functions/ that holds a main.py, sorted."""
    base = root / "functions"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / "main.py").is_file())


def bundle_files(name: str, root: Path = ROOT) -> dict[str, bytes]:
    """The archive name and bytes of every file that goes into function ``name``'s bundle."""
    folder = root / "functions" / name
    if not (folder / "main.py").is_file():
        raise NotFound(f"no function {name!r}: {folder / 'main.py'} does not exist")
    files = {arc: path.read_bytes() for arc, path in _walk(folder, prefix="")}
    for lib in LIBRARY_DIRS:
        if not (root / lib).is_dir():
            raise ValidationFailed(f"cannot bundle {name!r}: the {lib}/ folder is missing from {root}")
        files.update((arc, path.read_bytes()) for arc, path in _walk(root / lib, prefix=f"{lib}/"))
    for rel in EXTRA_DIRS.get(name, ()):
        if not (root / rel).is_dir():
            raise ValidationFailed(f"cannot bundle {name!r}: the {rel}/ folder is missing from {root}")
        files.update((arc, path.read_bytes()) for arc, path in _walk(root / rel, prefix=f"{rel}/"))
    for rel in EXTRA_FILES.get(name, ()):
        if not (root / rel).is_file():
            raise ValidationFailed(f"cannot bundle {name!r}: {rel} is missing (run 'make node')")
        files[rel] = (root / rel).read_bytes()
    if "requirements.txt" not in files:
        files["requirements.txt"] = runtime_requirements(root)
    return files


def runtime_requirements(root: Path = ROOT) -> bytes:
    """The repository's pinned requirements.txt without any tool listed in requirements-dev.in."""
    pinned = root / "requirements.txt"
    if not pinned.is_file():
        raise ValidationFailed(f"cannot bundle: {pinned} is missing (pin requirements.in first)")
    dev = root / "requirements-dev.in"
    dev_names = {_normalise(n) for n in _requirement_names(dev.read_text())} if dev.is_file() else set()
    kept = [
        line
        for line in pinned.read_text().splitlines()
        if not (m := _REQUIREMENT_NAME.match(line)) or _normalise(m.group(1)) not in dev_names
    ]
    return ("\n".join(kept) + "\n").encode()


def deterministic_zip(files: dict[str, bytes]) -> bytes:
    """A zip of ``files`` whose bytes depend only on names and contents."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for arcname in sorted(files):
            info = zipfile.ZipInfo(arcname, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = _FILE_MODE
            info.create_system = 3
            archive.writestr(info, files[arcname], compresslevel=9)
    return buffer.getvalue()


def build(name: str, out_dir: Path, root: Path = ROOT) -> Bundle:
    """Write ``out_dir/<name>.zip`` (untouched when its bytes are unchanged) and describe it."""
    data = deterministic_zip(bundle_files(name, root))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.zip"
    if not path.is_file() or path.read_bytes() != data:
        tmp = path.with_suffix(".zip.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return Bundle(name=name, path=path, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def write_manifest(bundles: Iterable[Bundle], out_dir: Path, root: Path = ROOT) -> Path:
    """Merge ``bundles`` into out_dir/bundles.json, dropping functions that no longer exist."""
    path = out_dir / MANIFEST
    entries: dict[str, dict[str, object]] = {}
    if path.is_file():
        entries = json.loads(path.read_text()).get("functions", {})
    for b in bundles:
        entries[b.name] = {"file": b.path.name, "sha256": b.sha256, "size": b.size}
    alive = set(function_names(root))
    kept = {n: e for n, e in sorted(entries.items()) if n in alive and (out_dir / str(e["file"])).is_file()}
    path.write_text(json.dumps({"functions": kept}, indent=2, sort_keys=True) + "\n")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build deterministic Cloud Function bundles.")
    parser.add_argument("names", nargs="*", help="functions to bundle (default: all under functions/)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        names = args.names or function_names(args.root)
        if not names:
            raise NotFound(f"no functions to bundle under {args.root / 'functions'}")
        bundles = [build(n, args.out, args.root) for n in names]
        manifest = write_manifest(bundles, args.out, args.root)
    except BridgeError as exc:
        print(f"bundle: error: {exc}", file=sys.stderr)
        return 2
    for b in bundles:
        print(f"{b.name:<16} {b.size:>10,d} B  sha256:{b.sha256}")
    print(f"wrote {manifest}")
    return 0


def _walk(folder: Path, *, prefix: str) -> list[tuple[str, Path]]:
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_dir() or _SKIP_DIRS.intersection(rel.parts) or path.suffix in _SKIP_SUFFIXES:
            continue
        found.append((prefix + rel.as_posix(), path))
    return found


def _requirement_names(text: str) -> list[str]:
    return [m.group(1) for line in text.splitlines() if (m := _REQUIREMENT_NAME.match(line.split("#")[0]))]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


if __name__ == "__main__":
    sys.exit(main())

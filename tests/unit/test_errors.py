"""One error table: every error class is in shared/errors.py, each with one status and code."""

from __future__ import annotations

import ast
from pathlib import Path

from flask import Blueprint, request

from shared import errors
from shared.bootstrap import Container
from shared.entry.app import create_app
from shared.settings import Settings

SHARED = Path(errors.__file__).resolve().parent


def test_the_table_holds_every_error_class_once_with_a_unique_code() -> None:
    declared = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.BridgeError)
    }

    assert {cls.__name__ for cls in errors.ERRORS} == declared
    assert len(errors.ERRORS) == len(declared)
    codes = [cls.code for cls in errors.ERRORS if "code" in vars(cls)]  # a subclass may keep its parent's
    assert len(codes) == len(set(codes)), codes
    assert all(400 <= cls.status < 600 for cls in errors.ERRORS)


def test_no_error_class_is_declared_outside_errors_py() -> None:
    names = {cls.__name__ for cls in errors.ERRORS}
    outside = []
    for path in SHARED.rglob("*.py"):
        if path.name == "errors.py" and path.parent == SHARED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if bases & names:
                    outside.append(f"{path.relative_to(SHARED)}:{node.name}")

    assert outside == []


def test_a_status_maps_to_its_class_and_an_unknown_one_to_a_generic_error() -> None:
    assert type(errors.for_status(405)) is errors.MethodNotAllowed
    assert type(errors.for_status(413)) is errors.PayloadTooLarge
    assert type(errors.for_status(400)) is errors.BadRequest  # the first declared with 400
    odd = errors.for_status(416, "range")
    assert (odd.status, odd.code, odd.message) == (416, "http_error", "range")


def test_the_web_frameworks_own_errors_use_the_table(tmp_path: Path) -> None:
    bp = Blueprint("echo", __name__)
    bp.add_url_rule("/echo", "echo", lambda: {"body": request.get_json()}, methods=["POST"])
    c = Container(Settings(data_dir=tmp_path, max_body_bytes=16))
    client = create_app([bp], container=c).test_client()

    wrong = client.get("/echo")
    big = client.post("/echo", data=b"x" * 64, content_type="application/json")

    assert (wrong.status_code, wrong.json["error"]["code"]) == (405, errors.MethodNotAllowed.code)
    assert "POST" in wrong.headers["Allow"]
    assert (big.status_code, big.json["error"]["code"]) == (413, errors.PayloadTooLarge.code)

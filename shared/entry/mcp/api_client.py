"""A small client of Bridge's HTTP API for the MCP tools: bearer token, JSON errors, chat SSE."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from shared import errors
from shared.errors import BadRequest, BridgeError, Unavailable


def refusal(status: int, code: str, message: str, details: Any = None) -> BridgeError:
    """Bridge's own error class for an HTTP error answer (same code when one matches)."""
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, BridgeError)]
    for cls in classes:
        if cls.code == code and cls.status == status:
            return cls(message, details=details)
    for cls in classes:
        if cls.status == status:
            return cls(message, details=details)
    return (Unavailable if status >= 500 else BadRequest)(message, details=details)


def q(value: str) -> str:
    return quote(value, safe="")


@dataclass
class BridgeApi:
    """Bridge at ``base_url`` as the user holding ``token``."""

    base_url: str
    token: str
    timeout_s: float = 30.0
    turn_timeout_s: float = 300.0

    def __repr__(self) -> str:  # never the token
        return f"BridgeApi({self.base_url!r})"

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        timeout = kwargs.pop("timeout", self.timeout_s)
        try:
            resp = requests.request(
                method, self.base_url.rstrip("/") + path, headers=headers, timeout=timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise Unavailable(f"Bridge at {self.base_url} cannot be reached: {type(exc).__name__}") from exc
        if resp.status_code >= 400:
            try:
                err = resp.json()["error"]
            except (ValueError, KeyError, TypeError):
                err = {"code": "http_error", "message": f"HTTP {resp.status_code}"}
            message = str(err.get("message") or f"HTTP {resp.status_code}")
            raise refusal(resp.status_code, str(err.get("code")), message, err.get("details"))
        return resp

    def get(self, path: str, **params: Any) -> Any:
        return self._request("GET", path, params=params or None).json()

    def get_all(self, path: str, key: str, *, max_pages: int = 100) -> list[Any]:
        """Every item of a paged list route (``next_cursor`` followed, 200 a page)."""
        items: list[Any] = []
        cursor: str | None = None
        for _ in range(max_pages):
            page = self.get(path, limit=200, **({"cursor": cursor} if cursor else {}))
            items += page[key]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return items

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._request("POST", path, json=body).json()

    def text(self, path: str, **params: Any) -> str:
        return self._request("GET", path, params=params or None).text

    def chat_events(self, session_id: str, content: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Send a message and yield the turn's committed events (type, data) until ``done``."""
        resp = self._request(
            "POST",
            f"/v1/chat/sessions/{q(session_id)}/messages",
            json={"content": content},
            stream=True,
            timeout=self.turn_timeout_s,
        )
        with resp:
            event: dict[str, Any] = {}
            for raw in resp.iter_lines(decode_unicode=True):
                if raw == "":
                    if "event" in event and "id" in event:  # live tokens carry no id
                        yield event["event"], event.get("data", {})
                        if event["event"] == "done":
                            return
                    event = {}
                elif not raw.startswith(":"):
                    key, _, value = raw.partition(": ")
                    event[key] = json.loads(value) if key == "data" else value

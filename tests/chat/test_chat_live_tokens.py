"""Text reaches the stream while the model is still writing it, then the committed step replaces it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import requests
from chat_helpers import ChatEnv

from shared.adapters.model.messages import Finish, ModelRequest, TextDelta, Usage


class GatedModel:
    """Test double: writes a first sentence, then waits for the test before finishing its answer."""

    name = "gated"

    def __init__(self) -> None:
        self.gate = threading.Event()

    def stream(self, request: ModelRequest) -> Iterator[Any]:
        yield TextDelta("Revenue grew every month of the year so far, ")
        yield TextDelta("led by the US. ")
        assert self.gate.wait(30), "the test never opened the gate"
        yield TextDelta("China comes second.")
        yield Finish("stop", Usage(output_tokens=20))


def sse(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    cur: dict[str, Any] = {}
    for raw in lines:
        if raw == "":
            if "event" in cur:
                yield cur
            cur = {}
        elif not raw.startswith(":"):
            key, _, value = raw.partition(": ")
            cur[key] = json.loads(value) if key == "data" else value


def test_live_text_arrives_before_the_model_finishes(dev_server, chat_env: ChatEnv) -> None:
    model = GatedModel()
    chat_env.c.install_model(model)
    h = {"Authorization": f"Bearer {chat_env.c.local_identity.issue(chat_env.user.email)}"}
    sid = requests.post(
        f"{dev_server.url}/v1/chat/sessions",
        json={"team_id": chat_env.team_id, "connection_id": chat_env.connection_id},
        headers=h,
    ).json()["id"]
    seen: list[dict[str, Any]] = []
    with requests.post(
        f"{dev_server.url}/v1/chat/sessions/{sid}/messages",
        json={"content": "revenue?"},
        headers=h,
        stream=True,
        timeout=60,
    ) as resp:
        events = sse(resp.iter_lines(decode_unicode=True))
        for event in events:
            seen.append(event)
            if event["data"].get("live"):
                break
        # the model is still blocked mid-answer, and its first words are already on the stream
        assert not model.gate.is_set()
        first = seen[-1]
        assert "id" not in first and first["event"] == "token"
        assert first["data"]["text"].startswith("Revenue grew every month")
        model.gate.set()
        seen.extend(events)
    live = [e for e in seen if e["data"].get("live")]
    committed = [e for e in seen if "id" in e]
    assert [e["event"] for e in committed][-1] == "done"
    assert [int(e["id"]) for e in committed] == list(range(1, len(committed) + 1))
    full = "".join(e["data"]["text"] for e in committed if e["event"] == "token")
    assert full == "Revenue grew every month of the year so far, led by the US. China comes second."
    assert "".join(e["data"]["text"] for e in live) == full[: len("".join(e["data"]["text"] for e in live))]
    # the replay is the committed record only; live rows are gone with the commit
    with requests.get(
        f"{dev_server.url}/v1/chat/sessions/{sid}/events?wait=0", headers=h, stream=True
    ) as resp:
        replay = list(sse(resp.iter_lines(decode_unicode=True)))
    assert all("id" in e and not e["data"].get("live") for e in replay)
    from sqlalchemy import select

    from shared.db.models import LiveToken

    with chat_env.c.db.session() as s:
        assert list(s.scalars(select(LiveToken))) == []

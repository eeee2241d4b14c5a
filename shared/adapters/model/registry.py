"""Model lookup by name: the one place a provider plugs in.

A provider is a plain function ``factory(model_name, *, settings, region) -> ChatModel`` that
imports its adapter inside, so no SDK loads until a model of that kind is created. Adding a
provider is one new module plus one factory and one line in :data:`PROVIDERS`: ``openai:<id>``
(``openai_compat.py``, any Chat Completions server) and ``anthropic:<id>`` (``anthropic.py``) are
built that way; the name after the colon is the remote model id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.adapters.model.port import ChatModel
from shared.errors import BadRequest

Factory = Callable[..., ChatModel]  # factory(model_name, *, settings, region) -> ChatModel


def offline(name: str, *, settings: Any, region: str | None) -> ChatModel:
    """The offline rule-based planner (the local stand-in for a model)."""
    from shared.adapters.model.offline.model import OfflinePlanner

    return OfflinePlanner(name, settings=settings, region=region)


def gemini(name: str, *, settings: Any, region: str | None) -> ChatModel:
    """Gemini on Vertex AI (google-genai, imported when the first request is sent)."""
    from shared.adapters.model.gemini import from_settings

    return from_settings(name, settings=settings, region=region)


def openai(name: str, *, settings: Any, region: str | None) -> ChatModel:
    """Any OpenAI Chat Completions server (OpenAI, Ollama, vLLM, ...), through the openai SDK."""
    from shared.adapters.model.openai_compat import from_settings

    return from_settings(name, settings=settings, region=region)


def anthropic(name: str, *, settings: Any, region: str | None) -> ChatModel:
    """Anthropic's Messages API, through the anthropic SDK."""
    from shared.adapters.model.anthropic import from_settings

    return from_settings(name, settings=settings, region=region)


@dataclass(frozen=True)
class Provider:
    """Models named ``match`` (or starting with it when ``prefix``) are built by ``factory``."""

    match: str
    factory: Factory
    prefix: bool = False

    def matches(self, name: str) -> bool:
        return name.startswith(self.match) if self.prefix else name == self.match


PROVIDERS: tuple[Provider, ...] = (
    Provider("offline", offline),
    Provider("gemini-", gemini, prefix=True),
    Provider("openai:", openai, prefix=True),
    Provider("anthropic:", anthropic, prefix=True),
)


def known_models(providers: Sequence[Provider] = PROVIDERS) -> list[str]:
    """The model names (``*`` = any id) the providers serve, for error messages and docs."""
    return [p.match + ("*" if p.prefix else "") for p in providers]


def validate_model_name(name: str, providers: Sequence[Provider] = PROVIDERS) -> str:
    """``name`` when some provider serves it (and it names a model after a prefix); else BadRequest."""
    provider = provider_for(name, providers)
    if provider.prefix and name == provider.match:
        known = ", ".join(known_models(providers))
        raise BadRequest(f"model {name!r} names no model id; known models: {known}", details={"model": name})
    return name


def provider_for(name: str, providers: Sequence[Provider] = PROVIDERS) -> Provider:
    """The provider serving model ``name``; BadRequest when none does."""
    for provider in providers:
        if provider.matches(name):
            return provider
    known = ", ".join(known_models(providers))
    raise BadRequest(f"unknown model {name!r}; known models: {known}", details={"model": name})


def create_model(
    name: str | None = None,
    *,
    settings: Any,
    region: str | None = None,
    providers: Sequence[Provider] = PROVIDERS,
) -> ChatModel:
    """The chat model ``name`` (default ``settings.model``) in ``region`` (default ``settings.model_region``).

    ``name`` and ``region`` are the per-team overrides. No client is connected here: adapters
    connect on first use.
    """
    model_name = name or settings.model
    factory = provider_for(model_name, providers).factory
    try:
        return factory(model_name, settings=settings, region=region or settings.model_region)
    except ImportError as exc:
        raise BadRequest(f"model provider {model_name!r} is not installed: {exc}") from exc

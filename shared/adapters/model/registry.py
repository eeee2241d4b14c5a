"""Model lookup by name: the one place a provider plugs in.

A provider is a ``"module:callable"`` target imported only when chosen, so no SDK loads until a
model of that kind is created. The callable is called as
``factory(model_name, settings=settings, region=region)`` and returns a :class:`ChatModel`.

Adding a provider is one new module plus one line in :data:`PROVIDERS`: ``openai:<id>``
(``openai_compat.py``, any Chat Completions server) and ``anthropic:<id>`` (``anthropic.py``) are
built that way; the name after the colon is the remote model id.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.adapters.model.port import ChatModel
from shared.errors import BadRequest


@dataclass(frozen=True)
class Provider:
    """Models named ``match`` (or starting with it when ``prefix``) are built by ``target``."""

    match: str
    target: str  # "package.module:callable"
    prefix: bool = False

    def matches(self, name: str) -> bool:
        return name.startswith(self.match) if self.prefix else name == self.match


PROVIDERS: tuple[Provider, ...] = (
    Provider("offline", "shared.adapters.model.offline.model:OfflinePlanner"),
    Provider("gemini-", "shared.adapters.model.gemini:from_settings", prefix=True),
    Provider("openai:", "shared.adapters.model.openai_compat:from_settings", prefix=True),
    Provider("anthropic:", "shared.adapters.model.anthropic:from_settings", prefix=True),
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


def load_target(target: str) -> Callable[..., Any]:
    """Import ``"module:attr"`` and return the attribute."""
    module_name, _, attr = target.partition(":")
    try:
        factory: Callable[..., Any] = getattr(importlib.import_module(module_name), attr)
        return factory
    except (ImportError, AttributeError) as exc:
        raise BadRequest(f"model provider {target!r} is not installed: {exc}") from exc


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
    factory = load_target(provider_for(model_name, providers).target)
    model: ChatModel = factory(model_name, settings=settings, region=region or settings.model_region)
    return model

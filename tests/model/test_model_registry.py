"""create_model: names map to providers, imported lazily; region and name overridable per team."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shared.adapters.model import registry
from shared.adapters.model.gemini import GeminiModel
from shared.adapters.model.registry import PROVIDERS, Provider, create_model, provider_for
from shared.errors import BadRequest
from shared.settings import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, model="gemini-2.5-flash", gcp_project="bridge-prod", model_region="europe-west1"
    )


def test_the_settings_model_is_the_default(settings: Settings) -> None:
    model = create_model(settings=settings)

    assert isinstance(model, GeminiModel)
    assert (model.name, model.project, model.location) == ("gemini-2.5-flash", "bridge-prod", "europe-west1")


def test_a_team_can_override_model_and_region(settings: Settings) -> None:
    model = create_model("gemini-2.5-pro", settings=settings, region="us-central1")

    assert isinstance(model, GeminiModel)
    assert (model.name, model.location) == ("gemini-2.5-pro", "us-central1")


def test_offline_maps_to_the_planner_without_importing_it() -> None:
    code = (
        "import sys\n"
        "from shared.adapters.model import registry\n"
        "assert registry.provider_for('offline').factory is registry.offline\n"
        "print('shared.adapters.model.offline.model' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)

    assert provider_for("offline").factory is registry.offline
    assert out.stdout.strip() == "False"


def test_an_unknown_model_is_a_bad_request(settings: Settings) -> None:
    with pytest.raises(BadRequest, match=r"unknown model 'gpt-4o'; known models: offline, gemini-\*"):
        create_model("gpt-4o", settings=settings)


def test_a_new_provider_is_one_module_and_one_entry(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bridge_test_compat.py").write_text(
        textwrap.dedent(
            """
            class CompatModel:
                def __init__(self, name, *, settings, region):
                    self.name, self.region = name, region
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    def compat(name: str, *, settings: Settings, region: str | None) -> object:
        from bridge_test_compat import CompatModel  # type: ignore[import-not-found]

        return CompatModel(name, settings=settings, region=region)

    providers = (*PROVIDERS, Provider("openai-compat:", compat, prefix=True))  # type: ignore[arg-type]

    model = create_model("openai-compat:llama-3.1-8b", settings=settings, providers=providers)

    assert type(model).__name__ == "CompatModel"
    assert (model.name, model.region) == ("openai-compat:llama-3.1-8b", "europe-west1")


def test_a_provider_whose_module_is_missing_is_a_bad_request(settings: Settings) -> None:
    def ghost(name: str, *, settings: Settings, region: str | None) -> object:
        from shared.adapters.model.no_such_provider import Ghost  # type: ignore[import-not-found]

        return Ghost(name)

    providers = (Provider("ghost", ghost),)  # type: ignore[arg-type]

    with pytest.raises(BadRequest, match="not installed"):
        create_model("ghost", settings=settings, providers=providers)


def test_importing_the_model_and_agent_layers_loads_no_sdk() -> None:
    code = (
        "import sys, shared.adapters.model, shared.adapters.model.registry, "
        "shared.agent.tools, shared.agent.limits, shared.agent.prompts\n"
        "heavy = [m for m in ('google.genai', 'jsonschema', 'yaml', 'httpx2') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)

    assert out.stdout.strip() == ""

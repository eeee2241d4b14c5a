"""The Vertex replay server and a Gemini model on it (from tests/model), for the Gemini eval path."""

from model.conftest import gemini, sleeps, vertex  # noqa: F401  (fixtures)

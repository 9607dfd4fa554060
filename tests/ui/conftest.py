"""UI tests run offscreen; Qt must not be imported before the platform is chosen."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "PySide6")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import pytest  # noqa: E402


@pytest.fixture
def app_home(tmp_path, monkeypatch):
    """A private RLM_STUDIO_HOME (settings and database) for one test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("RLM_STUDIO_HOME", str(home))
    return home

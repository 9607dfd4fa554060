"""Shared test set-up: no network for litellm, and the bundled model server fixture."""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "PySide6")

from tests.local_model_fixture import bundled_server  # noqa: E402,F401  (one server for the whole run)

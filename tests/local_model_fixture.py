"""Session-wide bundled model server for tests marked `local_model` (import `bundled_server` into a conftest)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def bundled_server():
    """Start the real llama.cpp server with the bundled SmolLM2 model once per test session; stop it at the end."""
    from rlm_studio.models import local_server

    missing = local_server.missing_server_modules()
    if missing:
        pytest.fail(f"the bundled model server is not installed (missing {', '.join(missing)}). "
                    f"{local_server.INSTALL_HINT}\nOr deselect these tests with -m 'not local_model'.")
    server = local_server.bundled_server()
    server.start()
    yield server
    server.stop()

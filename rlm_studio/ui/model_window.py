"""Context windows of model specs for the "total against the window" line; litellm is looked up off the UI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from . import lazy_litellm

SCRIPTED_WINDOW = 128_000


def known_window(spec: str) -> int | None:
    """Windows known without litellm; None when litellm's table must be asked."""
    spec = spec.strip()
    if spec == "bundled":
        from rlm_studio.models.local_server import BUNDLED_N_CTX

        return BUNDLED_N_CTX
    if spec.startswith("script:"):
        return SCRIPTED_WINDOW
    return None


def litellm_window(spec: str) -> int | None:
    from .lazy_litellm import load_blocking

    litellm = load_blocking()

    try:
        info = litellm.get_model_info(spec)
    except Exception:
        return None
    value = info.get("max_input_tokens") or info.get("max_tokens")
    return int(value) if isinstance(value, (int, float)) and value > 0 else None


class WindowLookup(QObject):
    """Emits found(spec, window or 0) once litellm (imported on a worker thread) has answered."""

    found = Signal(str, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cache: dict[str, int | None] = {}

    def lookup(self, spec: str) -> int | None:
        """The window now if known; otherwise None now and `found` later."""
        spec = spec.strip()
        window = known_window(spec)
        if window is not None or not spec:
            return window
        if spec in self._cache:
            return self._cache[spec]
        if lazy_litellm.loaded():
            self._cache[spec] = litellm_window(spec)
            return self._cache[spec]
        threading.Thread(target=self._work, args=(spec,), daemon=True, name="rlm-studio-window").start()
        return None

    def _work(self, spec: str) -> None:
        window = litellm_window(spec)
        self._cache[spec] = window
        self.found.emit(spec, window or 0)

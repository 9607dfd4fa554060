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


class _Relay(QObject):
    """Lives as long as the process: the worker thread emits on it, never on a widget that may be gone."""

    found = Signal(str, int)


_relay: _Relay | None = None


def _get_relay() -> _Relay:
    global _relay
    if _relay is None:
        _relay = _Relay()
    return _relay


class WindowLookup(QObject):
    """Emits found(spec, window or 0) once litellm (imported on a worker thread) has answered."""

    found = Signal(str, int)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._cache: dict[str, int | None] = {}
        _get_relay().found.connect(self._relayed)

    def _relayed(self, spec: str, window: int) -> None:
        self._cache[spec] = window or None
        self.found.emit(spec, window)

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
        _get_relay()  # created here, on the UI thread
        threading.Thread(target=self._work, args=(spec,), daemon=True, name="rlm-studio-window").start()
        return None

    @staticmethod
    def _work(spec: str) -> None:
        _get_relay().found.emit(spec, litellm_window(spec) or 0)

"""The RLM engine: pure asyncio, no Qt. Import names from here; heavy modules load on first use."""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "RunSettings": "settings", "RunResult": "settings", "RlmSession": "session",
    "DEFAULT_SYSTEM_PROMPT": "prompts", "EventEmitter": "emitter",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(name)


__all__ = list(_EXPORTS)

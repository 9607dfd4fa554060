"""The bundled server's prompt cache holds what it says it holds.

llama-cpp-python's RAM cache (`--cache True`) saves a state after every completion and evicts by the size
of its llama.cpp part alone, but each saved state also carries a copy of the whole logits buffer (up to
n_batch x n_vocab floats: about 100 MB for SmolLM2's 49,152-token vocabulary). With a 512 MB cap the
server grew past 6 GB. A restored state is always evaluated again from at least its last token before
anything is sampled (`load_state` sets `_requires_eval`), so its saved logits are never read: a state
keeps one row of them (numpy spreads it over the rows `load_state` fills), and the cache counts every
array a state holds. Runs in the server process.
"""

from __future__ import annotations

from typing import Any


def state_bytes(state: Any) -> int:
    """What one saved state holds: its llama.cpp data and its arrays."""
    return int(state.llama_state_size) + int(state.scores.nbytes) + int(state.input_ids.nbytes)


def patch_saved_states() -> None:
    """Saved states keep one row of logits, and the RAM cache's size counts all of a state."""
    from llama_cpp import llama as llama_module
    from llama_cpp import llama_cache

    cls: Any = llama_module.Llama   # patched in place: typed loosely
    if getattr(cls, "_rlm_compact_states", False):
        return
    save_state = cls.save_state

    def save_compact_state(self: Any) -> Any:
        state = save_state(self)
        if state.scores.shape[0] > 1:
            state.scores = state.scores[-1:].copy()
        return state

    cls.save_state = save_compact_state
    cls._rlm_compact_states = True
    cache_cls: Any = llama_cache.LlamaRAMCache
    cache_cls.cache_size = property(lambda self: sum(state_bytes(s) for s in self.cache_state.values()))

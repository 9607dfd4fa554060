"""The bundled server's saved prompt states: one row of logits, counted whole, restored to the same answer."""

from __future__ import annotations

import pytest

from rlm_studio.models.bundled_prompt_cache import patch_saved_states, state_bytes
from rlm_studio.models.local_server import find_bundled_gguf

pytestmark = pytest.mark.local_model


def test_a_saved_state_is_small_counted_whole_and_restores_to_the_same_answer():
    from llama_cpp import Llama, LlamaRAMCache

    patch_saved_states()
    llm = Llama(model_path=str(find_bundled_gguf()), n_ctx=1024, n_threads=1, verbose=False)
    prompt = "Record 17: the shipment left dock four on day 12. Record 18: the shipment left dock"
    first = llm.create_completion(prompt, max_tokens=8, temperature=0.0)["choices"][0]["text"]
    state = llm.save_state()
    assert state.scores.shape[0] == 1   # not n_batch rows of 49,152 floats
    cache = LlamaRAMCache(capacity_bytes=state_bytes(state) * 2 - 1)
    cache[[1, 2, 3]] = state
    assert cache.cache_size == state_bytes(state) > state.llama_state_size
    cache[[4, 5, 6]] = state   # two of them are over the cap: the older one goes
    assert len(cache.cache_state) == 1 and (4, 5, 6) in cache.cache_state
    llm.create_completion("Something else entirely, to move the model's state on.", max_tokens=4,
                          temperature=0.0)
    llm.load_state(state)
    again = llm.create_completion(prompt, max_tokens=8, temperature=0.0)["choices"][0]["text"]
    assert again == first and first.strip()

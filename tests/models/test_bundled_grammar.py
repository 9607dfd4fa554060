"""The bundled RLM's opening grammar: the key it searches for is quoted from the question (pure parts, and the
real llama.cpp server honouring it)."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from rlm_studio.engine.prompts import BUNDLED_SYSTEM_PROMPT, context_metadata, first_user_message
from rlm_studio.models.bundled_grammar import (
    MAX_QUESTION_WORDS,
    first_question,
    opening_grammar,
    opening_request_params,
    question_phrases,
)
from rlm_studio.models.litellm_client import LiteLLMModel


def _opening(question: str, context: str = "The grass is green.\n" * 200) -> list[dict[str, str]]:
    return [{"role": "system", "content": BUNDLED_SYSTEM_PROMPT},
            {"role": "user", "content": first_user_message(question, context_metadata(context), 6)}]


def test_phrases_are_runs_of_the_questions_words_without_edge_punctuation():
    phrases = question_phrases("What is Alma Reyes's code, in the ledger?")
    assert "Alma Reyes" in phrases and "code" in phrases and "ledger" in phrases and "in the ledger" not in phrases
    assert not any(p.endswith(("?", ",", "'s")) for p in phrases)
    # a key is a content phrase: never a lone "the", nor "the unlabelled steel crate" (the text says "an ...")
    crate = question_phrases("What serial number was stencilled on the unlabelled steel crate?")
    assert "unlabelled steel crate" in crate and "the" not in crate and "the unlabelled steel crate" not in crate
    assert "telling-ashtray" in question_phrases("What is the special magic number for telling-ashtray?")
    assert not {"the", "is", "for", "What"} & set(question_phrases("What is the special magic number for x-y?"))
    assert all(len(p.split()) <= 6 for p in question_phrases(" ".join(f"w{i}" for i in range(20))))


def test_the_grammar_is_only_for_a_runs_opening():
    question = "What is the secret code for amber-lantern?"
    opening = _opening(question)
    assert first_question(opening) == question
    grammar = opening_request_params(opening)["extra_body"]["grammar"]
    assert '"\\"amber-lantern\\""' in grammar and json.dumps(question).replace('"', '\\"') in grammar
    later = opening + [{"role": "assistant", "content": "x"}, {"role": "user", "content": "output"}]
    assert opening_request_params(later) == {}
    assert opening_request_params([{"role": "user", "content": "Text: abc\n\nQuestion: q"}]) == {}  # a sub-call
    assert opening_grammar(" ".join(["word"] * (MAX_QUESTION_WORDS + 1))) is None
    assert opening_grammar("?!") is None


def test_a_litellm_client_adds_the_per_request_fields_to_what_it_sends():
    client = LiteLLMModel("openai/x", api_base="http://127.0.0.1:9", request_params=opening_request_params)
    sent = client._params(_opening("Find the code for blue heron."), None, 10.0)
    assert "blue heron" in sent["extra_body"]["grammar"]
    assert "extra_body" not in client._params([{"role": "user", "content": "hi"}], None, 10.0)


@pytest.mark.local_model
def test_the_bundled_model_quotes_its_search_key_from_the_question(bundled_server):
    from rlm_studio.models.registry import ModelSettings, resolve_model

    model = resolve_model("bundled", ModelSettings(timeout_s=600))
    for key in ("bizarre-mind", "understood-gaming", "telling-ashtray"):   # keys the adapter alone rewrote
        question = f"What is the special magic number for {key} mentioned in the provided text?"
        reply = asyncio.run(model.complete(_opening(question))).content
        quoted = re.match(r'I will search `context` for "([^"]+)"', reply)
        assert quoted is not None and quoted.group(1) in question, reply[:200]
        keys = re.search(r"^keys = (\[.*\])$", reply, re.M)
        assert keys is not None and all(k in question for k in json.loads(keys.group(1))), reply[:400]

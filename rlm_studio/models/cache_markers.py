"""Prompt-cache breakpoints for providers that only cache what the request marks (Anthropic's Claude).

OpenAI, Gemini, DeepSeek and llama.cpp reuse a shared prefix by themselves; Anthropic (directly, on
Bedrock or on Vertex AI) caches only up to a `cache_control` marker. An RLM's root conversation only
grows, so three markers cover it: the system prompt, the first user message (the question and the
context's description: stable for the whole run) and the newest message (the next call reads the whole
conversation so far from the cache and writes only what is new). Anthropic allows four.
"""

from __future__ import annotations

from typing import Any

from .types import Message

EPHEMERAL: dict[str, str] = {"type": "ephemeral"}
_MARKING_PROVIDERS = frozenset({"anthropic", "bedrock", "vertex_ai", "vertex_ai_beta"})


def needs_cache_markers(provider: str, model: str) -> bool:
    """True for Claude models on a provider whose cache litellm drives through `cache_control`."""
    return provider == "anthropic" or (provider in _MARKING_PROVIDERS and "claude" in model.lower())


def with_cache_markers(messages: list[Message]) -> list[dict[str, Any]]:
    """A copy of `messages` with `cache_control` on the system prompt, the first user message and the last
    message; the caller's list and dicts are left as they are."""
    marked: set[int] = set()
    first_user = next((i for i, m in enumerate(messages) if m.get("role") == "user"), None)
    system = next((i for i, m in enumerate(messages) if m.get("role") == "system"), None)
    for index in (system, first_user, len(messages) - 1 if messages else None):
        if index is not None and messages[index].get("content"):
            marked.add(index)
    out: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        if i in marked:
            block = {"type": "text", "text": message["content"], "cache_control": dict(EPHEMERAL)}
            out.append({**message, "content": [block]})
        else:
            out.append(dict(message))
    return out

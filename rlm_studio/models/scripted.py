"""`script:PATH` models: prepared responses from a JSON file, for tests, demos and re-execution.

Formats:
  {"responses": ["...", ...]}                       returned in order, one per call
  {"rules": [{"match": "REGEX", "content": "..."}], "default": "..."}
                                                    first rule whose regex is found in the prompt
A rule may also carry "delay_ms" (simulated latency) and "error" (a ModelError kind to raise).
  {"replies": [{"prompt": "EXACT PROMPT", "content": "..."}], "default": "..."}
                                                    exact prompts, each answered in recorded order
                                                    (used to re-execute a stored run's sub-calls)
Top-level options: "delay_ms" (every call), "cost_usd" (reported cost per call, default 0),
"context_window" (tokens, default 128000).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .types import Message, ModelError, ModelResponse, StreamCallback, Usage, estimate_message_tokens, estimate_tokens


class ScriptFileError(ValueError):
    """The script file is missing or malformed; the message names the file and the problem."""


_ANY = re.compile("")


@dataclass
class _Rule:
    pattern: re.Pattern[str]
    content: str
    delay_ms: float = 0.0
    error: str | None = None


def _options(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: data[k] for k in ("cost_usd", "context_window", "replies") if k in data}


def _replies(path: Path, raw: Any) -> dict[str, deque[_Rule]]:
    if not isinstance(raw, list):
        raise ScriptFileError(f"{path}: 'replies' must be a list")
    replies: dict[str, deque[_Rule]] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("prompt"), str) \
                or not isinstance(item.get("content", ""), str):
            raise ScriptFileError(f"{path}: reply {i} needs a string 'prompt' and a string 'content'")
        replies.setdefault(item["prompt"], deque()).append(
            _Rule(_ANY, item.get("content", ""), float(item.get("delay_ms", 0) or 0), item.get("error")))
    return replies


def _load(path: Path) -> tuple[list[str] | None, list[_Rule], str | None, float]:
    if not path.is_file():
        raise ScriptFileError(f"{path}: script file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScriptFileError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ScriptFileError(f"{path}: expected a JSON object with 'responses' or 'rules'")
    delay = float(data.get("delay_ms", 0) or 0)
    if "responses" in data:
        responses = data["responses"]
        if not isinstance(responses, list) or not all(isinstance(r, str) for r in responses):
            raise ScriptFileError(f"{path}: 'responses' must be a list of strings")
        return list(responses), [], None, delay
    if "rules" in data:
        rules = []
        if not isinstance(data["rules"], list):
            raise ScriptFileError(f"{path}: 'rules' must be a list")
        for i, rule in enumerate(data["rules"]):
            if not isinstance(rule, dict) or not isinstance(rule.get("match"), str):
                raise ScriptFileError(f"{path}: rule {i} needs a string 'match'")
            if not isinstance(rule.get("content", ""), str):
                raise ScriptFileError(f"{path}: rule {i} 'content' must be a string")
            try:
                pattern = re.compile(rule["match"], re.DOTALL)
            except re.error as exc:
                raise ScriptFileError(f"{path}: rule {i} has a bad regex ({exc})") from None
            rules.append(_Rule(pattern, rule.get("content", ""), float(rule.get("delay_ms", 0) or 0),
                               rule.get("error")))
        default = data.get("default")
        if default is not None and not isinstance(default, str):
            raise ScriptFileError(f"{path}: 'default' must be a string")
        return None, rules, default, delay
    if "replies" in data:
        default = data.get("default")
        if default is not None and not isinstance(default, str):
            raise ScriptFileError(f"{path}: 'default' must be a string")
        return None, [], default, delay
    raise ScriptFileError(f"{path}: expected a JSON object with 'responses' or 'rules'")


class ScriptedModel:
    """A deterministic model that reports token usage the way a real one does (estimated, and marked so)."""

    is_local = True

    def __init__(self, path: str | Path, *, name: str | None = None, context_window: int | None = 128_000):
        self.path = Path(path)
        self.name = name or f"script:{path}"
        self.context_window = context_window
        self._responses, self._rules, self._default, self._delay_ms = _load(self.path)
        options = _options(self.path)
        self.cost_usd = float(options.get("cost_usd", 0.0))
        if "context_window" in options:
            self.context_window = int(options["context_window"])
        self._replies = _replies(self.path, options.get("replies", []))
        self._next = 0
        self.calls = 0

    def count_tokens(self, messages: list[Message]) -> int:
        return estimate_message_tokens(messages)

    def _pick(self, prompt: str) -> _Rule:
        queue = self._replies.get(prompt)
        if queue:
            return queue.popleft() if len(queue) > 1 else queue[0]
        if self._responses is not None:
            if self._next >= len(self._responses):
                raise ModelError("script", f"{self.path.name}: ran out of scripted responses "
                                 f"after {len(self._responses)} calls", model=self.name)
            content = self._responses[self._next]
            self._next += 1
            return _Rule(re.compile(""), content, self._delay_ms)
        for rule in self._rules:
            if rule.pattern.search(prompt):
                return rule
        if self._default is None:
            raise ModelError("script", f"{self.path.name}: no rule matches the prompt and there is no default",
                             model=self.name)
        return _Rule(re.compile(""), self._default, self._delay_ms)

    async def complete(self, messages: list[Message], *, stream: StreamCallback | None = None,
                       timeout: float | None = None) -> ModelResponse:
        started = time.perf_counter()
        self.calls += 1
        prompt = "\n".join(m.get("content") or "" for m in messages)
        rule = self._pick(prompt)
        delay = (rule.delay_ms or self._delay_ms) / 1000.0
        if delay:
            if timeout is not None and delay > timeout:
                await asyncio.sleep(timeout)
                raise ModelError("timeout", f"no answer within {timeout:g} s", model=self.name)
            await asyncio.sleep(delay)
        if rule.error:
            raise ModelError(rule.error, f"scripted failure ({rule.error})", model=self.name)
        if stream is not None:
            for piece in _chunks(rule.content):
                stream(piece)
        usage = Usage(input_tokens=estimate_message_tokens(messages),
                      output_tokens=estimate_tokens(rule.content), estimated=True)
        return ModelResponse(content=rule.content, usage=usage, cost_usd=self.cost_usd,
                             latency_ms=(time.perf_counter() - started) * 1000.0,
                             model=self.name, finish_reason="stop")


def _chunks(text: str, size: int = 64) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]

"""The bundled server's responses say how many prompt tokens came from its cache, as OpenAI's do
(`usage.prompt_tokens_details.cached_tokens`), so a run records the root conversation's prefix reuse.

llama-cpp-python keeps the longest shared prefix of the last prompt (and, with `--cache`, of earlier
ones) and evaluates only the rest, but reports only prompt_tokens. Its Llama is wrapped so that each
completion remembers how many tokens were already evaluated when it started evaluating (`n_tokens` at the
first eval of a generation), and an HTTP middleware adds that count to the JSON body of the response with
the same completion id (a chat completion's id is "chat" + the completion's). Runs in the server process.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

KEEP = 256   # completions whose count waits for its response, at most (a stream's is never asked for)
_lock = threading.Lock()
_reused: OrderedDict[str, int] = OrderedDict()


def _remember(completion_id: str, cached: int) -> None:
    with _lock:
        _reused[completion_id] = cached
        while len(_reused) > KEEP:
            _reused.popitem(last=False)


def cached_tokens_of(response_id: str) -> int | None:
    """The cached prompt tokens of the completion behind a response id (once; None if unknown)."""
    completion_id = response_id[4:] if response_id.startswith("chatcmpl-") else response_id
    with _lock:
        return _reused.pop(completion_id, None)


def with_cached_tokens(body: dict[str, Any]) -> bool:
    """Add usage.prompt_tokens_details.cached_tokens to a completion's JSON body; False if unknown."""
    usage = body.get("usage")
    response_id = body.get("id")
    if not isinstance(usage, dict) or not isinstance(response_id, str):
        return False
    cached = cached_tokens_of(response_id)
    if cached is None:
        return False
    prompt = int(usage.get("prompt_tokens") or 0)
    usage["prompt_tokens_details"] = {"cached_tokens": max(0, min(cached, prompt))}
    return True


def patch_llama() -> None:
    """Wrap llama_cpp.Llama so each completion remembers its cached prompt tokens."""
    from llama_cpp import llama as llama_module

    cls: Any = llama_module.Llama   # patched in place: typed loosely
    if getattr(cls, "_rlm_cache_report", False):
        return
    generate, evaluate, create_completion = cls.generate, cls.eval, cls.create_completion

    def generate_wrapper(self: Any, *args: Any, **kwargs: Any) -> Iterator[int]:
        self._rlm_first_eval = True   # at the first step; its first eval comes after the prefix match
        yield from generate(self, *args, **kwargs)

    def eval_wrapper(self: Any, tokens: Any) -> None:
        if getattr(self, "_rlm_first_eval", False):
            self._rlm_first_eval = False
            self._rlm_cached = int(self.n_tokens)   # the prompt's tokens already in the KV cache
        evaluate(self, tokens)

    def create_completion_wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        self._rlm_cached = 0
        result = create_completion(self, *args, **kwargs)
        if isinstance(result, dict) and isinstance(result.get("id"), str):
            _remember(result["id"], int(getattr(self, "_rlm_cached", 0)))
        return result

    cls.generate = generate_wrapper
    cls.eval = eval_wrapper
    cls.create_completion = create_completion_wrapper
    cls._rlm_cache_report = True


def add_middleware(app: Any) -> None:
    """On the server's FastAPI app: completions' JSON bodies get their cached prompt tokens."""
    from starlette.requests import Request
    from starlette.responses import Response

    async def report(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        response = await call_next(request)
        if request.method != "POST" or not request.url.path.endswith("completions") \
                or not response.headers.get("content-type", "").startswith("application/json"):
            return response
        raw = b"".join([chunk async for chunk in response.body_iterator])
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if isinstance(body, dict) and with_cached_tokens(body):
            raw = json.dumps(body).encode()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(raw, status_code=response.status_code, headers=headers, media_type="application/json")

    app.middleware("http")(report)

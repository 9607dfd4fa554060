"""The functions model code sees in the REPL: llm_query, llm_query_batched, rlm_query, FINAL, FINAL_VAR, SHOW_VARS.

Stdlib only (runs inside the sandbox).
"""

from __future__ import annotations

import json
import reprlib
import types

TYPE_CHECKING = False  # the sandbox does not import typing (tens of ms at start)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    from worker_channel import WorkerChannel

RESERVED_NAMES = (
    "context", "llm_query", "llm_query_batched", "rlm_query",
    "FINAL", "FINAL_VAR", "SHOW_VARS", "SubcallError", "history",
)

_preview = reprlib.Repr()
_preview.maxstring = 80
_preview.maxother = 80
_preview.maxlist = _preview.maxtuple = _preview.maxset = _preview.maxdict = 6


class SubcallError(Exception):
    """A sub-model call (llm_query, llm_query_batched item, rlm_query) failed; .kind says how."""

    def __init__(self, kind: str, message: str, index: int | None = None):
        where = f" (item {index})" if index is not None else ""
        super().__init__(f"{kind}{where}: {message}")
        self.kind = kind
        self.message = message
        self.index = index

    def _fresh(self) -> SubcallError:
        return SubcallError(self.kind, self.message, self.index)


SubcallError.__module__ = "builtins"  # tracebacks show "SubcallError: ..." like a built-in exception


class BatchResults(list):  # type: ignore[type-arg]  # items are text or SubcallError
    """llm_query_batched results in input order. Reading a failed item raises its SubcallError;
    the other items read normally. `.errors` maps index -> SubcallError, `.ok(i)` tests one item."""

    def __getitem__(self, index: Any) -> Any:
        value = list.__getitem__(self, index)
        if isinstance(index, slice):
            return BatchResults(value)
        if isinstance(value, SubcallError):
            raise value._fresh()
        return value

    def __iter__(self) -> Iterator[Any]:
        for value in list.__iter__(self):
            if isinstance(value, SubcallError):
                raise value._fresh()
            yield value

    def get(self, index: int, default: Any = None) -> Any:
        value = list.__getitem__(self, index)
        return default if isinstance(value, SubcallError) else value

    def ok(self, index: int) -> bool:
        return not isinstance(list.__getitem__(self, index), SubcallError)

    @property
    def errors(self) -> dict[int, SubcallError]:
        return {i: v for i, v in enumerate(list.__iter__(self)) if isinstance(v, SubcallError)}

    def __repr__(self) -> str:
        # printed like the plain list model code expects; a failed item shows as <failed: ...>
        shown = [f"<failed: {v}>" if isinstance(v, SubcallError) else repr(v) for v in list.__iter__(self)]
        return "[" + ", ".join(shown) + "]"


def _error_from(response: dict[str, Any], index: int | None = None) -> SubcallError:
    return SubcallError(response.get("kind") or "unknown", response.get("message") or "the call failed", index)


def _check_prompt(prompt: object, function_name: str) -> None:
    if not isinstance(prompt, str):
        raise TypeError(f"{function_name}() needs the prompt as text (str), got {type(prompt).__name__}")


def _check_model(model: object, function_name: str) -> None:
    if model is not None and not isinstance(model, str):
        raise TypeError(f"{function_name}() model must be a model name (str) or None, got {type(model).__name__}")


def _text_result(response: dict[str, Any]) -> str:
    if not response.get("ok"):
        raise _error_from(response)
    value = response.get("value")
    if not isinstance(value, str):
        raise SubcallError("internal", f"the app returned {type(value).__name__} instead of text")
    return value


def _is_user_value(name: object, value: object) -> bool:
    if not isinstance(name, str) or name.startswith("_") or name in RESERVED_NAMES:
        return False
    return not isinstance(value, types.ModuleType)


def size_of(value: Any) -> int | None:
    try:
        size = len(value)
    except Exception:
        return None
    return size if isinstance(size, int) and size >= 0 else None


MAX_NAME_CHARS = 200  # variable and type names as sent to the host (the host checks this bound)


def _short(text: str) -> str:
    return text if len(text) <= MAX_NAME_CHARS else text[:MAX_NAME_CHARS - 3] + "..."


MAX_DESCRIBED_VARIABLES = 1000


def describe_variables(namespace: dict[str, Any]) -> list[dict[str, Any]]:
    """[{"name", "type", "size", "summary"}] for the user's variables, in definition order (at most 1000)."""
    described: list[dict[str, Any]] = []
    for name, value in list(namespace.items()):
        if not _is_user_value(name, value):
            continue
        if len(described) >= MAX_DESCRIBED_VARIABLES:
            break
        try:
            summary = _preview.repr(value)
        except Exception as exc:  # a user object whose repr fails must not break the cell
            summary = f"<repr failed: {type(exc).__name__}>"
        if not isinstance(summary, str):
            summary = "<repr did not return text>"
        described.append({"name": _short(str(name)), "type": _short(str(type(value).__name__)), "size": size_of(value),
                          "summary": summary[:1000]})
    return described


class ReplFunctions:
    """Builds the reserved names for one namespace; `final` collects FINAL/FINAL_VAR of the current cell."""

    def __init__(self, channel: WorkerChannel, namespace: dict[str, Any]):
        self._channel = channel
        self._namespace = namespace
        self.final: dict[str, Any] | None = None

    def build(self, context: Any, history: list[Any]) -> dict[str, Any]:
        channel = self._channel
        namespace = self._namespace
        runtime = self

        def llm_query(prompt: str, model: str | None = None) -> str:
            """Ask a sub-model one question; returns its answer text or raises SubcallError."""
            _check_prompt(prompt, "llm_query")
            _check_model(model, "llm_query")
            return _text_result(channel.request("llm_query", {"prompt": prompt, "model": model}))

        def llm_query_batched(prompts: Iterable[str], model: str | None = None,
                              return_exceptions: bool = False) -> list[Any]:
            """Ask many questions concurrently; results in input order (see BatchResults)."""
            prompts = list(prompts)
            for index, prompt in enumerate(prompts):
                if not isinstance(prompt, str):
                    raise TypeError(f"llm_query_batched() prompt {index} is {type(prompt).__name__}; prompts must be text")
            _check_model(model, "llm_query_batched")
            if not prompts:
                return [] if return_exceptions else BatchResults()
            response = channel.request("llm_query_batched", {"prompts": prompts, "model": model})
            if not response.get("ok"):
                raise _error_from(response)
            items = response.get("items") or []
            if len(items) != len(prompts):
                raise SubcallError("internal", f"the app returned {len(items)} results for {len(prompts)} prompts")
            values: list[Any] = []
            for index, item in enumerate(items):
                if item.get("ok") and isinstance(item.get("value"), str):
                    values.append(item["value"])
                elif item.get("ok"):
                    values.append(SubcallError("internal", "the app returned a non-text result", index))
                else:
                    values.append(_error_from(item, index))
            return list(values) if return_exceptions else BatchResults(values)

        def rlm_query(prompt: str, context: Any = None) -> str:
            """Run a recursive child RLM on `context` (text, list or dict); returns its final answer."""
            _check_prompt(prompt, "rlm_query")
            try:
                json.dumps(context)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"rlm_query() context must be text, a list or a dict of plain values: {exc}") from None
            return _text_result(channel.request("rlm_query", {"prompt": prompt, "context": context}))

        def FINAL(value: Any) -> None:
            """Give the final answer of the whole run."""
            runtime.final = {"value": value if isinstance(value, str) else str(value), "source": "FINAL", "var": None}

        def FINAL_VAR(name_or_value: Any) -> None:
            """Give a variable as the final answer: FINAL_VAR("answer") or FINAL_VAR(answer)."""
            var: str | None
            if isinstance(name_or_value, str) and name_or_value in namespace and _is_user_value(name_or_value, namespace[name_or_value]):
                var, value = name_or_value, namespace[name_or_value]
            else:
                var = next((n for n, v in namespace.items() if v is name_or_value and _is_user_value(n, v)), None)
                if var is None:
                    if isinstance(name_or_value, str):
                        raise NameError(f"FINAL_VAR({name_or_value!r}): there is no variable named {name_or_value!r}; "
                                        "assign it first, or use FINAL(text) to answer with text directly")
                    raise NameError("FINAL_VAR() needs a variable name (str) or a variable defined in the REPL")
                value = name_or_value
            runtime.final = {"value": value if isinstance(value, str) else str(value), "source": "FINAL_VAR",
                             "var": _short(var)}

        def SHOW_VARS() -> None:
            """Print the REPL's variables with their types and sizes."""
            described = describe_variables(namespace)
            if not described:
                print("(no variables yet)")
                return
            for item in described:
                size = "" if item["size"] is None else f", size {item['size']:,}"
                print(f"{item['name']}: {item['type']}{size} = {item['summary']}")

        return {
            "context": context, "llm_query": llm_query, "llm_query_batched": llm_query_batched,
            "rlm_query": rlm_query, "FINAL": FINAL, "FINAL_VAR": FINAL_VAR, "SHOW_VARS": SHOW_VARS,
            "SubcallError": SubcallError, "history": history,
        }

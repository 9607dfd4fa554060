"""Logs of the official RLM library (`rlms`, RLMLogger JSONL) turned into our events.

A log is a `{"type": "metadata", ...}` line, then one `{"type": "iteration", ...}` line per root
iteration: the prompt (chat messages), the response, its code blocks with their REPL results and the
sub-calls made in them (`rlm_calls`; a sub-call that ran a child RLM carries that child's whole
trajectory in `metadata`), and the final answer. Two ways of ending a run are read:
  - current `rlms`: a code block's `result.final_answer` (the REPL's `answer["ready"] = True`);
  - older versions: the iteration's `final_answer` (a string, or `[kind, value]`) from a
    `FINAL(...)` / `FINAL_VAR(name)` written in the response.
The log does not hold the root model's token counts, so those nodes have none (the run says so).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rlm_studio.engine.events import (
    CellFinished,
    CellStarted,
    Event,
    FinalAnswer,
    FinalVia,
    IterationFinished,
    IterationStarted,
    ModelCallFinished,
    ModelCallStarted,
    RunFinished,
    RunStarted,
    RunStatus,
    SubcallFinished,
    SubcallStarted,
    new_run_id,
)

SOURCE = "rlms-logger"
NO_USAGE_WARNING = ("imported from an RLMLogger log: it does not record the root model's token usage "
                    "or cost, so those are missing")
_QUESTION = re.compile(r"Answer the following: (.*?)(?:\n\nYour context is|\Z)", re.S)
_FINAL_VAR = re.compile(r"^\s*FINAL_VAR\((.*?)\)", re.M | re.S)
_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit)):\s?(.*)$", re.M)


class _Bad(Exception):
    def __init__(self, line: int, where: str, reason: str):
        where = where.lstrip(".")
        self.line, self.reason = line, f"{where + ': ' if where else ''}{reason}"
        super().__init__(f"line {line}: {self.reason}")


def _ts(value: Any, default: float) -> float:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return default
    return default


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


class _Check:
    """Type checks that name the line and the place in the nested entry."""

    def __init__(self, line: int):
        self.line = line

    def need(self, data: Any, key: str, kinds: tuple[type, ...], where: str, optional: bool = False) -> Any:
        if not isinstance(data, dict):
            raise _Bad(self.line, where, f"expected an object, got {type(data).__name__}")
        if key not in data or data[key] is None:
            if optional:
                return None
            raise _Bad(self.line, where, f"missing field '{key}'")
        value = data[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = "/".join(k.__name__ for k in kinds)
            raise _Bad(self.line, where, f"'{key}' must be {names}, not {type(value).__name__}")
        return value


class _Converter:
    def __init__(self, run_id: str, t0: float):
        self.run_id = run_id
        self.seq = 0
        self.node = 0
        self.t = t0
        self.events: list[Event] = []

    def node_id(self) -> str:
        self.node += 1
        return f"n{self.node}"

    def emit(self, event: Event, at: float | None = None) -> None:
        self.seq += 1
        if at is not None:
            self.t = max(self.t, at)
        event.run_id, event.seq, event.ts = self.run_id, self.seq, self.t
        self.events.append(event)

    # -- one run (root or child) ----------------------------------------------------------------
    def run(self, meta: dict[str, Any] | None, entries: list[tuple[int, str, dict[str, Any]]], *,
            depth: int, parent_id: str | None, question: str | None, model: str | None,
            answer_hint: str | None) -> tuple[str, str | None]:
        """entries: (line number, place in the line, iteration entry) for each iteration of the run."""
        meta = meta or {}
        iterations = [entry for _, _, entry in entries]
        root_model = model or meta.get("root_model") or (meta.get("backend_kwargs") or {}).get("model_name") or ""
        first_prompt = iterations[0].get("prompt") if iterations else None
        messages0 = first_prompt if isinstance(first_prompt, list) else []
        system_prompt = next((m.get("content", "") for m in messages0
                              if isinstance(m, dict) and m.get("role") == "system"), "")
        if question is None:
            question = meta.get("root_prompt") if isinstance(meta.get("root_prompt"), str) else _question(messages0)
        settings: dict[str, Any] = {k: meta[k] for k in ("max_depth", "max_iterations", "backend", "environment_type",
                                         "other_backends") if k in meta}
        settings["imported_from"] = SOURCE
        settings["answer_protocol"] = answer_protocol_of(system_prompt)
        node = self.node_id()
        self.emit(RunStarted(node_id=node, parent_id=parent_id, question=_text(question), depth=depth,
                             root_model=_text(root_model), settings=settings, system_prompt=_text(system_prompt),
                             isolation=_text(meta.get("environment_type", "")),
                             warnings=[NO_USAGE_WARNING] if depth == 0 else []))
        answer: str | None = None
        for index, (line, where, entry) in enumerate(entries, start=1):
            found = self.iteration(_Check(line), entry, index, node, depth, root_model, where)
            if found is not None:
                answer = found
        if answer is None and answer_hint:
            answer = answer_hint
        done = any(e.kind == "final_answer" and e.parent_id == node for e in self.events)
        limit = meta.get("max_iterations")
        ran_out = isinstance(limit, int) and len(entries) >= limit
        status: RunStatus = "completed" if done else "limit_hit" if ran_out else "interrupted"
        if depth > 0 and answer is not None:
            status = "completed"
        self.emit(RunFinished(node_id=node, parent_id=parent_id, status=status, answer=answer))
        return node, answer

    def iteration(self, check: _Check, entry: dict[str, Any], index: int, run_node: str, depth: int,
                  model: str, where: str) -> str | None:
        prompt = entry.get("prompt")
        response = check.need(entry, "response", (str,), where)
        blocks = check.need(entry, "code_blocks", (list,), where)
        seconds = check.need(entry, "iteration_time", (int, float), where, optional=True) or 0.0
        end = _ts(entry.get("timestamp"), self.t + seconds)
        start = max(self.t, end - seconds)
        it = self.node_id()
        self.emit(IterationStarted(node_id=it, parent_id=run_node, index=index), start)
        if isinstance(prompt, list):
            messages = [m if isinstance(m, dict) else {"role": "user", "content": _text(m)} for m in prompt]
        else:
            messages = [{"role": "user", "content": _text(prompt)}]
        call = self.node_id()
        self.emit(ModelCallStarted(node_id=call, parent_id=it, model=model, messages=messages, iteration=index))
        code_seconds = sum(_number((b.get("result") or {}).get("execution_time")) for b in blocks
                           if isinstance(b, dict) and isinstance(b.get("result"), dict))
        model_seconds = max(0.0, seconds - code_seconds)
        self.emit(ModelCallFinished(node_id=call, parent_id=it, model=model, response=response, cost_usd=None,
                                    latency_ms=model_seconds * 1000.0), start + model_seconds)
        answer: tuple[str, FinalVia, str | None, str | None] | None = None   # (value, via, var, cell)
        for number, block in enumerate(blocks, start=1):
            found = self.block(check, block, number, it, index, depth, f"{where}.code_blocks[{number - 1}]")
            if found is not None and answer is None:
                answer = (found[0], _code_final_via(block, messages), None, found[1])
        if answer is None and entry.get("final_answer") is not None:
            answer = _old_final(entry["final_answer"], response)
        if answer is not None:
            value, via, var, cell = answer
            self.emit(FinalAnswer(node_id=self.node_id(), parent_id=run_node, answer=value, via=via,
                                  source="code" if cell else "text", var_name=var, cell_id=cell))
        self.emit(IterationFinished(node_id=it, parent_id=run_node, index=index, code_blocks=len(blocks),
                                    duration_ms=seconds * 1000.0, ended_run=answer is not None), end)
        return answer[0] if answer else None

    def block(self, check: _Check, block: Any, number: int, it: str, iteration: int, depth: int,
              where: str) -> tuple[str, str] | None:
        code = check.need(block, "code", (str,), where)
        result = check.need(block, "result", (dict,), where)
        stdout = check.need(result, "stdout", (str,), where + ".result", optional=True) or ""
        stderr = check.need(result, "stderr", (str,), where + ".result", optional=True) or ""
        seconds = check.need(result, "execution_time", (int, float), where + ".result", optional=True) or 0.0
        calls = check.need(result, "rlm_calls", (list,), where + ".result", optional=True) or []
        start = self.t
        cell = self.node_id()
        self.emit(CellStarted(node_id=cell, parent_id=it, iteration=iteration, index=number, code=code))
        for k, call in enumerate(calls):
            self.call(check, call, cell, depth, f"{where}.result.rlm_calls[{k}]")
        error = None
        if stderr.strip():
            found = list(_ERROR_LINE.finditer(stderr))
            error = ({"type": found[-1].group(1), "message": found[-1].group(2), "traceback": stderr}
                     if found else {"type": "Error", "message": stderr.strip().splitlines()[-1], "traceback": stderr})
        final_value = result.get("final_answer")
        final = {"value": _text(final_value), "source": "code", "var": None} if final_value is not None else None
        variables = [{"name": k, "type": type(v).__name__} for k, v in (result.get("locals") or {}).items()
                     if not k.startswith("_")] if isinstance(result.get("locals"), dict) else []
        self.emit(CellFinished(node_id=cell, parent_id=it, stdout=stdout, stderr=stderr, stdout_chars=len(stdout),
                               stderr_chars=len(stderr), error=error, duration_ms=seconds * 1000.0,
                               variables=variables, final=final), start + seconds)
        return (_text(final_value), cell) if final_value is not None else None

    def call(self, check: _Check, call: Any, cell: str, depth: int, where: str) -> None:
        response = _text(check.need(call, "response", (str,), where, optional=True))
        model = _text(call.get("root_model") or "")
        prompt = _text(call.get("prompt"))
        seconds = check.need(call, "execution_time", (int, float), where, optional=True) or 0.0
        metadata = call.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("iterations"), list):
            start = self.t
            entries = []
            for k, entry in enumerate(metadata["iterations"]):
                place = f"{where}.metadata.iterations[{k}]"
                if not isinstance(entry, dict):
                    raise _Bad(check.line, place, "expected an object")
                entries.append((check.line, place, entry))
            first_event = len(self.events)
            self.run(metadata.get("run_metadata"), entries, depth=depth + 1, parent_id=cell,
                     question=prompt, model=model, answer_hint=response or None)
            self._child_usage(self.events[first_event:], *_usage(call))
            self.t = max(self.t, start + seconds)
            return
        usage, cost = _usage(call)
        sub = self.node_id()
        self.emit(SubcallStarted(node_id=sub, parent_id=cell, model=model, prompt=prompt, via="llm_query"))
        error = call.get("error")
        self.emit(SubcallFinished(node_id=sub, parent_id=cell, model=model, response=response, usage=usage,
                                  cost_usd=cost, latency_ms=seconds * 1000.0,
                                  error={"kind": "error", "message": _text(error)} if error else None),
                  self.t + seconds)


    @staticmethod
    def _child_usage(events: list[Event], usage: dict[str, Any], cost: float | None) -> None:
        """The log gives a child RLM's usage only in total: record it on the child's run_finished, and
        when the child made a single root model call, the rest after its sub-calls is that call's."""
        run_started, run_finished = events[0], events[-1]
        assert isinstance(run_finished, RunFinished)  # run() ends the child's events with its run_finished
        run_finished.totals = {**usage, "cost_usd": cost}
        own = [e for e in events if isinstance(e, ModelCallFinished)]
        subcalls = [e for e in events if isinstance(e, SubcallFinished)]
        inner_children = [e for e in events if isinstance(e, RunStarted) and e is not run_started]
        if len(own) == 1 and not inner_children and usage:
            rest_in = usage.get("input_tokens", 0) - sum(int(e.usage.get("input_tokens") or 0) for e in subcalls)
            rest_out = usage.get("output_tokens", 0) - sum(int(e.usage.get("output_tokens") or 0) for e in subcalls)
            if rest_in >= 0 and rest_out >= 0:
                own[0].usage = {"input_tokens": rest_in, "output_tokens": rest_out}


def _usage(call: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
    summary = call.get("usage_summary")
    if isinstance(summary, dict):
        per_model = [m for m in (summary.get("model_usage_summaries") or {}).values() if isinstance(m, dict)]
        inp = sum(int(m.get("total_input_tokens") or 0) for m in per_model)
        out = sum(int(m.get("total_output_tokens") or 0) for m in per_model)
        costs: list[Any] = [m.get("total_cost") for m in per_model if m.get("total_cost") is not None]
        cost = summary.get("total_cost", sum(costs) if costs else None)
        return {"input_tokens": inp, "output_tokens": out}, cost
    if "prompt_tokens" in call or "completion_tokens" in call:   # the oldest logs
        return {"input_tokens": int(call.get("prompt_tokens") or 0),
                "output_tokens": int(call.get("completion_tokens") or 0)}, None
    return {}, None


def _question(messages: list[Any]) -> str:
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "user":
            found = _QUESTION.search(_text(message.get("content")))
            if found:
                return found.group(1).strip()
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "user":
            return _text(message.get("content"))
    return ""


_READY = re.compile(r"""answer\[\s*["']ready["']\s*\]""")


def answer_protocol_of(system_prompt: str) -> str:
    """How the logged run was told to end: the newer answer dict, DSPy's SUBMIT, or FINAL/FINAL_VAR."""
    if _READY.search(system_prompt or ""):
        return "answer-dict"
    return "submit" if "SUBMIT(" in (system_prompt or "") else "final"


def _code_final_via(block: Any, messages: list[Any]) -> FinalVia:
    """How a code block's `final_answer` was given: answer["ready"] (newer rlms), SUBMIT, or FINAL."""
    code = block.get("code", "") if isinstance(block, dict) else ""
    system = next((str(m.get("content", "")) for m in messages if isinstance(m, dict) and m.get("role") == "system"),
                  "")
    if "SUBMIT(" in code:
        return "SUBMIT"
    if _READY.search(code) or answer_protocol_of(system) == "answer-dict":
        return "answer"
    return "FINAL"


def _old_final(value: Any, response: str) -> tuple[str, FinalVia, str | None, None]:
    """An older log's iteration `final_answer`: the answer, and whether FINAL or FINAL_VAR gave it."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        kind, answer = _text(value[0]), _text(value[1])
        return answer, ("FINAL_VAR" if "VAR" in kind.upper() else "FINAL"), None, None
    var = _FINAL_VAR.search(response)
    if var:
        return _text(value), "FINAL_VAR", var.group(1).strip().strip("\"'"), None
    return _text(value), "FINAL", None, None


def convert_log(path: Path, rows: list[tuple[int, Any]], fail: Callable[[int | None, str], Exception]) -> list[dict[str, Any]]:
    """Every run of the log (a log holds several when `completion()` was called more than once)."""
    runs: list[tuple[bool, dict[str, Any] | None, list[tuple[int, dict[str, Any]]]]] = []
    meta: dict[str, Any] | None = None
    current: list[tuple[int, dict[str, Any]]] | None = None
    last_number = 0
    for line, data in rows:
        if not isinstance(data, dict):
            raise fail(line, f"expected a JSON object, not {type(data).__name__}")
        kind = data.get("type", "iteration")
        if kind == "metadata":
            meta, current = data, None
            continue
        if kind != "iteration":
            raise fail(line, f"unknown entry type {kind!r}")
        number = data.get("iteration")
        if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
            raise fail(line, f"'iteration' must be int, not {type(number).__name__}")
        if current is None or (number is not None and number <= last_number):
            current = []
            first_after_meta = not runs or runs[-1][1] is not meta
            runs.append((first_after_meta, meta, current))
        last_number = number if number is not None else last_number + 1
        current.append((line, data))
    if not runs:
        raise fail(None, "the log has metadata but no iterations")
    converted = []
    for first_after_meta, run_meta, entries in runs:
        first = entries[0][1]
        t0 = _ts(first.get("timestamp"), 0.0) - _number(first.get("iteration_time"))
        if first_after_meta and run_meta is not None:   # the metadata line was written when the run began
            t0 = _ts(run_meta.get("timestamp"), 0.0) or t0
        converter = _Converter(new_run_id(), t0 if t0 > 0 else path.stat().st_mtime)
        try:
            converter.run(run_meta, [(entry_line, "", entry) for entry_line, entry in entries], depth=0,
                          parent_id=None, question=None, model=None, answer_hint=None)
        except _Bad as exc:
            raise fail(exc.line, exc.reason) from None
        converted.append({"run_id": converter.run_id, "events": converter.events, "run": {}, "finished": True,
                          "source": SOURCE})
    return converted


"""A scripted teacher RLM: given the engine's messages for one task, it writes the next root response.

Policy (the paper's pattern at the size a 135M model can carry out): turn 1 names the key(s) from the
question and writes one fixed cell: `context` (str, list or dict) is split into lines and sentences, the ones
that match a case- and separator-tolerant regex of the key are kept, the sub-model is asked about each with
`llm_query_batched`, and keeps the values in the variable `answer`; turn 2 ends with
FINAL_VAR(answer). The root model never has to read the haystack, and the sub-model reads one short line.
Counting: select the records that contain the term, keep how many in `answer`; turn 2, FINAL_VAR(answer).
The code depends only on the question, never on the hidden answer, so the student can learn it.
`SubTeacher` answers the sub-calls as the trained sub-model should: the value the line gives for the key,
or `none`.
"""

from __future__ import annotations

import json
import re
import time

from rlm_studio.models.types import (
    Message,
    ModelResponse,
    StreamCallback,
    Usage,
    estimate_message_tokens,
    estimate_tokens,
)

from .tasks import Task

TEXT_LINE = ('text = context if isinstance(context, str) else "\\n".join('
             'context.values() if isinstance(context, dict) else context)')
SUB_PROMPT = 'f"{line}\\n\\nQuestion: {question}\\nReply with the answer for {key} only, or none."'
_SUB_RE = re.compile(r"\A(?P<line>.*)\n\nQuestion: (?P<question>.*)\nReply with the answer for (?P<key>.*) only, or "
                     r"none\.\Z", re.S)


def search_code(keys: list[str], question: str) -> str:
    return "\n".join([
        "import re",
        f"question = {json.dumps(question)}",
        f"keys = {json.dumps(keys)}",
        TEXT_LINE,
        "found = {}",
        "for key in keys:",
        '    pattern = r"[\\s_-]*".join(re.escape(w) for w in re.split(r"[\\s_-]+", key))',
        '    lines = [line[:300] for line in re.split(r"\\n|(?<=\\. )", text) if re.search(pattern, line, re.I)][:6]',
        '    print(f"{key}: {len(lines)} matching lines")',
        "    for line in lines:",
        "        print(line)",
        f"    prompts = [{SUB_PROMPT} for line in lines]",
        '    values = [r.strip() for r in llm_query_batched(prompts) if r.strip().lower() not in ("", "none")]',
        '    found[key] = ", ".join(dict.fromkeys(values)) or "not found"',
        'answer = found[keys[0]] if len(keys) == 1 else "; ".join(f"{k}: {v}" for k, v in found.items())',
        'print("answer:", answer)',
    ])


def count_code(term: str) -> str:
    return "\n".join([
        f"term = {json.dumps(term)}",
        TEXT_LINE,
        "rows = [line for line in text.splitlines() if term.lower() in line.lower()]",
        "answer = len(rows)",
        'print(answer, "matching lines, for example:")',
        "for row in rows[:3]:",
        "    print(row[:200])",
    ])


def _quote_list(keys: list[str]) -> str:
    quoted = [f'"{k}"' for k in keys]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def first_response(task: Task) -> str:
    if task.family == "count":
        return (f"I will count the lines of `context` that mention \"{task.term}\".\n"
                f"```repl\n{count_code(task.term)}\n```")
    return (f"I will search `context` for {_quote_list(task.keys)} and ask the sub-model about each matching line.\n"
            f"```repl\n{search_code(task.keys, task.question)}\n```")


def final_response(task: Task, feedback: str) -> str | None:
    """The answering turn, or None when the printed output does not show a usable answer."""
    output = feedback.split("Output of repl block 1:\n", 1)[-1]
    if task.family == "count":
        first = output.split(" ", 1)[0]
        if first != task.answers[0]:
            return None
        return f"{first} lines mention {task.term}.\nFINAL_VAR(answer)"
    match = re.search(r"^answer: (.*)$", output, re.M)
    if match is None or task.score(match.group(1)) != 1.0:
        return None
    return "The sub-model read the matching lines; `answer` holds what they give.\nFINAL_VAR(answer)"


def key_values(task: Task) -> dict[str, list[str]]:
    """Which expected values belong to which asked key (multi-query asks one value per key)."""
    if task.family == "multiquery":
        return {k.lower(): [v] for k, v in zip(task.keys, task.answers)}
    return {task.keys[0].lower(): list(task.answers)}


def sub_reply(task: Task, prompt: str) -> str:
    """What the line in a sub-call prompt gives for its key: the task's value found in it, else `none`."""
    match = _SUB_RE.match(prompt)
    if match is None:
        return "none"
    line = match.group("line")
    values = [v for v in key_values(task).get(match.group("key").lower(), []) if v in line]
    return ", ".join(values) if values else "none"


class _Scripted:
    is_local = True
    prompt_name = "bundled"  # trajectories are recorded with the prompt the bundled model will run with

    def __init__(self, task: Task, *, name: str, context_window: int = 8192):
        self.task = task
        self.name = name
        self.context_window = context_window
        self.failed = False

    def count_tokens(self, messages: list[Message]) -> int:
        return estimate_message_tokens(messages)

    def respond(self, messages: list[Message]) -> str:
        raise NotImplementedError

    async def complete(self, messages: list[Message], *, stream: StreamCallback | None = None,
                       timeout: float | None = None) -> ModelResponse:
        started = time.perf_counter()
        content = self.respond(messages)
        usage = Usage(input_tokens=estimate_message_tokens(messages), output_tokens=estimate_tokens(content),
                      estimated=True)
        return ModelResponse(content=content, usage=usage, cost_usd=0.0, model=self.name, finish_reason="stop",
                             latency_ms=(time.perf_counter() - started) * 1000.0)


class TeacherModel(_Scripted):
    """The root role for one task: turn 1 searches and asks the sub-model, turn 2 answers from `answer`."""

    def __init__(self, task: Task, *, name: str = "teacher", context_window: int = 8192):
        super().__init__(task, name=name, context_window=context_window)

    def respond(self, messages: list[Message]) -> str:
        turns = sum(1 for m in messages if m["role"] == "assistant")
        if turns == 0:
            return first_response(self.task)
        answer = final_response(self.task, messages[-1]["content"]) if turns == 1 else None
        if answer is None:
            self.failed = True
            return "FINAL(not found)"
        return answer


class SubTeacher(_Scripted):
    """The sub-model role for one task: reads the one line of a sub-call and gives its value, or `none`."""

    def __init__(self, task: Task, *, name: str = "teacher-sub", context_window: int = 8192):
        super().__init__(task, name=name, context_window=context_window)

    def respond(self, messages: list[Message]) -> str:
        return sub_reply(self.task, messages[-1]["content"])

"""A scripted teacher RLM: given the engine's messages for one task, it writes the next root response.

Policy: name the key(s) from the question, search `context` for them with a separator- and case-tolerant
regex, print a short window around each hit; next turn, quote the line that answers and give FINAL(...).
Counting: select the records that contain the term, print how many; next turn, FINAL(count).
The code it writes depends only on the question, never on the hidden answer, so the student can learn it.
"""

from __future__ import annotations

import json
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


def search_code(keys: list[str]) -> str:
    return "\n".join([
        "import re",
        f"keys = {json.dumps(keys)}",
        TEXT_LINE,
        "for key in keys:",
        '    pattern = r"[\\s_-]*".join(re.escape(w) for w in re.split(r"[\\s_-]+", key))',
        "    hits = [m.start() for m in re.finditer(pattern, text, re.I)]",
        '    print(f"{key}: {len(hits)} hits")',
        "    for i in hits[:6]:",
        '        print("...", text[max(0, i - 100):i + 200].replace("\\n", " "), "...")',
    ])


def count_code(term: str) -> str:
    return "\n".join([
        f"term = {json.dumps(term)}",
        TEXT_LINE,
        "rows = [line for line in text.splitlines() if term.lower() in line.lower()]",
        'print(len(rows), "matching lines, for example:")',
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
    return (f"I will search `context` for {_quote_list(task.keys)} and print the text around each match.\n"
            f"```repl\n{search_code(task.keys)}\n```")


def final_response(task: Task, feedback: str) -> str | None:
    """The answering turn, or None when the printed output does not contain what is needed."""
    if task.family == "count":
        first = feedback.split("Output of repl block 1:\n", 1)[-1].split(" ", 1)[0]
        if first != task.answers[0]:
            return None
        return f"{first} lines mention {task.term}.\nFINAL({first})"
    flat = " ".join(feedback.split())
    if not all(" ".join(line.split()) in flat for line in task.needle_lines):
        return None
    quotes = "\n".join(f'"{line.strip()}"' for line in task.needle_lines)
    if task.family == "multiquery":
        answer = "; ".join(f"{k}: {v}" for k, v in zip(task.keys, task.answers))
    else:
        answer = ", ".join(task.answers)
    return f"The output shows:\n{quotes}\nFINAL({answer})"


class TeacherModel:
    """A ModelClient for one task: turn 1 searches, turn 2 answers from what the REPL printed."""

    is_local = True
    prompt_name = "bundled"  # trajectories are recorded with the prompt the bundled model will run with

    def __init__(self, task: Task, *, name: str = "teacher", context_window: int = 8192):
        self.task = task
        self.name = name
        self.context_window = context_window
        self.failed = False

    def count_tokens(self, messages: list[Message]) -> int:
        return estimate_message_tokens(messages)

    def respond(self, messages: list[Message]) -> str:
        turns = sum(1 for m in messages if m["role"] == "assistant")
        if turns == 0:
            return first_response(self.task)
        answer = final_response(self.task, messages[-1]["content"]) if turns == 1 else None
        if answer is None:
            self.failed = True
            return "FINAL(not found)"
        return answer

    async def complete(self, messages: list[Message], *, stream: StreamCallback | None = None,
                       timeout: float | None = None) -> ModelResponse:
        started = time.perf_counter()
        content = self.respond(messages)
        usage = Usage(input_tokens=estimate_message_tokens(messages), output_tokens=estimate_tokens(content),
                      estimated=True)
        return ModelResponse(content=content, usage=usage, cost_usd=0.0, model=self.name, finish_reason="stop",
                             latency_ms=(time.perf_counter() - started) * 1000.0)

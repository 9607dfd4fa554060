"""A bench task: a context, a question, the reference answer(s) and how to score an answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Context = str | list[str] | dict[str, str]


@dataclass
class Task:
    id: str                      # unique within a suite, stable for a seed: "sniah-8k-0003"
    family: str                  # "sniah", "oolong", "oolong-pairs", "browsecomp", "codeqa"
    size_tokens: int             # the context's size in tokens (o200k tokenizer)
    context: Context
    question: str
    answers: list[str]           # the reference answer(s); the scorer says how they are used
    scorer: str = "exact"        # a name in scorers.SCORERS
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def answer(self) -> str:
        return self.answers[0] if self.answers else ""

    def context_chars(self) -> int:
        if isinstance(self.context, str):
            return len(self.context)
        parts = self.context.values() if isinstance(self.context, dict) else self.context
        return sum(len(p) for p in parts)

    def context_text(self) -> str:
        """The context as one text (for methods that put it in a prompt)."""
        if isinstance(self.context, str):
            return self.context
        if isinstance(self.context, dict):
            return "\n\n".join(f"### {name}\n{text}" for name, text in self.context.items())
        return "\n\n".join(self.context)


def score(task: Task, answer: str | None) -> float:
    """The task's score for `answer` in [0, 1] (None, a run that gave no answer, scores 0)."""
    from .scorers import score_answer

    return score_answer(task.scorer, answer, task.answers)

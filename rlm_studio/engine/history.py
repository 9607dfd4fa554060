"""The root model's conversation, kept as turns so old ones can be compacted to fit its window.

The conversation is append-only between compactions, which is what providers' prompt caches reuse:
each call's messages start with the previous call's. A compaction rewrites everything after the first
user message, so it folds down to well under the budget (`COMPACTION_TARGET`), not just under it: the
next several iterations append again instead of each one folding one more turn and missing the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rlm_studio.models.types import Message

from .parsing import extract_repl_blocks

#: a compaction folds the history down to this share of its token budget
COMPACTION_TARGET = 0.6


@dataclass
class Turn:
    iteration: int
    response: str      # the root model's response (assistant)
    feedback: str      # what the REPL said back (user)


@dataclass
class History:
    system: str
    first_user: str
    turns: list[Turn] = field(default_factory=list)
    compacted: list[Turn] = field(default_factory=list)
    summary: str | None = None

    def messages(self) -> list[Message]:
        msgs: list[Message] = [{"role": "system", "content": self.system},
                               {"role": "user", "content": self.first_user}]
        if self.summary:
            msgs.append({"role": "assistant", "content": "(earlier iterations, compacted)"})
            msgs.append({"role": "user", "content": self.summary})
        for turn in self.turns:
            msgs.append({"role": "assistant", "content": turn.response})
            msgs.append({"role": "user", "content": turn.feedback})
        return msgs

    def all_messages(self) -> list[Message]:
        """Every message ever sent, compacted ones included: what the REPL exposes as `history`."""
        msgs: list[Message] = [{"role": "system", "content": self.system},
                               {"role": "user", "content": self.first_user}]
        for turn in self.compacted + self.turns:
            msgs.append({"role": "assistant", "content": turn.response})
            msgs.append({"role": "user", "content": turn.feedback})
        return msgs

    def compact(self, count_tokens: Callable[[list[Message]], int], budget_tokens: int,
                target_tokens: int | None = None) -> list[int]:
        """Fold the oldest turns into a summary when the prompt is over `budget_tokens`, down to
        `target_tokens` (default: COMPACTION_TARGET of the budget); return the iterations folded."""
        if count_tokens(self.messages()) <= budget_tokens:
            return []
        target = int(budget_tokens * COMPACTION_TARGET) if target_tokens is None else min(target_tokens,
                                                                                           budget_tokens)
        folded: list[int] = []
        while self.turns and count_tokens(self.messages()) > target:
            turn = self.turns.pop(0)
            self.compacted.append(turn)
            folded.append(turn.iteration)
            self.summary = _summarise(self.compacted)
        if count_tokens(self.messages()) > target and self.summary:
            self.summary = _summarise(self.compacted, per_turn_chars=60)
        return folded


def shared_prefix_messages(before: list[Message], after: list[Message]) -> int:
    """How many leading messages two successive calls share (what a prompt cache can reuse)."""
    shared = 0
    for a, b in zip(before, after):
        if a != b:
            break
        shared += 1
    return shared


def _summarise(turns: list[Turn], per_turn_chars: int = 200) -> str:
    lines = [f"To fit your context window, iterations {turns[0].iteration}-{turns[-1].iteration} were "
             "compacted. Their full messages are in the REPL variable `history` (a list of "
             "{'role', 'content'} dicts). Variables you made then still exist. Summary:"]
    for turn in turns:
        blocks = extract_repl_blocks(turn.response)
        first_code = blocks[0].strip().splitlines()[0] if blocks and blocks[0].strip() else "(no code)"
        out = " ".join(turn.feedback.split())[:per_turn_chars]
        lines.append(f"- iteration {turn.iteration}: {len(blocks)} block(s), first line `{first_code[:100]}`; "
                     f"output: {out}")
    return "\n".join(lines)

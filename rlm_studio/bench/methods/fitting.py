"""Cutting text to a model's window, measured with the model's own token counter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Count = Callable[[str], Awaitable[int]]


def cut_middle(text: str, keep_chars: int) -> str:
    """Keep the start and the end, drop the middle (as LongBench truncates)."""
    if keep_chars >= len(text):
        return text
    half = max(0, keep_chars // 2)
    return text[:half] + "\n[...]\n" + text[len(text) - (keep_chars - half):]


async def fit_text(text: str, budget: int, count: Count, *, cut: Callable[[str, int], str] = cut_middle,
                   rounds: int = 8) -> tuple[str, int]:
    """The longest cut of `text` whose prompt (via `count`) fits `budget` tokens; (text, tokens)."""
    if len(text) > budget * 6:  # far too long: a first cut by characters spares counting it all
        text = cut(text, budget * 6)
    tokens = await count(text)
    if tokens <= budget:
        return text, tokens
    keep = len(text)
    best: tuple[str, int] | None = None
    for _ in range(rounds):
        keep = max(0, int(keep * budget / max(tokens, 1) * 0.97))
        candidate = cut(text, keep)
        tokens = await count(candidate)
        if tokens <= budget:
            best = (candidate, tokens)
            break
    if best is None:
        candidate = cut(text, 0)
        best = (candidate, await count(candidate))
    return best

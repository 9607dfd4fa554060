"""Task families: each module has `generate(n_tasks, size_tokens, seed, ...) -> list[Task]`."""

from __future__ import annotations

from collections.abc import Callable

from ..task import Task


def generator_for(family: str) -> Callable[..., list[Task]]:
    """`gen(n_tasks, size_tokens, seed, **options)` for a family other than sniah."""
    raise ValueError(f"no generator for task family {family!r}")


"""Task families: each module has `generate(n_tasks, size_tokens, seed, ...) -> list[Task]`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ..task import Task

MODULES = {"oolong": "oolong", "oolong-pairs": "oolong_pairs", "browsecomp": "browsecomp", "codeqa": "codeqa"}


def generator_for(family: str) -> Callable[..., list[Task]]:
    """`gen(n_tasks, size_tokens, seed, **options)` for a family other than sniah."""
    if family not in MODULES:
        raise ValueError(f"no generator for task family {family!r}")
    module = importlib.import_module(f"{__name__}.{MODULES[family]}")

    def gen(n: int, size: int, seed: int, **options: Any) -> list[Task]:
        if family == "codeqa":
            return list(module.generate(n, size, seed, code_root=options.get("code_root")))
        return list(module.generate(n, size, seed))

    return gen

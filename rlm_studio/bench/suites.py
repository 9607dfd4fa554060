"""Suites: which task families a `bench run SUITE` builds, at which sizes, from generators or --data files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .task import Task

# family -> (default sizes, what it is)
FAMILIES: dict[str, tuple[list[int], str]] = {
    "sniah": ([2 ** k for k in range(13, 19)], "RULER niah_single: one needle in a repeated-sentence haystack"),
    "sniah-multikey": ([2 ** k for k in range(13, 19)], "RULER niah_multikey_1: the needle among 3 other keys"),
    "sniah-multivalue": ([2 ** k for k in range(13, 19)], "RULER niah_multivalue: all 4 values of one key"),
    "oolong": ([2 ** 17], "OOLONG trec_coarse-style label-then-aggregate (generated stand-in, not the released data)"),
    "oolong-pairs": ([2 ** 15], "OOLONG-Pairs-style: the paper's 20 pairwise queries over generated entries"),
    "browsecomp": ([2 ** 17], "BrowseComp-Plus-style 2-3 hop questions over generated documents (stand-in)"),
    "codeqa": ([2 ** 17], "LongBench-v2 CodeQA-style multiple choice over a real code base (the stdlib by default)"),
}
# what a generated family is not: said before a bench with it starts
STAND_INS = {
    "oolong": "an OOLONG-style stand-in generated from templates, not the released OOLONG data (use --data for that)",
    "oolong-pairs": "an OOLONG-Pairs-style stand-in over generated entries, not the released data",
    "browsecomp": "a BrowseComp-Plus-style stand-in over generated documents, not the released corpus",
    "codeqa": "LongBench-v2 CodeQA-style, with questions computed from the code rather than the released ones",
}
SUITES: dict[str, list[str]] = {
    "paper": ["sniah", "oolong", "oolong-pairs", "browsecomp", "codeqa"],
    "sniah-all": ["sniah", "sniah-multikey", "sniah-multivalue"],
}


def families_of(suite: str) -> list[str]:
    """'paper', one family, or a comma-separated list of families."""
    names: list[str] = []
    for part in (p.strip() for p in suite.split(",")):
        if not part:
            continue
        if part in SUITES:
            names.extend(SUITES[part])
        elif part in FAMILIES:
            names.append(part)
        else:
            known = ", ".join(sorted(FAMILIES) + sorted(SUITES))
            raise ValueError(f"unknown suite or task family {part!r} (known: {known})")
    if not names:
        raise ValueError("no suite given")
    return list(dict.fromkeys(names))


def _generator(family: str) -> Callable[..., list[Task]]:
    if family.startswith("sniah"):
        from .tasks import sniah

        variant = "single" if family == "sniah" else family.split("-", 1)[1]

        def gen(n: int, size: int, seed: int, **options: Any) -> list[Task]:
            return list(sniah.generate(n, size, seed, variant=variant))
        return gen
    from .tasks import generator_for

    return generator_for(family)


def build_tasks(family: str, sizes: list[int] | None, n_tasks: int, seed: int, *, data: str | None = None,
                options: dict[str, Any] | None = None) -> list[Task]:
    """The family's tasks: generated (n per size) or, with `data`, read from the released files."""
    if family not in FAMILIES:
        raise ValueError(f"unknown task family {family!r}")
    if data:
        from .loaders import load_family

        return load_family(family, data, n_tasks=n_tasks, sizes=sizes)
    if n_tasks < 1:
        raise ValueError("--tasks must be at least 1")
    gen = _generator(family)
    tasks: list[Task] = []
    for size in sizes or FAMILIES[family][0]:
        tasks.extend(gen(n_tasks, size, seed, **(options or {})))
    return tasks

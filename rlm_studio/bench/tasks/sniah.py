"""S-NIAH: RULER's niah_single (repeated-sentence haystack), plus its multi-key and multi-value variants.

As RULER builds it: the haystack repeats "The grass is green. ..." one sentence group a line; the
needle is "One of the special magic numbers for {key} is: {value}." with an adjective-noun key
(the `wonderwords` lists RULER uses) and a 7-digit value, inserted at one of 40 depths (0..100%).
The context is sized in tokens (o200k) by computing from the repeated unit, then verified.
Scored by RULER's string_match_all: the share of expected values found in the answer.
"""

from __future__ import annotations

import functools
import random
from importlib import resources
from typing import Any

from ..task import Task
from ..tokens import count_tokens, format_size

HAYSTACK = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."
NEEDLE = "One of the special magic numbers for {key} is: {value}."
QUESTION_ONE = "What is the special magic number for {key} mentioned in the provided text?"
QUESTION_ALL = "What are all the special magic numbers for {key} mentioned in the provided text?"
DEPTHS = [round(i * 100 / 39) for i in range(40)]  # RULER: np.round(np.linspace(0, 100, 40))
VARIANTS = ("single", "multikey", "multivalue")
NEEDLES_PER_VARIANT = {"single": 1, "multikey": 4, "multivalue": 4}   # RULER niah_multikey_1 / niah_multivalue


def family_of(variant: str) -> str:
    return "sniah" if variant == "single" else f"sniah-{variant}"


@functools.lru_cache(maxsize=1)
def _words() -> tuple[list[str], list[str]]:
    assets = resources.files("wonderwords") / "assets"

    def read(name: str) -> list[str]:
        text = (assets / name).read_text(encoding="utf-8")
        return sorted({w.strip() for w in text.splitlines() if w.strip().isascii() and w.strip().isalpha()})

    return read("adjectivelist.txt"), read("nounlist.txt")


@functools.lru_cache(maxsize=1)
def _unit_tokens() -> int:
    """Tokens one more haystack line adds (measured on two lines, so the joining newline is counted)."""
    line = HAYSTACK + "\n"
    return count_tokens(line * 3) - count_tokens(line * 2)


def _key(rng: random.Random, taken: set[str]) -> str:
    adjectives, nouns = _words()
    while True:
        key = f"{rng.choice(adjectives)}-{rng.choice(nouns)}"
        if key not in taken:
            taken.add(key)
            return key


def _value(rng: random.Random, taken: set[str]) -> str:
    while True:
        value = str(rng.randint(1_000_000, 9_999_999))
        if value not in taken:
            taken.add(value)
            return value


def build_haystack(size_tokens: int, needles: list[str], depth: int, rng: random.Random) -> tuple[str, int]:
    """The context with `needles` inserted around `depth` percent, as close to `size_tokens` as fits; (text, tokens)."""
    needle_tokens = sum(count_tokens(n + "\n") for n in needles)
    lines = max(1, (size_tokens - needle_tokens) // _unit_tokens())
    while True:
        text = _assemble(lines, needles, depth, rng.getstate())
        tokens = count_tokens(text)
        if tokens <= size_tokens or lines == 1:
            return text, tokens
        lines -= max(1, (tokens - size_tokens) // _unit_tokens())


def _assemble(lines: int, needles: list[str], depth: int, state: tuple[Any, ...]) -> str:
    rng = random.Random()
    rng.setstate(state)
    sentences = [HAYSTACK] * lines
    at = round(depth / 100 * lines)
    # the first needle at the task's depth; further ones (multi-key / multi-value) at random other places
    places = [at] + [rng.randint(0, lines) for _ in needles[1:]]
    order = list(zip(places, needles))
    for place, needle in sorted(order, key=lambda pn: pn[0], reverse=True):
        sentences.insert(place, needle)
    return "\n".join(sentences)


def generate(n_tasks: int, size_tokens: int, seed: int = 0, variant: str = "single") -> list[Task]:
    """`n_tasks` needle tasks of `size_tokens` context tokens; the same seed gives the same tasks."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown S-NIAH variant {variant!r} ({', '.join(VARIANTS)})")
    if size_tokens < 64:
        raise ValueError("an S-NIAH context needs at least 64 tokens")
    family = family_of(variant)
    tasks = []
    for i in range(n_tasks):
        rng = random.Random(f"sniah:{variant}:{size_tokens}:{seed}:{i}")
        keys: set[str] = set()
        values: set[str] = set()
        # spread over all 40 depths whatever the task count (a few tasks used to sit near the top only)
        depth = DEPTHS[(i * len(DEPTHS) // n_tasks + seed) % len(DEPTHS)]
        key = _key(rng, keys)
        if variant == "multivalue":
            answers = [_value(rng, values) for _ in range(NEEDLES_PER_VARIANT[variant])]
            needles = [NEEDLE.format(key=key, value=v) for v in answers]
            question = QUESTION_ALL.format(key=key)
        else:
            answers = [_value(rng, values)]
            needles = [NEEDLE.format(key=key, value=answers[0])]
            for _ in range(NEEDLES_PER_VARIANT[variant] - 1):   # distractor needles with other keys
                needles.append(NEEDLE.format(key=_key(rng, keys), value=_value(rng, values)))
            question = QUESTION_ONE.format(key=key)
        context, tokens = build_haystack(size_tokens, needles, depth, rng)
        tasks.append(Task(
            id=f"{family}-{format_size(size_tokens)}-{i:04d}", family=family, size_tokens=tokens,
            context=context, question=question, answers=answers, scorer="string_match_all",
            meta={"key": key, "depth": depth, "variant": variant, "target_tokens": size_tokens,
                  "needles": len(needles), "seed": seed}))
    return tasks

"""Scorers: an answer and the reference(s) in, a score in [0, 1] out. Each matches its benchmark's rule."""

from __future__ import annotations

import re
import string
from collections.abc import Callable

Scorer = Callable[[str, list[str]], float]

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize(text: str) -> str:
    """SQuAD-style: lower case, no punctuation, no articles, single spaces."""
    text = text.lower().translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _strip_answer_prefix(text: str) -> str:
    match = re.search(r"(?:final answer|answer|label)\s*(?:is)?\s*[:\-]\s*(.+)", text, re.IGNORECASE | re.DOTALL)
    return match.group(1).strip() if match else text.strip()


def string_match_all(answer: str, references: list[str]) -> float:
    """RULER's niah metric: the share of references found in the answer (case-insensitive)."""
    if not references:
        return 0.0
    low = answer.lower()
    return sum(1.0 for ref in references if ref.lower() in low) / len(references)


def exact(answer: str, references: list[str]) -> float:
    """Normalised exact match against any reference (an 'Answer:' prefix is ignored)."""
    got = normalize(_strip_answer_prefix(answer))
    return 1.0 if any(got == normalize(ref) for ref in references) else 0.0


def _as_number(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", ""))
    except ValueError:
        return None


def oolong(answer: str, references: list[str]) -> float:
    """OOLONG: a numeric answer scores 0.75 ** |y - y_hat| (the last number in the answer); others exact match."""
    if not references:
        return 0.0
    expected = _as_number(references[0])
    if expected is None:
        return exact(answer, references)
    found = _NUMBER.findall(_strip_answer_prefix(answer).replace(",", ""))
    if not found:
        return 0.0
    return float(0.75 ** abs(float(found[-1]) - expected))


Pair = tuple[str, str]
_PAIR = re.compile(r"\(\s*([A-Za-z0-9_\-]+)\s*,\s*([A-Za-z0-9_\-]+)\s*\)")


def parse_pairs(text: str) -> set[Pair]:
    """Every '(a, b)' in the text as an unordered pair."""
    pairs: set[Pair] = set()
    for a, b in _PAIR.findall(text):
        if a != b:
            pairs.add((a, b) if a <= b else (b, a))
    return pairs


def pair_f1(answer: str, references: list[str]) -> float:
    """OOLONG-Pairs: F1 between the answer's pairs and the reference pairs (both empty: 1; one empty: 0)."""
    expected = parse_pairs(" ".join(references))
    got = parse_pairs(answer)
    return set_f1(got, expected)


def set_f1(got: set[Pair], expected: set[Pair]) -> float:
    if not got and not expected:
        return 1.0
    if not got or not expected:
        return 0.0
    hits = len(got & expected)
    if hits == 0:
        return 0.0
    precision, recall = hits / len(got), hits / len(expected)
    return 2 * precision * recall / (precision + recall)


_CHOICE_PATTERNS = (
    re.compile(r"correct answer is\s*:?\s*\(?([A-D])\)?", re.IGNORECASE),
    re.compile(r"answer\s*(?:is)?\s*:?\s*\(?([A-D])\)?(?![A-Za-z])", re.IGNORECASE),
    re.compile(r"^\s*\(?([A-D])\)?(?:[.):\s]|$)"),
    re.compile(r"\(([A-D])\)"),
)


def extract_choice(answer: str) -> str | None:
    """The letter A-D an answer picks ("The correct answer is (B)", "B", "(C) ...")."""
    for pattern in _CHOICE_PATTERNS:
        match = pattern.search(answer)
        if match:
            return match.group(1).upper()
    return None


def choice(answer: str, references: list[str]) -> float:
    """LongBench-v2: the picked letter equals the reference letter."""
    picked = extract_choice(answer)
    return 1.0 if picked is not None and references and picked == references[0].strip().upper() else 0.0


SCORERS: dict[str, Scorer] = {
    "string_match_all": string_match_all,
    "exact": exact,
    "oolong": oolong,
    "pair_f1": pair_f1,
    "choice": choice,
}


def score_answer(scorer: str, answer: str | None, references: list[str]) -> float:
    if scorer not in SCORERS:
        raise ValueError(f"unknown scorer {scorer!r} ({', '.join(SCORERS)})")
    if answer is None:
        return 0.0
    return max(0.0, min(1.0, SCORERS[scorer](str(answer), references)))

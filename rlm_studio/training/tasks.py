"""Generated tasks for training and evaluating the bundled RLM: needle retrieval (single, multi-key distractors,
multi-value, multi-query) and counting over records. Every task knows its answers and scores itself."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from . import needles as nd
from .haystacks import HaystackSource, filler, heldout_sources, split_at_line, training_sources

FAMILIES = ("single", "multikey", "multivalue", "multiquery", "count")


@dataclass
class Task:
    family: str
    question: str
    context: str | list[str] | dict[str, str]
    answers: list[str]              # every one must appear in the final answer
    keys: list[str] = field(default_factory=list)   # as the question names them
    needle_lines: list[str] = field(default_factory=list)
    term: str = ""                  # count family: the text a record must contain
    heldout: bool = False
    source: str = ""

    def score(self, answer: str | None) -> float:
        return score_answer(self.family, self.answers, answer)

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "question": self.question, "answers": self.answers, "keys": self.keys,
                "heldout": self.heldout, "source": self.source, "chars": context_chars(self.context)}


def _norm(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").split())


def score_answer(family: str, answers: list[str], answer: str | None) -> float:
    """1.0 when every expected value is in the answer (count: the first number equals the count), else 0.0."""
    if not answer:
        return 0.0
    if family == "count":
        numbers = re.findall(r"-?\d+", answer.replace(",", ""))
        return 1.0 if numbers and numbers[0] == answers[0] else 0.0
    got = _norm(answer)
    return 1.0 if all(_norm(a) in got for a in answers) else 0.0


def context_chars(context: str | list[str] | dict[str, str]) -> int:
    if isinstance(context, str):
        return len(context)
    return sum(len(p) for p in (context.values() if isinstance(context, dict) else context))


def _size(rng: random.Random, lo: int, hi: int) -> int:
    return int(lo * (hi / lo) ** rng.random())


def _insert(rng: random.Random, text: str, lines: list[str]) -> str:
    for line in lines:
        at = split_at_line(text, rng.randrange(0, max(1, len(text))))
        text = text[:at] + line + "\n" + text[at:]
    return text


def _shape(rng: random.Random, text: str) -> str | list[str] | dict[str, str]:
    roll = rng.random()
    if roll < 0.75 or len(text) < 4000:
        return text
    n = rng.randint(2, 12)
    cuts = sorted(split_at_line(text, rng.randrange(0, len(text))) for _ in range(n - 1))
    parts = [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)]) if text[a:b]]
    if roll < 0.9:
        return parts
    return {f"doc_{i + 1:02d}.txt": p for i, p in enumerate(parts)}


def _distinct_keys(rng: random.Random, make: Any, n: int) -> list[tuple[str, str]]:
    keys: dict[str, tuple[str, str]] = {}
    while len(keys) < n:
        k = make(rng)
        if not any(k[0].lower() in o.lower() or o.lower() in k[0].lower() for o in keys):
            keys[k[0]] = k
    return list(keys.values())


def make_needle_task(rng: random.Random, family: str, *, heldout: bool, chars: int,
                     sources: list[HaystackSource]) -> Task:
    keys_f = nd.HELDOUT_KEYS if heldout else nd.TRAIN_KEYS
    values_f = nd.HELDOUT_VALUES if heldout else nd.TRAIN_VALUES
    needles_t = nd.HELDOUT_NEEDLES if heldout else nd.TRAIN_NEEDLES
    questions = nd.HELDOUT_QUESTIONS if heldout else nd.TRAIN_QUESTIONS
    make_key = rng.choice(keys_f)
    make_value = rng.choice(values_f)
    template = rng.choice(needles_t)
    n_keys = {"single": 1, "multikey": rng.randint(2, 5), "multivalue": 1, "multiquery": rng.randint(2, 3)}[family]
    keys = _distinct_keys(rng, make_key, n_keys)
    text = filler(rng, sources, chars)
    asked: list[tuple[str, str]] = keys[:1] if family in ("single", "multikey", "multivalue") else keys
    lines: list[str] = []
    answers: list[str] = []
    needle_lines: list[str] = []
    for q_key, n_key in keys:
        count = rng.randint(2, 4) if family == "multivalue" else 1
        values: set[str] = set()
        while len(values) < count:
            values.add(make_value(rng))
        for value in sorted(values):
            line = template.format(k=n_key, v=value)
            lines.append(line)
            if (q_key, n_key) in asked:
                answers.append(value)
                needle_lines.append(line)
    text = _insert(rng, text, lines)
    if family == "multiquery":
        names = [k[0] for k in asked]
        joined = ", ".join(names[:-1]) + " and " + names[-1]
        question = rng.choice(nd.MQ_QUESTIONS).format(q=joined)
    elif family == "multivalue":
        question = rng.choice(nd.MV_QUESTIONS).format(q=asked[0][0])
    else:
        question = rng.choice(questions).format(q=asked[0][0])
    return Task(family, question, _shape(rng, text), answers, keys=[k[0] for k in asked], needle_lines=needle_lines,
                heldout=heldout, source=sources[0].name if len(sources) == 1 else "mixed")


_CITIES = ("Lisbon", "Oslo", "Nairobi", "Quito", "Hanoi", "Tbilisi", "Dakar", "Perth", "Bergen", "Cusco", "Malmo",
           "Porto", "Osaka", "Zagreb", "Tunis", "Leeds", "Accra", "Kyoto", "Split", "Lima")
_SERVICES = ("auth", "billing", "search", "mailer", "scheduler", "uploader", "gateway", "indexer", "payments")
_DEPTS = ("Finance", "Legal", "Research", "Support", "Marketing", "Logistics", "Design", "Security")
_LEVELS = ("INFO", "DEBUG", "WARN", "ERROR")
_MSGS = ("request served", "cache miss", "retrying connection", "job finished", "user logged in", "queue drained",
         "timeout while waiting", "config reloaded", "slow response", "token refreshed")


def make_count_task(rng: random.Random, *, heldout: bool) -> Task:
    """Records (log lines, CSV rows, staff entries); the question counts the records with one field value."""
    n = _size(rng, 60, 4000)
    style = rng.choice(("log", "csv", "staff") if not heldout else ("kv",))
    values: tuple[str, ...]
    questions: tuple[str, ...]
    if style == "log":
        values, fmt = _SERVICES, "2025-{m:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d} {lvl} [{x}] {msg}"
        questions = ("How many log lines come from the {t} service?", "Count the log entries of service {t}.",
                     "How many times does the {t} service appear in the log?")
    elif style == "csv":
        values, fmt = _CITIES, "{i},{name},{x},{amt}.{c:02d}"
        questions = ("How many orders were shipped to {t}?", "How many rows have the city {t}?",
                     "Count the orders whose city is {t}.")
    elif style == "staff":
        values, fmt = _DEPTS, "Employee #{i}: {name}; department: {x}; since {yr}"
        questions = ("How many employees work in {t}?", "How many staff entries list the {t} department?",
                     "Count the people in the {t} department.")
    else:
        values, fmt = _CITIES + _DEPTS, "record {i} | owner={name} | site={x} | status=ok"
        questions = ("How many records have the site {t}?", "What is the number of records located at {t}?")
    term = rng.choice(values)
    others = [v for v in values if v != term and term.lower() not in v.lower() and v.lower() not in term.lower()]
    target = rng.randint(1, min(80, max(1, n // 4)))
    hits = set(rng.sample(range(n), target))
    rows = ["order_id,customer,city,amount"] if style == "csv" else []
    for i in range(n):
        name = f"{rng.choice(nd._FIRST)} {rng.choice(nd._LAST)}"
        x = term if i in hits else rng.choice(others)
        rows.append(fmt.format(i=1000 + i, name=name, x=x, amt=rng.randint(1, 999), c=rng.randint(0, 99),
                               yr=rng.randint(1995, 2025), m=rng.randint(1, 12), d=rng.randint(1, 28),
                               h=rng.randint(0, 23), mi=rng.randint(0, 59), s=rng.randint(0, 59),
                               lvl=rng.choice(_LEVELS), msg=rng.choice(_MSGS)))
    text = "\n".join(rows) + "\n"
    actual = sum(1 for line in text.splitlines() if term.lower() in line.lower())
    assert actual == target, (term, actual, target)
    return Task("count", rng.choice(questions).format(t=term), text, [str(target)], keys=[term], term=term,
                heldout=heldout, source=style)


def generate(seed: int, n: int, *, heldout: bool = False, min_chars: int = 3000, max_chars: int = 400_000,
             weights: dict[str, float] | None = None, families: tuple[str, ...] = FAMILIES) -> list[Task]:
    """`n` tasks from `seed`; `heldout` uses only the held-out keys, values, phrasings and haystacks."""
    rng = random.Random(seed)
    sources = heldout_sources() if heldout else training_sources()
    weights = weights or {"single": 0.4, "multikey": 0.2, "multivalue": 0.12, "multiquery": 0.1, "count": 0.18}
    fams = [f for f in families if f in weights]
    tasks = []
    for _ in range(n):
        family = rng.choices(fams, [weights[f] for f in fams])[0]
        if family == "count":
            tasks.append(make_count_task(rng, heldout=heldout))
        else:
            tasks.append(make_needle_task(rng, family, heldout=heldout, chars=_size(rng, min_chars, max_chars),
                                          sources=sources))
    return tasks

"""OOLONG trec_coarse-style aggregation (a stand-in, not the released data): label every entry, then count or
compare labels over all entries or a subset (users, dates). Numeric answers score 0.75^|y - y_hat|, others exact."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from ..task import Task
from ..tokens import count_tokens, format_size
from .oolong_data import LABELS, START, Entry, generate_entries

KINDS = ("count", "count_users", "count_after", "compare", "most_common", "least_common")
ANSWER_FORMAT = " Give the final answer in the form 'Answer: X'."


def _question(rng: random.Random, kind: str, entries: list[Entry]) -> tuple[str, str]:
    counts = Counter(e.label for e in entries)
    if kind == "count":
        label = rng.choice(LABELS)
        return f"How many of the questions should be labelled '{label}'?", str(counts[label])
    if kind == "count_users":
        users = sorted({e.user for e in entries})
        chosen = sorted(rng.sample(users, min(len(users), 4)))
        label = rng.choice(LABELS)
        n = sum(1 for e in entries if e.user in chosen and e.label == label)
        return (f"Among the questions asked by the users with ids {', '.join(map(str, chosen))}, how many should be "
                f"labelled '{label}'?", str(n))
    if kind == "count_after":
        day = START + dt.timedelta(days=rng.randrange(60, 240))
        label = rng.choice(LABELS)
        n = sum(1 for e in entries if e.date > day and e.label == label)
        return (f"How many of the questions asked after {day.strftime('%b %d, %Y')} should be labelled "
                f"'{label}'?", str(n))
    if kind == "compare":
        a, b = rng.sample(LABELS, 2)
        relation = ("more common than" if counts[a] > counts[b] else
                    "less common than" if counts[a] < counts[b] else "same frequency as")
        return (f"Is the label '{a}' more common than, less common than, or the same frequency as the label '{b}'? "
                "Answer with one of: more common than, less common than, same frequency as.", relation)
    ranked = sorted(LABELS, key=lambda lab: (counts[lab], lab))
    if kind == "most_common":
        top = ranked[-1]
        return "Which label is the most common among the questions? Answer with the label.", top
    return "Which label is the least common among the questions? Answer with the label.", ranked[0]


def generate(n_tasks: int, size_tokens: int, seed: int = 0) -> list[Task]:
    tasks = []
    for i in range(n_tasks):
        rng = random.Random(f"oolong:{size_tokens}:{seed}:{i}")
        context, entries = generate_entries(size_tokens, rng)
        kind = KINDS[(i + seed) % len(KINDS)]
        question, answer = _question(rng, kind, entries)
        tasks.append(Task(id=f"oolong-{format_size(size_tokens)}-{i:04d}", family="oolong",
                          size_tokens=count_tokens(context), context=context, question=question + ANSWER_FORMAT,
                          answers=[answer], scorer="oolong",
                          meta={"kind": kind, "entries": len(entries), "target_tokens": size_tokens, "seed": seed}))
    return tasks

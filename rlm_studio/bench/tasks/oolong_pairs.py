"""OOLONG-Pairs (a stand-in over generated entries): the 20 pairwise queries of the paper's appendix, paraphrased,
over trec_coarse-style entries. The answer is every pair of user ids that satisfies the query; scored by F1."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ..task import Task
from ..tokens import count_tokens, format_size
from .oolong_data import LABELS, Entry, generate_entries

ABBR, ENTY, DESC, HUM, LOC, NUM = LABELS
UserTest = Callable[[list[Entry]], bool]


def _has(*labels: str) -> UserTest:
    return lambda es: any(e.label in labels for e in es)


def _count(label: str, at_least: int | None = None, exactly: int | None = None) -> UserTest:
    def test(es: list[Entry]) -> bool:
        n = sum(1 for e in es if e.label == label)
        return n == exactly if exactly is not None else n >= (at_least or 1)
    return test


def _all(*tests: UserTest) -> UserTest:
    return lambda es: all(t(es) for t in tests)


def _dated(label: str, after: dt.date | None = None, before: dt.date | None = None) -> UserTest:
    """Every instance of `label` the user has is after / before the date (vacuously true without one)."""
    def test(es: list[Entry]) -> bool:
        return all((after is None or e.date > after) and (before is None or e.date < before)
                   for e in es if e.label == label)
    return test


@dataclass(frozen=True)
class PairQuery:
    text: str
    first: UserTest
    second: UserTest | None = None    # None: both users satisfy `first` (symmetric)


def _d(month: int, day: int) -> dt.date:
    return dt.date(2023, month, day)


QUERIES: list[PairQuery] = [
    PairQuery(f"both users have at least one instance labelled {NUM} or {LOC}", _has(NUM, LOC)),
    PairQuery(f"both users have at least one instance labelled {ENTY} or {HUM}", _has(ENTY, HUM)),
    PairQuery(f"both users have at least one instance labelled {DESC} or {ABBR}", _has(DESC, ABBR)),
    PairQuery(f"both users have at least one instance labelled {HUM} or {LOC}, and all of their {HUM} instances "
              "are dated after Jan 06, 2023", _all(_has(HUM, LOC), _dated(HUM, after=_d(1, 6)))),
    PairQuery(f"both users have at least one instance labelled {ENTY} or {NUM}, and all of their {ENTY} instances "
              "are dated before Mar 15, 2023", _all(_has(ENTY, NUM), _dated(ENTY, before=_d(3, 15)))),
    PairQuery(f"both users have at least one instance labelled {LOC} or {ABBR}", _has(LOC, ABBR)),
    PairQuery(f"both users have at least one instance labelled {DESC} or {NUM}, and all of their {NUM} instances "
              "are dated after Feb 01, 2023", _all(_has(DESC, NUM), _dated(NUM, after=_d(2, 1)))),
    PairQuery(f"both users have at least one instance labelled {HUM} or {DESC}", _has(HUM, DESC)),
    PairQuery(f"both users have at least one instance labelled {ENTY} or {LOC}, and all of their {LOC} instances "
              "are dated after Apr 10, 2023", _all(_has(ENTY, LOC), _dated(LOC, after=_d(4, 10)))),
    PairQuery(f"both users have at least one instance labelled {NUM} or {ABBR}, and all of their {ABBR} instances "
              "are dated before May 20, 2023", _all(_has(NUM, ABBR), _dated(ABBR, before=_d(5, 20)))),
    PairQuery(f"one user has at least one {ENTY} instance and at least one {ABBR} instance, and the other user has "
              f"exactly one {ENTY} instance", _all(_count(ENTY), _count(ABBR)), _count(ENTY, exactly=1)),
    PairQuery(f"one user has at least two {NUM} instances, and the other user has at least one {LOC} instance and "
              f"at least one {HUM} instance", _count(NUM, at_least=2), _all(_count(LOC), _count(HUM))),
    PairQuery(f"one user has exactly one {DESC} instance, and the other user has at least one {ABBR} instance and "
              f"at least one {ENTY} instance", _count(DESC, exactly=1), _all(_count(ABBR), _count(ENTY))),
    PairQuery(f"one user has at least one {HUM} instance and at least one {NUM} instance, and the other user has "
              f"exactly two {LOC} instances", _all(_count(HUM), _count(NUM)), _count(LOC, exactly=2)),
    PairQuery(f"one user has at least one {ENTY}, at least one {LOC} and at least one {ABBR} instance, and the "
              f"other user has exactly one {NUM} instance", _all(_count(ENTY), _count(LOC), _count(ABBR)),
              _count(NUM, exactly=1)),
    PairQuery(f"one user has at least one {DESC} instance and at least one {HUM} instance, and the other user has "
              f"at least two {ENTY} instances and exactly one {ABBR} instance", _all(_count(DESC), _count(HUM)),
              _all(_count(ENTY, at_least=2), _count(ABBR, exactly=1))),
    PairQuery(f"one user has exactly one {NUM} instance, and the other user has at least one {LOC} instance and "
              f"at least one {DESC} instance", _count(NUM, exactly=1), _all(_count(LOC), _count(DESC))),
    PairQuery(f"one user has at least one {ABBR} instance and exactly one {HUM} instance, and the other user has "
              f"at least one {ENTY} instance and at least one {NUM} instance",
              _all(_count(ABBR), _count(HUM, exactly=1)), _all(_count(ENTY), _count(NUM))),
    PairQuery(f"one user has at least two {LOC} instances and at least one {ENTY} instance, and the other user has "
              f"exactly one {DESC} instance and exactly one {ABBR} instance",
              _all(_count(LOC, at_least=2), _count(ENTY)), _all(_count(DESC, exactly=1), _count(ABBR, exactly=1))),
    PairQuery(f"one user has exactly one {HUM} instance and at least one {LOC} instance, and the other user has "
              f"at least one {ENTY} instance and exactly one {NUM} instance",
              _all(_count(HUM, exactly=1), _count(LOC)), _all(_count(ENTY), _count(NUM, exactly=1))),
]

FORMAT = ("Each question can be labelled as one of: " + ", ".join(LABELS) + " (the labels are not given: infer "
          "them from what each question asks). List every pair once, the lower id first, in the form "
          "(user_id_1, user_id_2), one pair per line.")


def answer_pairs(query: PairQuery, entries: list[Entry]) -> set[tuple[int, int]]:
    by_user: dict[int, list[Entry]] = defaultdict(list)
    for e in entries:
        by_user[e.user].append(e)
    users = sorted(by_user)
    first = {u for u in users if query.first(by_user[u])}
    second = first if query.second is None else {u for u in users if query.second(by_user[u])}
    pairs = set()
    for a in first:
        for b in second:
            if a != b:
                pairs.add((min(a, b), max(a, b)))
    return pairs


def generate(n_tasks: int, size_tokens: int, seed: int = 0) -> list[Task]:
    tasks = []
    for i in range(n_tasks):
        rng = random.Random(f"oolong-pairs:{size_tokens}:{seed}:{i}")
        users = max(6, min(40, size_tokens // 800))   # a few dozen users: answers stay a readable list of pairs
        context, entries = generate_entries(size_tokens, rng, users=users, profiles=True)
        number = (i + seed) % len(QUERIES)
        query = QUERIES[number]
        pairs = sorted(answer_pairs(query, entries))
        question = f"In the data above, list all pairs of user ids where {query.text}. {FORMAT}"
        tasks.append(Task(id=f"oolong-pairs-{format_size(size_tokens)}-{i:04d}", family="oolong-pairs",
                          size_tokens=count_tokens(context), context=context, question=question,
                          answers=["\n".join(f"({a}, {b})" for a, b in pairs)], scorer="pair_f1",
                          meta={"query": number + 1, "pairs": len(pairs), "users": users,
                                "target_tokens": size_tokens, "seed": seed}))
    return tasks

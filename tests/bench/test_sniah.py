"""S-NIAH tasks as RULER builds them: sized in real tokens, seeded, needle at its depth, variants."""

from __future__ import annotations

import re

import pytest

from rlm_studio.bench.task import score
from rlm_studio.bench.tasks import sniah
from rlm_studio.bench.tokens import count_tokens, format_size, parse_size, parse_sizes


def test_sizes_parse_as_powers_of_two():
    assert parse_sizes("8k,16k,1m") == [8192, 16384, 1048576]
    assert parse_size("5000") == 5000
    assert format_size(2 ** 20) == "1m" and format_size(2 ** 13) == "8k"
    with pytest.raises(ValueError, match="not a size"):
        parse_size("big")


@pytest.mark.parametrize("size", [8192, 32768])
def test_context_is_sized_in_real_tokens(size):
    tasks = sniah.generate(3, size, seed=1)
    for task in tasks:
        tokens = count_tokens(task.context)
        assert tokens == task.size_tokens
        assert size - 40 <= tokens <= size


def test_same_seed_same_tasks_other_seed_other_tasks():
    a, b = sniah.generate(2, 8192, seed=3), sniah.generate(2, 8192, seed=3)
    assert [(t.question, t.answers, t.context) for t in a] == [(t.question, t.answers, t.context) for t in b]
    c = sniah.generate(2, 8192, seed=4)
    assert [t.answers for t in c] != [t.answers for t in a]


def test_a_few_tasks_spread_their_needles_over_the_whole_document():
    for n in (4, 5, 20):
        depths = [t.meta["depth"] for t in sniah.generate(n, 2048, seed=0)]
        assert min(depths) == 0 and max(depths) >= 70 and len(set(depths)) == n, (n, depths)


def test_needle_as_ruler_writes_it_at_its_depth():
    tasks = sniah.generate(40, 8192, seed=0)
    assert sorted({t.meta["depth"] for t in tasks}) == sniah.DEPTHS       # 40 depths, 0..100
    for task in tasks:
        key, value = task.meta["key"], task.answer
        assert re.fullmatch(r"[a-z]+-[a-z]+", key)
        assert re.fullmatch(r"\d{7}", value)
        needle = f"One of the special magic numbers for {key} is: {value}."
        lines = task.context.split("\n")
        at = lines.index(needle)
        assert abs(at / (len(lines) - 1) * 100 - task.meta["depth"]) <= 1
        assert all(line == sniah.HAYSTACK for i, line in enumerate(lines) if i != at)
        assert task.question == f"What is the special magic number for {key} mentioned in the provided text?"


def test_multikey_has_distractor_keys_and_multivalue_all_values():
    mk = sniah.generate(1, 8192, seed=0, variant="multikey")[0]
    needles = re.findall(r"special magic numbers for ([\w-]+) is: (\d{7})", mk.context)
    assert len(needles) == 4 and len({k for k, _ in needles}) == 4
    assert (mk.meta["key"], mk.answer) in needles and mk.family == "sniah-multikey"
    mv = sniah.generate(1, 8192, seed=0, variant="multivalue")[0]
    found = re.findall(rf"special magic numbers for {mv.meta['key']} is: (\d{{7}})", mv.context)
    assert sorted(found) == sorted(mv.answers) and len(mv.answers) == 4
    assert score(mv, " ".join(mv.answers[:2])) == 0.5


def test_scoring_is_rulers_string_match():
    task = sniah.generate(1, 8192, seed=0)[0]
    assert score(task, f"The special magic number is {task.answer}.") == 1.0
    assert score(task, "I could not find it.") == 0.0
    assert score(task, None) == 0.0


def test_the_1m_token_task_is_generated_fast_enough_to_measure():
    task = sniah.generate(1, 2 ** 20, seed=0)[0]
    assert 2 ** 20 - 40 <= task.size_tokens <= 2 ** 20
    assert task.answer in task.context

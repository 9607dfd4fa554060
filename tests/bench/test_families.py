"""The other task families: answers known by construction, checked against the generated data itself."""

from __future__ import annotations

import ast
import re
from collections import Counter

from rlm_studio.bench.scorers import parse_pairs
from rlm_studio.bench.task import score
from rlm_studio.bench.tasks import browsecomp, codeqa, oolong, oolong_pairs
from rlm_studio.bench.tasks import oolong_data as od
from rlm_studio.bench.tasks.oolong_data import LABELS, TEMPLATES
from rlm_studio.bench.tokens import count_tokens

LINE = re.compile(r"Date: (.+?) \|\| User: (\d+) \|\| Instance: (.+)")


def _label_of(text: str) -> set[str]:
    """Labels whose templates, filled with the generator's own word lists, produce this question."""
    slots = {"acronym": od._ACRONYMS, "org_long": od._ORGS, "animal": od._ANIMALS, "work": od._WORKS,
             "place": od._PLACES, "concept": od._CONCEPTS, "thing": od._THINGS, "city": od._CITIES,
             "city2": od._CITIES, "event": od._EVENTS}
    found = set()
    for label, templates in TEMPLATES.items():
        for template in templates:
            pattern = re.sub(r"\\\{([a-z_0-9]+)\\\}",
                             lambda m: "(?:" + "|".join(map(re.escape, slots[m.group(1)])) + ")", re.escape(template))
            if re.fullmatch(pattern, text):
                found.add(label)
    return found


def test_oolong_counts_match_the_entries_and_score_with_partial_credit():
    tasks = oolong.generate(6, 8192, seed=2)
    assert {t.meta["kind"] for t in tasks} == set(oolong.KINDS)
    for task in tasks:
        assert count_tokens(task.context) == task.size_tokens <= 8192
        lines = [m.groups() for m in map(LINE.fullmatch, task.context.splitlines()) if m]
        assert len(lines) == task.meta["entries"]
        labels = [_label_of(text) for _, _, text in lines]
        assert all(len(options) == 1 for options in labels)   # every label is inferable from the text
        counts = Counter(next(iter(options)) for options in labels)
        if task.meta["kind"] == "count":
            label = re.search(r"labelled '(.+?)'", task.question).group(1)
            assert task.answer == str(counts[label])
            assert score(task, f"Answer: {counts[label] + 1}") == 0.75
        if task.meta["kind"] == "most_common":
            assert task.answer == max(LABELS, key=lambda lab: (counts[lab], lab))
            assert score(task, f"Answer: {task.answer}") == 1.0


def test_oolong_pairs_answer_is_the_pairs_the_query_selects():
    tasks = oolong_pairs.generate(20, 8192, seed=0)
    assert sorted(t.meta["query"] for t in tasks) == list(range(1, 21))
    for task in tasks:
        assert len(parse_pairs(task.answer)) == task.meta["pairs"]
        assert score(task, task.answer) == 1.0
    selective = [t for t in tasks if 0 < t.meta["pairs"] < t.meta["users"] * (t.meta["users"] - 1) // 2]
    assert len(selective) >= 10   # the queries tell users apart


def test_browsecomp_answers_follow_the_hops_through_the_documents():
    for task in browsecomp.generate(8, 16384, seed=1):
        assert isinstance(task.context, dict) and task.meta["documents"] == len(task.context)
        assert task.size_tokens <= 16384
        text = "\n".join(task.context.values())
        assert task.answer in text
        person = re.search(r"(?:that|employs|of) ([A-Z][a-z]+ [A-Z][a-z]+)", task.question).group(1)
        employer = re.search(rf"{person} works for ([A-Z][a-z]+ [A-Z][a-z]+)\.", text)
        assert employer is not None
        assert task.meta["hops"] in (2, 3)
        assert score(task, f"The {task.answer}.") == 1.0 and score(task, "Nowhere") == 0.0


def test_codeqa_answer_is_computed_from_the_code(tmp_path):
    pkg = tmp_path / "proj"
    pkg.mkdir()
    for n in range(6):
        (pkg / f"mod{n}.py").write_text(
            f"class Base{n}:\n    def __eq__(self, other):\n        return True\n\n"
            f"class Child{n}(Base{n}):\n    pass\n\n"
            f"def helper{n}():\n    return {n}\n\n"
            f"def user{n}():\n    return helper{n}()\n\n"
            f"def other{n}():\n    return len([])\n", encoding="utf-8")
    tasks = codeqa.generate(8, 4096, seed=0, code_root=str(pkg))
    assert {t.meta["kind"] for t in tasks} == {"caller", "definition", "eq", "subclass"}
    for task in tasks:
        options = task.meta["options"]
        right = options["ABCD".index(task.answer)]
        sources = task.context
        if task.meta["kind"] == "caller":
            callee = re.search(r"calls `(\w+)`", task.question).group(1)
            file, func = right.split(":")
            tree = ast.parse(sources[file])
            body = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == func)
            assert callee in ast.unparse(body)
        elif task.meta["kind"] == "definition":
            name = re.search(r"is `(\w+)` defined", task.question).group(1)
            assert re.search(rf"^(def|class) {name}\b", sources[right], re.M)
        elif task.meta["kind"] == "eq":
            assert right == "1"
        else:
            base = re.search(r"subclass of `(\w+)`", task.question).group(1)
            assert f"({base})" in sources[right.split(":")[0]]
        assert score(task, f"The correct answer is ({task.answer})") == 1.0


def test_codeqa_over_the_standard_library_by_default():
    task = codeqa.generate(1, 16384, seed=0)[0]
    assert task.meta["root"] and task.meta["files"] >= 1 and task.size_tokens <= 16384

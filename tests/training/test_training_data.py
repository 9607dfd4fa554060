"""The training-data generator, teacher and chat format (no torch): the parts the adapter's quality rests on."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from rlm_studio.training import needles as nd
from rlm_studio.training.chat_format import render_prompt, render_segments
from rlm_studio.training.tasks import context_chars, generate, score_answer
from rlm_studio.training.teacher import count_code, search_code
from rlm_studio.training.trajectories import build, keep, run_teacher


def _text(context):
    if isinstance(context, str):
        return context
    return "\n".join(context.values() if isinstance(context, dict) else context)


def test_same_seed_same_tasks_and_another_seed_differs():
    a, b, c = generate(5, 8, max_chars=20_000), generate(5, 8, max_chars=20_000), generate(6, 8, max_chars=20_000)
    assert [t.question for t in a] == [t.question for t in b] and [t.answers for t in a] == [t.answers for t in b]
    assert [t.question for t in a] != [t.question for t in c]


def test_every_needle_is_in_its_context_and_answers_score():
    for task in generate(11, 40, max_chars=30_000) + generate(12, 20, heldout=True, max_chars=30_000):
        text = _text(task.context)
        for line in task.needle_lines:
            assert line in text
        good = ", ".join(task.answers)
        assert task.score(good) == 1.0
        assert task.score("I could not find it.") == 0.0
        if len(task.answers) > 1:
            assert task.score(task.answers[0]) == 0.0  # a multi-value answer needs every value


def test_count_tasks_count_what_they_say():
    tasks = generate(3, 12, families=("count",), weights={"count": 1.0})
    assert {t.family for t in tasks} == {"count"}
    for task in tasks:
        lines = [line for line in _text(task.context).splitlines() if task.term.lower() in line.lower()]
        assert str(len(lines)) == task.answers[0]
        assert score_answer("count", task.answers, f"There are {task.answers[0]} of them.") == 1.0
        assert score_answer("count", task.answers, f"{int(task.answers[0]) + 1}") == 0.0


def test_held_out_variation_never_appears_in_training_variation():
    assert not set(nd.HELDOUT_NEEDLES) & set(nd.TRAIN_NEEDLES)
    assert not set(nd.HELDOUT_QUESTIONS) & set(nd.TRAIN_QUESTIONS)
    assert not set(nd.HELDOUT_KEYS) & set(nd.TRAIN_KEYS)
    train_sources = {t.source for t in generate(2, 30, max_chars=10_000)}
    held = generate(2, 30, heldout=True, max_chars=10_000)
    assert all(t.heldout for t in held) and not any(t.heldout for t in generate(2, 5, max_chars=10_000))
    assert "man-pages" not in train_sources


def test_generator_varies_shapes_sizes_and_phrasings():
    tasks = generate(21, 120, max_chars=200_000)
    kinds = {type(t.context).__name__ for t in tasks}
    assert kinds == {"str", "list", "dict"}
    assert len({t.family for t in tasks}) == 5
    sizes = [context_chars(t.context) for t in tasks if t.family != "count"]
    assert min(sizes) < 10_000 and max(sizes) > 100_000
    assert len({re.sub(r"\d", "#", t.question)[:25] for t in tasks}) > 15


@pytest.mark.parametrize("key", ["crimson falcon", "Alma Reyes", "a3f9c2d1-77be", "tidy_otter_vault"])
def test_search_code_finds_keys_written_with_other_separators_and_case(key):
    variants = [key, key.upper(), key.replace(" ", "-"), key.replace(" ", "_"), key.title().replace(" ", "")]
    for written in variants:
        context = "filler line\n" * 50 + f"The code for {written} is 4411.\n" + "more filler\n" * 50
        asked: list[str] = []
        namespace = {"context": context, "llm_query_batched": lambda prompts, asked=asked: asked.extend(prompts) or
                     ["4411" if "4411" in p else "none" for p in prompts]}
        import contextlib
        import io
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(search_code([key], f"What is the code for {key}?"), namespace)  # noqa: S102 - as the REPL would
        assert "1 matching lines" in out.getvalue() and namespace["answer"] == "4411", written
        # the sub-model is shown the matching line only, not the filler around it
        assert asked == [f"The code for {written} is 4411.\n\nQuestion: What is the code for {key}?\n"
                         f"Reply with the answer for {key} only, or none."]


def test_search_code_cuts_a_sentence_out_of_a_long_line_and_keeps_every_value():
    prose = "Words without end go on here. " * 40
    context = {"a.txt": prose + "Remember: 7 is the value of blue heron. " + prose,
               "b.txt": "blue-heron = 8\n" + prose}
    namespace = {"context": context,
                 "llm_query_batched": lambda prompts: [p.split("\n", 1)[0] for p in prompts]}
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        exec(search_code(["blue heron"], "What is blue heron?"), namespace)  # noqa: S102
    assert namespace["answer"] == "Remember: 7 is the value of blue heron., blue-heron = 8"


def test_sub_teacher_gives_the_value_of_the_asked_key_or_none():
    from rlm_studio.training.teacher import sub_reply
    task = generate(41, 1, families=("multiquery",), weights={"multiquery": 1.0}, max_chars=5_000)[0]
    key, value = task.keys[1], task.answers[1]
    prompt = f"line with {value} in it\n\nQuestion: {task.question}\nReply with the answer for {key} only, or none."
    assert sub_reply(task, prompt) == value
    assert sub_reply(task, prompt.replace(value, "nothing")) == "none"
    assert sub_reply(task, "a prompt of another shape") == "none"


def test_count_code_counts_lines_case_insensitively():
    namespace = {"context": ["a,Lisbon,1\nb,Oslo,2", "c,lisbon,3\nd,Porto,4"]}
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(count_code("Lisbon"), namespace)  # noqa: S102
    assert out.getvalue().startswith("2 matching lines")


def test_teacher_solves_tasks_through_the_real_engine_and_sandbox(tmp_path):
    tasks = generate(31, 6, max_chars=50_000)

    async def all_of() -> list:
        return list(await asyncio.gather(*(run_teacher(t) for t in tasks)))

    trajectories = asyncio.run(all_of())
    for traj in trajectories:
        assert traj.score == 1.0, (traj.task.question, traj.answer)
        roots = [s for s in traj.samples if s["role"] == "root"]
        assert len(roots) == 2 and keep(traj)
        first = roots[0]["messages"]
        assert first[0]["role"] == "system" and "FINAL_VAR(answer)" in first[0]["content"]
        assert first[1]["content"].startswith(f"Question: {traj.task.question}")
        assert "```repl" in roots[0]["response"] and roots[1]["response"].rstrip().splitlines()[-1] == \
            "FINAL_VAR(answer)"
        assert "Output of repl block 1:" in roots[1]["messages"][-1]["content"]
        subs = [s for s in traj.samples if s["role"] == "sub"]
        if traj.task.family != "count":   # the sub-model read each matching line, through the real engine
            assert subs and all(s["messages"][-1]["role"] == "user" for s in subs)
            assert {s["response"] for s in subs} - {"none"} <= set(traj.task.answers)
    counts = asyncio.run(build(tasks, tmp_path / "samples.jsonl", log=lambda _: None))
    assert counts["tasks"] == 6 and counts["kept"] == 6 and counts["dropped"] == 0
    samples = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert counts["samples"] == len(samples) and sum(s["role"] == "root" for s in samples) == 6
    roots = [s for s in samples if s["role"] == "root"]
    assert all(s["root_turns"] == 2 and [m["role"] for m in s["messages"]] == ["system", "user", "assistant", "user"]
               for s in roots)
    negatives = [s for s in samples if s.get("negative")]
    assert negatives and all(s["response"] == "none" for s in negatives)


def test_a_failed_trajectory_is_dropped():
    task = generate(41, 1, families=("single",), weights={"single": 1.0}, max_chars=5_000)[0]
    task.answers = ["0000001"]  # a value that is not in the context: the sub-model says none, the teacher gives up
    traj = asyncio.run(run_teacher(task))
    assert traj.score == 0.0 and not keep(traj)


def test_chat_format_is_the_models_own_template():
    """Training text must be exactly what llama.cpp's server renders from the GGUF's chat template."""
    import jinja2
    from llama_cpp import Llama

    from rlm_studio.models.local_server import find_bundled_gguf

    llm = Llama(str(find_bundled_gguf()), vocab_only=True, verbose=False)
    template = jinja2.Template(llm.metadata["tokenizer.chat_template"])
    for messages in ([{"role": "user", "content": "Text:\nabc\nIs it there?"}],
                     [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"},
                      {"role": "assistant", "content": "A ```repl\nx\n```"}, {"role": "user", "content": "out"}]):
        expected = template.render(messages=messages, add_generation_prompt=True)
        assert render_prompt(messages) == expected
        whole = "".join(text for text, _ in render_segments(messages, "R"))
        assert whole == expected + "R<|im_end|>"
        trained = [text for text, on in render_segments(messages, "R") if on]
        assert trained[-1] == "R<|im_end|>"
        assert len(trained) == 1 + sum(m["role"] == "assistant" for m in messages)

"""The REPL itself: persistence, notebook-style output, FINAL/FINAL_VAR, reserved names, output caps."""


import pytest

from rlm_studio.sandbox import SandboxLimits, Worker, WorkerStartError

from .helpers import run, start_worker


def test_needle_is_found_by_code_in_a_one_million_char_context(context_file):
    haystack = ["lorem ipsum " * 1000] * 84
    text = "".join(haystack)
    needle_at = 612_345
    text = text[:needle_at] + "MAGIC-NUMBER=4817" + text[needle_at:]
    assert len(text) > 1_000_000

    async def body():
        worker = await start_worker(context_file(text))
        try:
            found = await worker.execute(
                "import re\nm = re.search(r'MAGIC-NUMBER=(\\d+)', context)\nFINAL(m.group(1))\nlen(context), m.start()")
            return found
        finally:
            await worker.close()

    result = run(body())
    assert result.error is None
    assert result.final == {"value": "4817", "source": "FINAL", "var": None}
    assert result.stdout.strip() == f"({len(text)}, {needle_at})"


def test_list_and_dict_contexts_arrive_with_their_shape(context_file):
    async def body():
        worker = await start_worker(context_file({"a.txt": "alpha", "b.txt": "beta"}))
        other = await start_worker(context_file(["one", "two"]))
        empty = await start_worker(None)
        try:
            return (await worker.execute("sorted(context.items())"), await other.execute("context"),
                    await empty.execute("context"))
        finally:
            for each in (worker, other, empty):
                await each.close()

    as_dict, as_list, none = run(body())
    assert none.stdout == "''\n"
    assert as_dict.stdout.strip() == "[('a.txt', 'alpha'), ('b.txt', 'beta')]"
    assert as_list.stdout.strip() == "['one', 'two']"


def test_a_100_mb_context_loads(context_file):
    """How fast is benchmarks/bench_sandbox.py's figure (worker ready with a 100 MB context)."""
    path = context_file("0123456789" * 10_000_000)

    async def body():
        worker = await start_worker(path)
        try:
            return await worker.execute("len(context), context[-3:]")
        finally:
            await worker.close()

    result = run(body())
    assert result.stdout.strip() == "(100000000, '789')"


def test_variables_persist_and_survive_an_exception(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            first = await worker.execute("a = 1\nb = [1, 2, 3]\nraise ValueError('boom')\nc = 3")
            second = await worker.execute("print(a, b)\n'c' in globals()")
            return first, second
        finally:
            await worker.close()

    first, second = run(body())
    assert first.error["type"] == "ValueError" and first.error["message"] == "boom"
    assert 'File "<cell 1>", line 3' in first.error["traceback"]
    assert "worker_main" not in first.error["traceback"] and "cell_runner" not in first.error["traceback"]
    assert {v["name"] for v in first.variables} == {"a", "b"}
    assert second.stdout == "1 [1, 2, 3]\nFalse\n"


def test_last_expression_is_shown_like_a_notebook_unless_none(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            return [await worker.execute(code) for code in ("x = 41\nx + 1", "None", "print('hi')", "'tex' + 't'")]
        finally:
            await worker.close()

    shown = [r.stdout for r in run(body())]
    assert shown == ["42\n", "", "hi\n", "'text'\n"]


def test_syntax_errors_are_reported(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            return (await worker.execute("def broken(:\n  pass"),
                    await worker.execute("ok = 1\ncompile('x = (', 'generated', 'exec')"))
        finally:
            await worker.close()

    result, at_run_time = run(body())
    assert result.error["type"] == "SyntaxError"
    assert "<cell 1>" in result.error["traceback"]
    assert at_run_time.error["type"] == "SyntaxError"
    assert 'File "<cell 2>", line 2' in at_run_time.error["traceback"]  # raised by code: its traceback is kept
    assert [v["name"] for v in at_run_time.variables] == ["ok"]


def test_final_and_final_var(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            return [await worker.execute(code) for code in (
                "FINAL(42)",
                "answer = 'The answer is 42'\nFINAL_VAR('answer')",
                "result = ['a', 'b']\nFINAL_VAR(result)",
                "FINAL_VAR('never_defined')",
                "x = 1",
            )]
        finally:
            await worker.close()

    by_value, by_name, by_object, undefined, later = run(body())
    assert by_value.final == {"value": "42", "source": "FINAL", "var": None}
    assert by_name.final == {"value": "The answer is 42", "source": "FINAL_VAR", "var": "answer"}
    assert by_object.final == {"value": "['a', 'b']", "source": "FINAL_VAR", "var": "result"}
    assert undefined.final is None
    assert undefined.error["type"] == "NameError" and "never_defined" in undefined.error["message"]
    assert later.final is None  # a final belongs to the cell that gave it


def test_reserved_names_are_restored_after_a_cell_overwrites_them(context_file):
    async def body():
        worker = await start_worker(context_file("the real context"))
        try:
            await worker.set_variable("history", [{"role": "user", "content": "hi"}])
            clobber = await worker.execute(
                "context = 'mine'\ndel llm_query\nFINAL = None\nhistory = []\nSubcallError = 3")
            after = await worker.execute("context, llm_query('q'), history, SubcallError.__name__")
            return clobber, after
        finally:
            await worker.close()

    clobber, after = run(body())
    assert sorted(clobber.restored) == ["FINAL", "SubcallError", "context", "history", "llm_query"]
    assert clobber.variables == []
    assert after.stdout.strip() == "('the real context', 'echo:q', [{'role': 'user', 'content': 'hi'}], 'SubcallError')"
    assert after.restored == []


def test_show_vars_lists_user_variables_with_types_and_sizes(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            return await worker.execute("import json\nnotes = 'abc' * 10\nitems = [1, 2]\nSHOW_VARS()")
        finally:
            await worker.close()

    result = run(body())
    assert "notes: str, size 30" in result.stdout
    assert "items: list, size 2" in result.stdout
    assert "json" not in result.stdout and "context" not in result.stdout
    assert [(v["name"], v["type"], v["size"]) for v in result.variables] == [("notes", "str", 30), ("items", "list", 2)]


def test_long_output_is_capped_but_counted(context_file):
    async def body():
        worker = await start_worker(context_file(), max_output_chars=1000)
        try:
            return await worker.execute("import sys\nprint('x' * 2_000_000)\n_ = sys.stderr.write('e' * 5000)")
        finally:
            await worker.close()

    result = run(body())
    assert result.stdout == "x" * 1000
    assert result.stdout_chars == 2_000_001
    assert result.stderr == "e" * 1000 and result.stderr_chars == 5000


def test_set_variable_checks_its_input(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            problems = []
            for name, value in (("not a name", 1), ("ok", object())):
                try:
                    await worker.set_variable(name, value)
                except (TypeError, ValueError) as exc:
                    problems.append(str(exc))
            return problems
        finally:
            await worker.close()

    problems = run(body())
    assert "valid Python variable name" in problems[0] and "JSON-able" in problems[1]


def test_close_is_idempotent_and_ends_the_process(context_file):
    async def body():
        worker: Worker = await start_worker(context_file())
        process = worker._connection.process
        await worker.close()
        await worker.close()
        return process.poll()

    assert run(body()) is not None


def test_start_problems_are_explained(tmp_path):
    junk = tmp_path / "junk.rlmctx"
    junk.write_bytes(b"this is not a context file")

    async def start(**kwargs):
        worker = await Worker.start(handler=None, **kwargs)
        await worker.close()

    with pytest.raises(WorkerStartError, match="not a context file"):
        run(start(context_path=junk))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        run(start(context_path=tmp_path / "missing"))
    with pytest.raises(ValueError, match="isolation must be"):
        run(start(context_path=None, isolation="docker"))
    with pytest.raises(ValueError, match="memory_mb must be at least 64"):
        run(start(context_path=None, limits=SandboxLimits(memory_mb=10)))


def test_code_too_deep_to_compile_is_an_error_in_the_cell_not_a_dead_worker(context_file):
    async def body():
        worker = await start_worker(context_file())
        try:
            deep = await worker.execute("x = 1" + "+1" * 200_000)
            return deep, await worker.execute("'alive'"), worker.restarts
        finally:
            await worker.close()

    deep, after, restarts = run(body())
    assert deep.error["type"] == "RecursionError" and deep.crashed is None
    assert after.stdout == "'alive'\n" and restarts == 0


def test_final_var_of_a_variable_with_a_very_long_name(context_file):
    name = "v" * 500

    async def body():
        worker = await start_worker(context_file())
        try:
            return await worker.execute(f"{name} = 'the answer'\nFINAL_VAR({name!r})")
        finally:
            await worker.close()

    result = run(body())
    assert result.crashed is None and result.final["value"] == "the answer"
    assert result.final["var"].startswith("vvv") and len(result.final["var"]) <= 200

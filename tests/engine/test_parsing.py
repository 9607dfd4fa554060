from rlm_studio.engine.parsing import extract_repl_blocks, find_text_final


def test_repl_blocks_in_order_and_python_blocks_ignored():
    text = "a\n```repl\nx = 1\n```\nb\n```python\ny = 2\n```\n```repl\nprint(x)\n```"
    assert extract_repl_blocks(text) == ["x = 1", "print(x)"]


def test_final_at_line_start_outside_code():
    assert find_text_final("Done.\nFINAL(42)").value == "42"
    assert find_text_final("FINAL_VAR(result)\n").via == "FINAL_VAR"
    assert find_text_final("FINAL(\"quoted (with parens)\")").value == "quoted (with parens)"
    assert find_text_final("FINAL(multi\nline answer)").value == "multi\nline answer"


def test_final_in_plans_code_or_sentences_is_not_an_answer():
    assert find_text_final("I will call FINAL(x) when done") is None
    assert find_text_final("FINAL(x) will be called after the search") is None
    assert find_text_final("```repl\nFINAL(1)\n```") is None
    assert find_text_final("FINAL_VAR(not a name)") is None
    assert find_text_final("no final here") is None


def test_final_inside_any_fence_is_code_not_an_answer():
    assert find_text_final("Here is how:\n```python\nFINAL(42)\n```") is None
    assert find_text_final("```\nFINAL_VAR(answer)\n```\n") is None
    assert find_text_final("  ```py\n  FINAL('x')\n  ```") is None
    # text after the fence still counts, and a fence's language does not matter to that
    assert find_text_final("```python\nprint(1)\n```\nFINAL(after the code)").value == "after the code"
    assert find_text_final("```\nnotes\n```\nFINAL_VAR(result)").value == "result"


def test_an_unclosed_fence_is_code_to_the_end_of_the_response():
    cut_off = "Let me finish.\n```repl\nanswer = compute()\nFINAL(answer)\n"
    assert find_text_final(cut_off) is None
    assert extract_repl_blocks(cut_off) == []         # not run: the block may have been cut off mid-statement
    assert find_text_final("```python\nFINAL(7)") is None
    # an answer before a stray opening fence at the end is still the answer
    assert find_text_final("```repl\nx = 6 * 7\n```\nFINAL_VAR(x)\n```").value == "x"
    assert find_text_final("FINAL(done)\n```").value == "done"


def test_repl_blocks_only_from_repl_fences():
    text = ("```python\na = 1\n```\n```\nb = 2\n```\n```REPL\nc = 3\n```\n```repl python\nd = 4\n```\n"
            "```repl\n\n```\n```repl\ne = 5")
    assert extract_repl_blocks(text) == ["c = 3", "d = 4"]

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

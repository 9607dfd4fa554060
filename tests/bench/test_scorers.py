"""Scorers on known answers: partial numeric credit, F1 edge cases, choice extraction, normalisation."""

from __future__ import annotations

import pytest

from rlm_studio.bench.scorers import extract_choice, parse_pairs, score_answer, set_f1


def test_oolong_numeric_answers_get_partial_credit():
    assert score_answer("oolong", "12", ["12"]) == 1.0
    assert score_answer("oolong", "Answer: 10", ["12"]) == pytest.approx(0.75 ** 2)
    assert score_answer("oolong", "There are 1,204 of them", ["1200"]) == pytest.approx(0.75 ** 4)
    assert score_answer("oolong", "no idea", ["12"]) == 0.0


def test_oolong_label_answers_are_exact():
    assert score_answer("oolong", "Answer: location", ["location"]) == 1.0
    assert score_answer("oolong", "LOCATION.", ["location"]) == 1.0
    assert score_answer("oolong", "human", ["location"]) == 0.0


def test_pair_f1_edge_cases():
    assert parse_pairs("(3, 1) and (1,3), (2, 5)") == {("1", "3"), ("2", "5")}
    assert score_answer("pair_f1", "(1, 2), (3, 4)", ["(2, 1), (4, 3)"]) == 1.0
    assert score_answer("pair_f1", "(1, 2)", ["(1, 2), (3, 4)"]) == pytest.approx(2 / 3)
    assert score_answer("pair_f1", "(1, 2), (5, 6)", ["(1, 2), (3, 4)"]) == pytest.approx(0.5)
    assert score_answer("pair_f1", "none", [""]) == 1.0          # nothing expected, nothing given
    assert score_answer("pair_f1", "(1, 2)", [""]) == 0.0        # nothing expected, something given
    assert score_answer("pair_f1", "no pairs", ["(1, 2)"]) == 0.0
    assert set_f1({("a", "b")}, {("c", "d")}) == 0.0


def test_exact_match_is_normalised():
    assert score_answer("exact", "The Blue Harbor!", ["blue harbor"]) == 1.0
    assert score_answer("exact", "Final answer: blue harbor", ["Blue Harbor"]) == 1.0
    assert score_answer("exact", "blue harbour", ["blue harbor"]) == 0.0


def test_choice_letter_is_extracted_as_longbench_does():
    assert extract_choice("The correct answer is (B)") == "B"
    assert extract_choice("C) because it calls it") == "C"
    assert extract_choice("Answer: D") == "D"
    assert extract_choice("I cannot tell") is None
    assert score_answer("choice", "The correct answer is (B)", ["B"]) == 1.0
    assert score_answer("choice", "(A)", ["B"]) == 0.0


def test_string_match_all_and_unknown_scorer():
    assert score_answer("string_match_all", "1234567 and 7654321", ["1234567", "7654321"]) == 1.0
    assert score_answer("string_match_all", "1234567", ["1234567", "7654321"]) == 0.5
    with pytest.raises(ValueError, match="unknown scorer"):
        score_answer("nope", "x", ["x"])

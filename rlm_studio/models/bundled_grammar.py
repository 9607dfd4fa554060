"""A GBNF grammar for the bundled RLM's first reply: the key it searches for is quoted from the question.

The adapter writes one fixed opening, `I will search `context` for "KEY" ...` (or `I will count the lines of
`context` that mention "TERM"`) and then code that searches for KEY. Its commonest failure was writing a
near-synonym of the key ("abnormal-mind" for "bizarre-mind"), which then matches nothing. The grammar lets the
opening and the cell's `keys = [...]` (or `term = ...`) quote only runs of the question's own words, and the cell
starts as the adapter was taught (`question = ` the question itself); the rest of the reply is free. It applies
to the first root call only (the system prompt plus the first user message that starts with "Question: ").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .types import Message

MAX_SPAN_WORDS = 6
MAX_QUESTION_WORDS = 80          # a longer question: no grammar (too many alternatives to be worth it)
_EDGE = "?.,:;!()[]{}<>*`“”‘’"
# a search key is a content phrase: it neither starts nor ends with one of these (a key of "the" matches every line)
STOP_WORDS = frozenset("""a an the this that these those of for in on at to from by with about into as and or but not
no is are was were be been being do does did has have had will would can could should may might must what which who
whom whose when where why how there here it its it's they them their he she his her we our you your i me my
mentioned provided text context document documents give tell find me please value number""".split())
_QUESTION = re.compile(r"\AQuestion: (?P<q>.*?)\n\n`context` ", re.S)


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def question_phrases(question: str) -> list[str]:
    """Every run of 1..MAX_SPAN_WORDS words of the question, without edge punctuation or a trailing 's, that
    neither starts nor ends with a stop word."""
    words = question.split()
    phrases: dict[str, None] = {}
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + MAX_SPAN_WORDS) + 1):
            span = " ".join(words[i:j]).strip(_EDGE + "'\"")
            if span.endswith("'s"):
                span = span[:-2]
            edge = [w.strip(_EDGE + "'\"").lower() for w in span.split()[:1] + span.split()[-1:]]
            if any(w in STOP_WORDS or not w for w in edge):
                continue
            if span and '"' not in span and "\\" not in span:
                phrases[span] = None
    return list(phrases)


def opening_grammar(question: str) -> str | None:
    """The grammar for the first reply to `question`, or None when the question gives nothing to quote."""
    if len(question.split()) > MAX_QUESTION_WORDS:
        return None
    phrases = question_phrases(question)
    if not phrases:
        return None
    cell = "```repl\n"
    return "\n".join([
        'root ::= "I will " (search | count) tail',
        'search ::= "search `context` for " keys " and ask the sub-model about each matching line.\\n" '
        + _literal(f"{cell}import re\nquestion = {json.dumps(question)}\nkeys = [") + ' jkeys "]\\n"',
        'count ::= "count the lines of `context` that mention " key ".\\n" ' + _literal(f"{cell}term = ")
        + ' jkey "\\n"',
        'keys ::= key (", " key)* (" and " key)?',
        'key ::= "\\"" phrase "\\""',
        'jkeys ::= jkey (", " jkey)*',
        "jkey ::= " + " | ".join(_literal(json.dumps(p)) for p in phrases),
        "phrase ::= " + " | ".join(_literal(p) for p in phrases),
        "tail ::= [^\\x00]*",
    ])


def first_question(messages: list[Message]) -> str | None:
    """The question when `messages` are a run's opening (system prompt, first user message), else None."""
    if len(messages) != 2 or messages[0]["role"] != "system" or messages[1]["role"] != "user":
        return None
    match = _QUESTION.match(messages[1]["content"])
    return match.group("q") if match else None


def opening_request_params(messages: list[Message]) -> Mapping[str, Any]:
    """Extra request fields for the bundled server: the grammar on a run's first root call, else nothing."""
    question = first_question(messages)
    grammar = opening_grammar(question) if question else None
    return {"extra_body": {"grammar": grammar}} if grammar else {}

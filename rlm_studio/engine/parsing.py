"""Reading a root model response: its ```repl blocks, and a FINAL/FINAL_VAR written as text."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^[ \t]*```([^\n`]*)\n(.*?)^[ \t]*```[ \t]*$", re.DOTALL | re.MULTILINE)
_OPEN_FENCE = re.compile(r"^[ \t]*```", re.MULTILINE)
_FINAL_START = re.compile(r"^[ \t]*(FINAL_VAR|FINAL)\(", re.MULTILINE)
REPL_LANGS = {"repl", "python repl", "repl python"}


def extract_repl_blocks(text: str) -> list[str]:
    """Code of every ```repl block, in order (a ```python block is *not* run: the prompt asks for repl)."""
    blocks = []
    for match in _FENCE.finditer(text or ""):
        if match.group(1).strip().lower() in REPL_LANGS:
            code = match.group(2)
            if code.strip():
                blocks.append(code.rstrip("\n"))
    return blocks


def _without_fences(text: str) -> str:
    """Blank out fenced blocks (keeping line structure) so FINAL inside code is never read as text.

    A fence that is never closed (a response cut off by its token limit) is code to the end of the text.
    """
    clean = _FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    unclosed = _OPEN_FENCE.search(clean)
    if unclosed is not None:
        clean = clean[:unclosed.start()] + "\n" * clean.count("\n", unclosed.start())
    return clean


@dataclass
class TextFinal:
    via: str          # "FINAL" | "FINAL_VAR"
    value: str        # the answer, or the variable name for FINAL_VAR


def _closing_paren(text: str, start: int) -> int | None:
    depth = 0
    quote: str | None = None
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'" and (i == start + 1 or text[i - 1] in "(,= "):
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def find_text_final(text: str) -> TextFinal | None:
    """FINAL(...)/FINAL_VAR(...) at the start of a line, outside code fences, and alone on its line end.

    "I will call FINAL(x) when done" is a plan, not an answer: it does not start the line.
    "FINAL(x) will come later" is not an answer either: text follows the closing parenthesis.
    """
    clean = _without_fences(text or "")
    for match in _FINAL_START.finditer(clean):
        open_at = match.end() - 1
        close_at = _closing_paren(clean, open_at)
        if close_at is None:
            continue
        rest_of_line = clean[close_at + 1:].split("\n", 1)[0]
        if rest_of_line.strip() not in ("", ".", ";"):
            continue
        value = clean[open_at + 1:close_at].strip()
        via = match.group(1)
        if via == "FINAL_VAR":
            value = value.strip("'\" ")
            if not value.isidentifier():
                continue
        elif len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        return TextFinal(via=via, value=value)
    return None

"""Syntax highlighting with pygments, as inline-styled HTML a QTextBrowser renders."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pygments.formatters.html import HtmlFormatter
    from pygments.lexer import Lexer


@lru_cache(maxsize=4)
def _formatter(style: str) -> HtmlFormatter[str]:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(noclasses=True, nowrap=True, style=style)


@lru_cache(maxsize=8)
def _lexer(language: str) -> Lexer:
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return get_lexer_by_name("text", stripnl=False, ensurenl=False)


def highlight_html(code: str, language: str = "python", style: str = "friendly") -> str:
    """`code` as highlighted HTML (a <pre> block with inline colours)."""
    from pygments import highlight

    body = highlight(code, _lexer(language), _formatter(style))
    return f'<pre style="margin:0; white-space:pre-wrap; font-family:monospace;">{body}</pre>'

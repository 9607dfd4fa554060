"""HTML to the text a reader would see (stdlib html.parser; scripts and styles dropped)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_HIDDEN = {"script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object"}
# Tags that start a paragraph (blank line around them) or just a new line.
_PARAGRAPHS = {
    "address", "article", "aside", "blockquote", "body", "details", "dl", "fieldset",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main",
    "nav", "ol", "p", "pre", "section", "table", "ul",
}
_LINES = {"br", "caption", "dd", "div", "dt", "figcaption", "li", "summary", "tr"}
_CELLS = {"td", "th"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_PROTECT = str.maketrans({"\n": "\ue000", " ": "\ue001", "\t": "\ue002"})
_RESTORE = str.maketrans({"\ue000": "\n", "\ue001": " ", "\ue002": "\t"})


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._hidden_depth = 0
        self._in_title = False
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.handle_startendtag(tag, attrs)
            return
        if tag == "title":
            self._in_title = True
        if tag in _HIDDEN:
            self._hidden_depth += 1
        elif tag == "pre":
            self._pre_depth += 1
        if tag in _PARAGRAPHS:
            self.parts.append("\n\n")
        elif tag in _LINES:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _PARAGRAPHS:
            self.parts.append("\n\n")
        elif tag in _LINES:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if tag == "title":
            self._in_title = False
        if tag in _HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        if tag in _PARAGRAPHS:
            self.parts.append("\n\n")
        elif tag == "div":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
            return
        if self._hidden_depth:
            return
        if self._pre_depth:
            # Keep preformatted text as is: hide its whitespace from the collapsing below.
            self.parts.append(data.translate(_PROTECT))
        else:
            self.parts.append(_SPACES.sub(" ", data.replace("\n", " ")))


def html_to_text(html: str) -> str:
    """Visible text of an HTML page: title first, one block per line, cells tab-separated."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    body = "".join(parser.parts)
    lines = [
        _SPACES.sub(lambda m: "\t" if "\t" in m.group() else " ", line).strip("\t ")
        for line in body.split("\n")
    ]
    text = "\n".join(lines).translate(_RESTORE)
    text = _BLANK_LINES.sub("\n\n", text).strip()
    title = " ".join("".join(parser.title).split())
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}" if text else title
    return text

"""The final answer of a run, and how it was given."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Event
from .payloads import FinalSource, FinalVia


@dataclass(kw_only=True)
class FinalAnswer(Event):
    kind = "final_answer"
    opens = "final_answer"
    answer: str = ""
    via: FinalVia = "FINAL"
    source: FinalSource = "code"  # "code": called in a cell; "text": written in the response
    var_name: str | None = None
    cell_id: str | None = None    # the cell that called it, when source == "code"

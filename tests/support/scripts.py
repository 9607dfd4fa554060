"""The one pair of helpers for scripted models: a root response with a repl block, and a script:FILE spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def repl(code: str, text: str = "") -> str:
    """A root response with one ```repl block (after `text`, when given)."""
    return f"{text}\n```repl\n{code}\n```\n"


def script(tmp_path: Path, name: str, **content: Any) -> str:
    """Write `content` ({"responses": [...]} or {"rules": [...], "default": ...}) and return its model spec."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return f"script:{path}"

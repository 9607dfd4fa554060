"""Scripted root models for bench tests: an oracle that solves S-NIAH with a regex, and a wrong policy."""

from __future__ import annotations

import json
from pathlib import Path

ORACLE_CODE = (
    "```repl\nimport re\n"
    "found = re.findall(r'special magic numbers for [\\w-]+ is: (\\d{7})', context)\n"
    "answer = found[0] if found else 'none'\nprint(answer)\n```\nFINAL_VAR(answer)")
WRONG = "```repl\nanswer = '0000000'\n```\nFINAL_VAR(answer)"


def write_script(folder: Path, name: str, response: str, **options: object) -> str:
    """A `script:` spec whose every call answers `response`."""
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"rules": [{"match": "", "content": response}], **options}), encoding="utf-8")
    return f"script:{path}"

"""The example documents shipped in resources/examples, offered to a new user."""

from __future__ import annotations

from pathlib import Path

import rlm_studio

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".csv", ".json", ".html", ".log")
DEFAULT_QUESTION = "What are the main points of this document? Cite the passages you rely on."
# The shipped long document and a question with one checkable answer (see resources/examples/README.md): a
# lookup the bundled model answers (the logbook's other questions need a larger model).
PREFERRED = ("station_logbook.txt", "What serial number was stencilled on the unlabelled steel crate?")


def examples_dir() -> Path:
    return Path(rlm_studio.__file__).resolve().parent.parent / "resources" / "examples"


def find_example() -> tuple[Path, str] | None:
    """The first example document and its question (from a sibling NAME.question.txt), or None."""
    folder = examples_dir()
    if not folder.is_dir():
        return None
    preferred = folder / PREFERRED[0]
    if preferred.is_file():
        return preferred, PREFERRED[1]
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES and ".question" not in path.name \
                and path.name.lower() != "readme.md":
            question_file = path.with_name(path.stem + ".question.txt")
            question = question_file.read_text(encoding="utf-8").strip() if question_file.is_file() else ""
            return path, question or DEFAULT_QUESTION
    return None

"""Released benchmark data from local files (`--data PATH`), in their published jsonl layouts.

- S-NIAH / RULER (`niah_single_*`, `niah_multikey_*`, `niah_multivalue` validation.jsonl):
  {"index", "input", "outputs", "length", ...}; `input` is RULER's whole prompt, split here into
  the context and the final question line.
- OOLONG (oolongbench/oolong-synth, rows exported to jsonl): {"id", "context_len", "dataset",
  "context_window_text", "question", "task_group", "task", "answer", "answer_type", ...}.
- OOLONG-Pairs: jsonl rows {"id", "context_window_text" (or "context"), "question", "answer"}
  where the answer lists the pairs "(a, b)".
- BrowseComp-Plus (the decrypted browsecomp_plus_decrypted.jsonl): {"query_id", "query", "answer",
  "evidence_docs", "gold_docs", "negative_docs"}, documents as {"docid", "text", "url"}.
- LongBench-v2 (data.json or jsonl): {"_id", "domain", "sub_domain", "difficulty", "length",
  "question", "choice_A".."choice_D", "answer", "context"}; codeqa keeps the domain
  "Code Repository Understanding".
Parquet needs pyarrow, which this build does not install: export the rows to jsonl first.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .task import Task
from .tokens import count_tokens

CODE_DOMAIN = "Code Repository Understanding"


class DataError(ValueError):
    """A data file that cannot be read in the layout its family expects; the message says which line."""


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".jsonl", ".json"))
        if not files:
            raise DataError(f"{path}: no .jsonl or .json files in this folder")
        for file in files:
            yield from read_rows(file)
        return
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.suffix == ".parquet":
        raise DataError(f"{path}: parquet needs pyarrow, which is not installed; export the rows to jsonl "
                        "(e.g. datasets' to_json) and pass that file")
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: not valid JSON ({exc})") from None
        for row in rows:
            if not isinstance(row, dict):
                raise DataError(f"{path}: expected a list of objects")
            yield row
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}, line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}, line {number}: expected a JSON object")
        yield row


def _need(row: dict[str, Any], fields: tuple[str, ...], where: str) -> None:
    missing = [f for f in fields if f not in row]
    if missing:
        raise DataError(f"{where}: missing field(s) {', '.join(missing)}")


def _ruler(row: dict[str, Any], i: int, family: str, where: str) -> Task:
    _need(row, ("input", "outputs"), where)
    prompt = str(row["input"]).rstrip()
    head, _, last = prompt.rpartition("\n")
    question = last.strip() or prompt
    answers = [str(a) for a in row["outputs"]]
    return Task(id=f"{family}-data-{row.get('index', i)}", family=family, size_tokens=int(row.get("length") or
                count_tokens(head)), context=head, question=question, answers=answers, scorer="string_match_all",
                meta={"source": "ruler", "index": row.get("index", i)})


def _oolong(row: dict[str, Any], i: int, family: str, where: str) -> Task:
    context = row.get("context_window_text", row.get("context"))
    if context is None:
        raise DataError(f"{where}: missing field context_window_text")
    _need(row, ("question", "answer"), where)
    answer = row["answer"]
    if isinstance(answer, str) and answer.startswith("[") and family == "oolong":
        try:  # oolong-synth stores answers like "['location']" or "[12]"
            parsed = ast.literal_eval(answer)
            answer = parsed[0] if isinstance(parsed, list) and len(parsed) == 1 else answer
        except (ValueError, SyntaxError):
            pass
    return Task(id=f"{family}-data-{row.get('id', i)}", family=family,
                size_tokens=int(row.get("context_len") or count_tokens(str(context))), context=str(context),
                question=str(row["question"]), answers=[str(answer)],
                scorer="oolong" if family == "oolong" else "pair_f1",
                meta={"source": "oolong", "task": row.get("task"), "dataset": row.get("dataset")})


def _browsecomp(row: dict[str, Any], i: int, family: str, where: str) -> Task:
    _need(row, ("query", "answer"), where)
    docs: dict[str, str] = {}
    for field_name in ("evidence_docs", "gold_docs", "negative_docs"):
        for doc in row.get(field_name) or []:
            if isinstance(doc, dict) and "text" in doc:
                docs.setdefault(str(doc.get("docid", len(docs))), str(doc["text"]))
    if not docs:
        raise DataError(f"{where}: the query has no documents (evidence_docs, gold_docs, negative_docs)")
    return Task(id=f"browsecomp-data-{row.get('query_id', i)}", family=family,
                size_tokens=count_tokens("\n\n".join(docs.values())), context=docs, question=str(row["query"]),
                answers=[str(row["answer"])], scorer="exact",
                meta={"source": "browsecomp-plus", "documents": len(docs)})


def _longbench(row: dict[str, Any], i: int, family: str, where: str) -> Task | None:
    _need(row, ("question", "choice_A", "choice_B", "choice_C", "choice_D", "answer", "context"), where)
    if row.get("domain") and row["domain"] != CODE_DOMAIN:
        return None
    question = (f"{row['question']}\n" + "\n".join(f"({k}) {row['choice_' + k]}" for k in "ABCD")
                + "\nAnswer with the letter of the correct option, in the form 'The correct answer is (X)'.")
    return Task(id=f"codeqa-data-{row.get('_id', i)}", family=family, size_tokens=count_tokens(str(row["context"])),
                context=str(row["context"]), question=question, answers=[str(row["answer"]).strip()],
                scorer="choice", meta={"source": "longbench-v2", "difficulty": row.get("difficulty"),
                                       "length": row.get("length")})


READERS = {"sniah": _ruler, "sniah-multikey": _ruler, "sniah-multivalue": _ruler, "oolong": _oolong,
           "oolong-pairs": _oolong, "browsecomp": _browsecomp, "codeqa": _longbench}


def load_family(family: str, data: str, *, n_tasks: int | None = None, sizes: list[int] | None = None) -> list[Task]:
    """The family's tasks from `data` (a file or a folder of files); `n_tasks` caps how many (0/None: all)."""
    if family not in READERS:
        raise DataError(f"no loader for {family!r}")
    path = Path(data).expanduser()
    reader = READERS[family]
    tasks: list[Task] = []
    for i, row in enumerate(read_rows(path)):
        task = reader(row, i, family, f"{path} row {i + 1}")
        if task is None:
            continue
        tasks.append(task)
        if n_tasks and len(tasks) >= n_tasks:
            break
    if not tasks:
        raise DataError(f"{path}: no {family} tasks found")
    return tasks

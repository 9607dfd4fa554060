"""LongBench-v2 CodeQA-style multiple choice (A-D) over a real code base: the running interpreter's standard
library, or a folder the user gives. Answers are computed from the code with `ast`, so they are exact."""

from __future__ import annotations

import ast
import functools
import random
import sysconfig
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..task import Task
from ..tokens import count_tokens, format_size

LETTERS = "ABCD"
SKIP_PARTS = {"test", "tests", "idlelib", "site-packages", "__pycache__", "lib2to3", "turtledemo", "ensurepip"}


@dataclass
class CodeFacts:
    """What the questions are computed from, per file."""

    defined: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))   # name -> files defining it
    calls: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))        # callee -> "file:function"
    functions: list[str] = field(default_factory=list)                                  # "file:function"
    eq_classes: dict[str, int] = field(default_factory=dict)                            # file -> classes with __eq__
    bases: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))        # base -> "file:class"
    classes: list[str] = field(default_factory=list)


def default_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


@functools.lru_cache(maxsize=4)
def python_files(root: Path) -> tuple[Path, ...]:
    files = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if SKIP_PARTS.intersection(rel.parts) or any(p.startswith(".") for p in rel.parts):
            continue
        files.append(path)
    return tuple(files)


@functools.lru_cache(maxsize=4096)
def _read(path: Path) -> tuple[str, int] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text, count_tokens(text)


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def read_facts(sources: dict[str, str]) -> CodeFacts:
    facts = CodeFacts()
    for name, source in sources.items():
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        eq = 0
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                facts.defined[node.name].append(name)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                where = f"{name}:{node.name}"
                facts.functions.append(where)
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Call):
                        called = _called_name(sub)
                        if called and called != node.name:
                            facts.calls[called].add(where)
            if isinstance(node, ast.ClassDef):
                facts.classes.append(f"{name}:{node.name}")
                if any(isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)) and b.name == "__eq__"
                       for b in node.body):
                    eq += 1
                for base in node.bases:
                    if isinstance(base, ast.Name):
                        facts.bases[base.id].add(f"{name}:{node.name}")
                    elif isinstance(base, ast.Attribute):
                        facts.bases[base.attr].add(f"{name}:{node.name}")
        facts.eq_classes[name] = eq
    return facts


def _options(rng: random.Random, right: str, wrong: list[str]) -> tuple[list[str], str] | None:
    wrong = sorted(set(wrong) - {right})
    if len(wrong) < 3:
        return None
    options = rng.sample(wrong, 3) + [right]
    rng.shuffle(options)
    return options, LETTERS[options.index(right)]


def _ask_caller(rng: random.Random, f: CodeFacts) -> tuple[str, list[str], str] | None:
    callees = sorted(c for c, who in f.calls.items() if 1 <= len(who) <= 3 and c in f.defined)
    if not callees:
        return None
    callee = rng.choice(callees)
    right = rng.choice(sorted(f.calls[callee]))
    made = _options(rng, right, [fn for fn in f.functions if fn not in f.calls[callee]])
    if made is None:
        return None
    return f"Which of these functions calls `{callee}` (directly, in its own body)?", made[0], made[1]


def _ask_definition(rng: random.Random, f: CodeFacts, files: list[str]) -> tuple[str, list[str], str] | None:
    names = sorted(n for n, where in f.defined.items() if len(where) == 1 and not n.startswith("_"))
    if not names or len(files) < 4:
        return None
    name = rng.choice(names)
    made = _options(rng, f.defined[name][0], files)
    if made is None:
        return None
    return f"In which file is `{name}` defined at module level?", made[0], made[1]


def _ask_eq(rng: random.Random, f: CodeFacts) -> tuple[str, list[str], str] | None:
    with_classes = sorted(n for n, c in f.eq_classes.items() if c > 0) or sorted(f.eq_classes)
    if not with_classes:
        return None
    name = rng.choice(with_classes)
    right = f.eq_classes[name]
    wrong = [str(v) for v in range(max(0, right - 3), right + 5) if v != right]
    made = _options(rng, str(right), wrong)
    if made is None:
        return None
    return (f"How many classes defined at module level in `{name}` define their own `__eq__` method?",
            made[0], made[1])


def _ask_subclass(rng: random.Random, f: CodeFacts) -> tuple[str, list[str], str] | None:
    bases = sorted(b for b, subs in f.bases.items() if 1 <= len(subs) <= 3 and b in f.defined)
    if not bases:
        return None
    base = rng.choice(bases)
    right = rng.choice(sorted(f.bases[base]))
    made = _options(rng, right, [c for c in f.classes if c not in f.bases[base]])
    if made is None:
        return None
    return f"Which of these classes is a direct subclass of `{base}`?", made[0], made[1]


def select_sources(root: Path, size_tokens: int, rng: random.Random) -> tuple[dict[str, str], int]:
    """Whole files of the code base, in a seeded order, as many as fit in `size_tokens`."""
    files = list(python_files(root))
    if not files:
        raise ValueError(f"{root}: no Python files to ask about")
    rng.shuffle(files)
    chosen: dict[str, str] = {}
    used = 0
    for path in files:
        if path.stat().st_size > size_tokens * 8:   # far too large: skip without reading
            continue
        read = _read(path)
        if read is None:
            continue
        text, tokens = read
        if used + tokens > size_tokens:
            if used > size_tokens * 0.9:
                break
            continue
        chosen[path.relative_to(root).as_posix()] = text
        used += tokens
    if not chosen:
        raise ValueError(f"{root}: no file fits in {size_tokens} tokens")
    return chosen, used


def generate(n_tasks: int, size_tokens: int, seed: int = 0, code_root: str | None = None) -> list[Task]:
    root = Path(code_root).expanduser() if code_root else default_root()
    if not root.is_dir():
        raise ValueError(f"{root}: not a folder")
    tasks = []
    for i in range(n_tasks):
        rng = random.Random(f"codeqa:{root.name}:{size_tokens}:{seed}:{i}")
        sources, tokens = select_sources(root, size_tokens, rng)
        facts = read_facts(sources)
        asked = None
        for attempt in range(8):
            kind = (i + seed + attempt) % 4
            asked = (_ask_caller(rng, facts) if kind == 0 else _ask_definition(rng, facts, sorted(sources))
                     if kind == 1 else _ask_eq(rng, facts) if kind == 2 else _ask_subclass(rng, facts))
            if asked is not None:
                break
        if asked is None:
            raise ValueError(f"{root}: too little code at {size_tokens} tokens to ask a question about")
        question, options, letter = asked
        text = (f"{question}\n" + "\n".join(f"({LETTERS[k]}) {o}" for k, o in enumerate(options))
                + "\nAnswer with the letter of the correct option, in the form 'The correct answer is (X)'.")
        tasks.append(Task(id=f"codeqa-{format_size(size_tokens)}-{i:04d}", family="codeqa", size_tokens=tokens,
                          context=sources, question=text, answers=[letter], scorer="choice",
                          meta={"kind": ["caller", "definition", "eq", "subclass"][kind], "options": options,
                                "files": len(sources), "root": str(root), "target_tokens": size_tokens,
                                "seed": seed}))
    return tasks

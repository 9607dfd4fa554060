"""Filler text for generated tasks: real prose and code found on this machine, plus RULER's repeated sentences.

Sources are split into a training group and a held-out group, so the evaluation can measure haystacks
the model never saw in training.
"""

from __future__ import annotations

import gzip
import random
import re
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

RULER_SENTENCES = ("The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. ")
_MAX_FILE_CHARS = 200_000
_ROFF = re.compile(r"^\.[A-Za-z]{1,3}\b ?|\\f[BIRP]|\\-|\\\(..|\\&|\\e", re.MULTILINE)


@dataclass
class HaystackSource:
    """Texts of one kind ("python", "licenses", ...); `texts()` loads them once."""

    name: str
    paths: list[Path]
    kind: str  # "prose" | "code"
    _cache: list[str] = field(default_factory=list)

    def texts(self) -> list[str]:
        if not self._cache:
            for path in self.paths:
                text = _read(path)
                if text and len(text) > 2000:
                    self._cache.append(text)
        return self._cache


def _read(path: Path) -> str:
    try:
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
        text = raw[:_MAX_FILE_CHARS].decode("utf-8")
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile):
        return ""
    if "/man/" in str(path):
        text = _ROFF.sub("", text)
    return text.replace("\r\n", "\n")


def _stdlib_files(names: tuple[str, ...]) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return [p for n in names for p in sorted((root / n).glob("*.py"))] + \
        [p for n in names if (p := root / f"{n}.py").is_file()]


def _site_docs() -> list[Path]:
    found: list[Path] = []
    for folder in {Path(p) for p in sys.path if p.endswith("site-packages")}:
        found.extend(sorted(folder.glob("*.dist-info/METADATA"))[:400])
    return found


def training_sources() -> list[HaystackSource]:
    stdlib_a = ("asyncio", "email", "json", "http", "logging", "argparse", "textwrap", "shutil", "tarfile",
                "zipfile", "unittest", "urllib", "xml/dom", "collections", "importlib", "csv", "calendar",
                "difflib", "pathlib", "socket", "subprocess", "threading", "typing", "dataclasses")
    doc = Path("/usr/share/doc")
    return [
        HaystackSource("python-stdlib", _stdlib_files(stdlib_a), "code"),
        HaystackSource("licenses", sorted(p for p in Path("/usr/share/common-licenses").glob("*") if p.is_file()),
                       "prose"),
        HaystackSource("package-docs", sorted(doc.glob("*/*.md")) + sorted(doc.glob("*/README*"))
                       + sorted(doc.glob("*/NEWS*"))[:80] + sorted(doc.glob("*/changelog.gz"))[:80], "prose"),
        HaystackSource("package-metadata", _site_docs(), "prose"),
    ]


def heldout_sources() -> list[HaystackSource]:
    """Never used for training data: man pages and other stdlib modules."""
    man = Path("/usr/share/man/man1")
    stdlib_b = ("multiprocessing", "sqlite3", "tomllib", "concurrent/futures", "wsgiref", "ctypes", "idlelib",
                "pydoc_data", "lib2to3", "ensurepip", "venv", "html", "statistics", "fractions", "decimal")
    return [HaystackSource("man-pages", sorted(man.glob("*.gz"))[:500], "prose"),
            HaystackSource("python-stdlib-heldout", _stdlib_files(stdlib_b), "code")]


def filler(rng: random.Random, sources: list[HaystackSource], chars: int, *, ruler_share: float = 0.25) -> str:
    """About `chars` characters of filler: RULER's repeated sentences, or a concatenation of real texts."""
    if rng.random() < ruler_share:
        return (RULER_SENTENCES * (chars // len(RULER_SENTENCES) + 1))[:chars]
    usable = [s for s in sources if s.texts()]
    source = rng.choice(usable)
    parts: list[str] = []
    total = 0
    while total < chars:
        text = rng.choice(source.texts())
        start = rng.randrange(0, max(1, len(text) - 1000))
        piece = text[start:start + rng.randint(3000, 60000)]
        parts.append(piece)
        total += len(piece) + 2
    return "\n\n".join(parts)[:chars]


def split_at_line(text: str, at: int) -> int:
    """The nearest line start at or after `at` (so a needle goes between lines, as in real documents)."""
    nl = text.find("\n", at)
    return len(text) if nl < 0 else nl + 1

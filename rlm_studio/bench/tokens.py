"""Token counts with a real offline tokenizer: tiktoken's o200k_base (GPT-5's), from the files litellm ships.

Pointing tiktoken at litellm's bundled tokenizer files avoids importing litellm itself (~5 s).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from typing import Any

ENCODING = "o200k_base"


@functools.lru_cache(maxsize=1)
def _encoding() -> Any:
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        spec = importlib.util.find_spec("litellm")
        if spec is not None and spec.origin:
            bundled = os.path.join(os.path.dirname(spec.origin), "litellm_core_utils", "tokenizers")
            if os.path.isdir(bundled):
                os.environ["TIKTOKEN_CACHE_DIR"] = bundled
    if "TIKTOKEN_CACHE_DIR" not in os.environ:  # e.g. a frozen build: litellm's own module sets the folder
        import litellm.litellm_core_utils.default_encoding  # noqa: F401
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Tokens of `text` (special-token strings are counted as plain text)."""
    return len(_encoding().encode_ordinary(text))


SIZE_UNITS = {"k": 1024, "m": 1024 * 1024}


def parse_size(text: str) -> int:
    """'8k' -> 8192, '1m' -> 1048576 (powers of two, as RULER and the paper size them), '5000' -> 5000."""
    raw = text.strip().lower()
    if not raw:
        raise ValueError("an empty size")
    unit = SIZE_UNITS.get(raw[-1], 1)
    number = raw[:-1] if raw[-1] in SIZE_UNITS else raw
    try:
        value = float(number) * unit
    except ValueError:
        raise ValueError(f"{text!r} is not a size; write e.g. 8k, 32k, 1m or 5000") from None
    if value < 1:
        raise ValueError(f"size {text!r} must be positive")
    return int(value)


def parse_sizes(text: str) -> list[int]:
    return [parse_size(part) for part in text.split(",") if part.strip()]


def format_size(tokens: int) -> str:
    """8192 -> '8k', 1048576 -> '1m', 5000 -> '5000'."""
    if tokens >= SIZE_UNITS["m"] and tokens % SIZE_UNITS["m"] == 0:
        return f"{tokens // SIZE_UNITS['m']}m"
    if tokens >= SIZE_UNITS["k"] and tokens % SIZE_UNITS["k"] == 0:
        return f"{tokens // SIZE_UNITS['k']}k"
    return str(tokens)

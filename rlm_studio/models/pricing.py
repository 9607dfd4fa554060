"""Cost of a call in USD: user price overrides first, then litellm's bundled price table; unknown -> None."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .types import Usage


@dataclass(frozen=True)
class Price:
    """USD per 1 million tokens. `cached_input` defaults to the input price when a provider has no discount."""

    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None = None

    def __post_init__(self) -> None:
        for name in ("input_per_mtok", "output_per_mtok", "cached_input_per_mtok"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (int, float)) or value < 0):
                raise ValueError(f"price {name} must be a number >= 0, got {value!r}")

    def cost(self, usage: Usage) -> float:
        cached = min(usage.cached_tokens, usage.input_tokens)
        cached_price = self.input_per_mtok if self.cached_input_per_mtok is None else self.cached_input_per_mtok
        return ((usage.input_tokens - cached) * self.input_per_mtok + cached * cached_price
                + usage.output_tokens * self.output_per_mtok) / 1_000_000

    @classmethod
    def from_value(cls, value: Price | Mapping[str, Any] | tuple[Any, ...] | list[Any]) -> Price:
        """Accept a Price, {"input": 0.15, "output": 0.6[, "cached_input": ...]} or (input, output)."""
        if isinstance(value, Price):
            return value
        if isinstance(value, Mapping):
            try:
                return cls(float(value["input"]), float(value["output"]),
                           None if value.get("cached_input") is None else float(value["cached_input"]))
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"a price override needs numeric 'input' and 'output' ($ per 1M tokens), "
                                 f"got {dict(value)!r}") from None
        if isinstance(value, (tuple, list)) and len(value) in (2, 3):
            return cls(*(float(v) for v in value))
        raise ValueError(f"cannot read a price from {value!r}: use {{'input': X, 'output': Y}} ($ per 1M tokens)")


def normalize_overrides(overrides: Mapping[str, Any] | None) -> dict[str, Price]:
    return {model: Price.from_value(value) for model, value in (overrides or {}).items()}


def find_override(overrides: Mapping[str, Price], *names: str) -> Price | None:
    """Look a model up by each name given, also without its "provider/" prefix."""
    for name in names:
        if not name:
            continue
        for key in (name, name.split("/", 1)[-1]):
            if key in overrides:
                return overrides[key]
    return None


def table_cost(model: str, usage: Usage, provider: str | None = None, cache_write_tokens: int = 0) -> float | None:
    """Cost from litellm's bundled price table, or None when the table does not know the model.

    `cache_write_tokens`: input tokens the provider wrote to its prompt cache (Anthropic bills them above
    the input price); they are part of `usage.input_tokens`."""
    from ._litellm import litellm

    kwargs: dict[str, Any] = {"model": model, "prompt_tokens": usage.input_tokens,
                              "completion_tokens": usage.output_tokens}
    if provider:
        kwargs["custom_llm_provider"] = provider
    if usage.cached_tokens:
        kwargs["cache_read_input_tokens"] = usage.cached_tokens
    if cache_write_tokens:
        kwargs["cache_creation_input_tokens"] = cache_write_tokens
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(**kwargs)
    except Exception:  # litellm raises various errors for models it has no price for
        return None
    total = float(prompt_cost) + float(completion_cost)
    if total == 0.0 and usage.total_tokens > 0 and not _table_says_free(model, provider):
        return None
    return total


def _table_says_free(model: str, provider: str | None) -> bool:
    from ._litellm import litellm

    try:
        info = litellm.get_model_info(model, custom_llm_provider=provider)
    except Exception:
        return False
    return info.get("input_cost_per_token") == 0 and info.get("output_cost_per_token") == 0


def call_cost(usage: Usage, *, models: tuple[str, ...], overrides: Mapping[str, Price], is_local: bool,
              provider: str | None = None, cache_write_tokens: int = 0) -> float | None:
    """Local -> 0.0; an override -> exact; else the bundled table, trying each model name; unknown -> None."""
    if is_local:
        return 0.0
    override = find_override(overrides, *models)
    if override is not None:
        return override.cost(usage)
    for model in models:
        if model:
            cost = table_cost(model, usage, provider, cache_write_tokens)
            if cost is not None:
                return cost
    return None

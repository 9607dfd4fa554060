"""A cost estimate before a bench starts: token counts per task and method, priced with litellm's table.

Rough by nature (an RLM decides at run time how much it reads); an unknown price stays unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .spec import TaskSpec

ROOT_ITERATIONS = 6          # a typical RLM run's root turns
ROOT_PROMPT_TOKENS = 3_000   # system prompt + history per root turn
ROOT_OUTPUT_TOKENS = 400
SUB_OUTPUT_TOKENS = 200
DEFAULT_WINDOW = 128_000


@dataclass
class Estimate:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    unknown_models: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return not self.unknown_models

    def describe(self) -> str:
        tokens = f"about {self.input_tokens:,} input and {self.output_tokens:,} output tokens"
        if self.unknown_models:
            return f"{tokens}; cost unknown (no price for {', '.join(self.unknown_models)})" + (
                f", at least ${self.cost_usd:.4f}" if self.cost_usd else "")
        return f"{tokens}; about ${self.cost_usd:.4f}"


def _tokens(spec: TaskSpec, window: int) -> dict[str, tuple[int, int]]:
    """(input, output) tokens per model role for one spec."""
    size = spec.task.size_tokens
    if spec.method == "rlm":
        calls = max(1, -(-size // max(1, window // 2)))
        return {"root": (ROOT_ITERATIONS * ROOT_PROMPT_TOKENS, ROOT_ITERATIONS * ROOT_OUTPUT_TOKENS),
                "sub": (size + calls * 200, calls * SUB_OUTPUT_TOKENS)}
    if spec.method == "rlm-no-subcalls":
        return {"root": (ROOT_ITERATIONS * ROOT_PROMPT_TOKENS, ROOT_ITERATIONS * ROOT_OUTPUT_TOKENS)}
    if spec.method == "summary":
        chunks = max(1, -(-size // max(1, int(window * 0.6))))
        return {"root": (size + chunks * int(window * 0.25), chunks * int(window * 0.1))}
    return {"root": (min(size, window) + 100, SUB_OUTPUT_TOKENS)}


def _price(spec_name: str, model_settings: Any, cache: dict[str, Any]) -> Any:
    if spec_name not in cache:
        from rlm_studio.models.registry import resolve_model

        try:
            cache[spec_name] = resolve_model(spec_name, model_settings)
        except Exception:
            cache[spec_name] = None
    return cache[spec_name]


def estimate(specs: list[TaskSpec], model_settings: Any = None) -> Estimate:
    from rlm_studio.models.pricing import call_cost, normalize_overrides
    from rlm_studio.models.types import Usage

    total = Estimate()
    unknown: set[str] = set()
    clients: dict[str, Any] = {}
    overrides = normalize_overrides(getattr(model_settings, "price_overrides", None))
    for spec in specs:
        root = spec.settings.get("root_model") or "bundled"
        sub = spec.settings.get("sub_model") or root
        client = _price(root, model_settings, clients)
        window = int(getattr(client, "context_window", None) or DEFAULT_WINDOW)
        for role, (tin, tout) in _tokens(spec, window).items():
            name = root if role == "root" else sub
            model = _price(name, model_settings, clients)
            total.input_tokens += tin
            total.output_tokens += tout
            if model is None:
                unknown.add(name)
                continue
            calls = ROOT_ITERATIONS if role == "root" and spec.method.startswith("rlm") else 1
            if hasattr(model, "cost_usd") and name.startswith("script:"):
                total.cost_usd += float(model.cost_usd) * calls
                continue
            cost = call_cost(Usage(input_tokens=tin, output_tokens=tout),
                             models=(getattr(model, "model", name), name), overrides=overrides,
                             is_local=bool(getattr(model, "is_local", False)), provider=getattr(model, "provider", None))
            if cost is None:
                unknown.add(name)
            else:
                total.cost_usd += cost
    total.unknown_models = tuple(sorted(unknown))
    return total

"""Cost paths: litellm's bundled price table, unknown prices, user overrides, local models."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from rlm_studio.models.pricing import Price, call_cost, normalize_overrides
from rlm_studio.models.registry import ModelSettings, resolve_model
from rlm_studio.models.types import Usage
from tests.models.fake_openai_server import FakeOpenAIServer
from tests.models.helpers import MESSAGES

MOCK = {"mock_response": "hello"}  # litellm answers locally with usage 10 prompt / 20 completion tokens


def _table() -> dict:
    import importlib.util
    root = Path(importlib.util.find_spec("litellm").origin).parent
    return json.loads((root / "model_prices_and_context_window_backup.json").read_text())


def _mocked(spec: str, **settings) -> object:
    return resolve_model(spec, ModelSettings(extra_params={spec: MOCK}, **settings))


@pytest.mark.parametrize("spec, table_key", [
    ("gpt-4o-mini", "gpt-4o-mini"),
    ("claude-sonnet-4-5", "claude-sonnet-4-5"),
    ("gemini/gemini-2.5-flash", "gemini/gemini-2.5-flash"),
])
def test_cost_from_bundled_price_table(spec, table_key):
    response = asyncio.run(_mocked(spec).complete(MESSAGES))
    entry = _table()[table_key]
    expected = 10 * entry["input_cost_per_token"] + 20 * entry["output_cost_per_token"]
    assert (response.usage.input_tokens, response.usage.output_tokens) == (10, 20)
    assert response.cost_usd == pytest.approx(expected, rel=1e-9)
    assert response.cost_usd > 0


def test_unknown_price_is_none_not_zero():
    response = asyncio.run(_mocked("openai/my-private-finetune").complete(MESSAGES))
    assert response.usage.output_tokens == 20
    assert response.cost_usd is None


def test_override_price_is_exact_and_wins_over_table():
    response = asyncio.run(_mocked("gpt-4o-mini", price_overrides={"gpt-4o-mini": {"input": 1.0, "output": 2.0}})
                           .complete(MESSAGES))
    assert response.cost_usd == pytest.approx((10 * 1.0 + 20 * 2.0) / 1_000_000, rel=1e-12)


def test_override_gives_a_price_to_an_unknown_model():
    spec = "openai/my-private-finetune"
    response = asyncio.run(_mocked(spec, price_overrides={spec: (0.5, 1.5)}).complete(MESSAGES))
    assert response.cost_usd == pytest.approx((10 * 0.5 + 20 * 1.5) / 1_000_000, rel=1e-12)


def test_local_server_costs_zero_even_with_a_table_price():
    with FakeOpenAIServer() as srv:
        model = resolve_model("openai/gpt-4o-mini", ModelSettings(api_bases={"openai/gpt-4o-mini": srv.base_url}))
        assert model.is_local
        response = asyncio.run(model.complete(MESSAGES))
    assert response.cost_usd == 0.0


def test_cached_tokens_use_the_cached_price():
    price = Price(input_per_mtok=2.0, output_per_mtok=8.0, cached_input_per_mtok=0.5)
    usage = Usage(input_tokens=1000, output_tokens=100, cached_tokens=400)
    assert price.cost(usage) == pytest.approx((600 * 2.0 + 400 * 0.5 + 100 * 8.0) / 1e6)


def test_table_cost_counts_cache_reads_at_the_discounted_rate():
    entry = _table()["gpt-4o-mini"]
    usage = Usage(input_tokens=1000, output_tokens=0, cached_tokens=1000)
    cost = call_cost(usage, models=("gpt-4o-mini",), overrides={}, is_local=False)
    assert cost == pytest.approx(1000 * entry["cache_read_input_token_cost"], rel=1e-9)


@pytest.mark.parametrize("bad", [{"input": "cheap"}, {"output": 1}, "free", (1,), {"input": -1, "output": 1}])
def test_malformed_override_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="price|must be"):
        normalize_overrides({"m": bad})
    with pytest.raises(ValueError):
        ModelSettings(price_overrides={"m": bad})

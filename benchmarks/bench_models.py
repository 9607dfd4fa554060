"""Model-layer figures: bundled model speed, and the layer's overhead per call against a raw HTTP request.

Usage: .venv/bin/python benchmarks/bench_models.py [--json] [--calls N] [--skip-bundled]
Overhead is measured against a tiny local OpenAI-format server (so model time does not hide it) and against
the real bundled llama.cpp server. "layer" = LiteLLMModel.complete; "litellm" = litellm.acompletion alone;
"raw" = one httpx POST of the same request on a kept-alive connection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rlm_studio.models.litellm_client import LiteLLMModel  # noqa: E402
from tests.models.fake_openai_server import FakeOpenAIServer  # noqa: E402

MESSAGES = [{"role": "user", "content": "Say hello in five words."}]


async def _timed(fn, calls: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        await fn()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - started) * 1000.0)
    return samples


async def overhead(base_url: str, model_id: str, calls: int, max_tokens: int | None = None) -> dict:
    """Median ms per call for raw httpx, litellm alone and the full layer, interleaved to share any drift."""
    import httpx

    from rlm_studio.models._litellm import litellm

    body = {"model": model_id, "messages": MESSAGES}
    extra = {}
    if max_tokens:
        body["max_tokens"] = max_tokens
        extra["max_tokens"] = max_tokens
        body["temperature"] = 0
        extra["temperature"] = 0
    model = LiteLLMModel(f"openai/{model_id}", api_base=base_url, context_window=None, max_retries=0,
                         max_output_tokens=max_tokens, temperature=0 if max_tokens else None)
    async with httpx.AsyncClient(timeout=120, trust_env=False) as client:
        async def raw():
            resp = await client.post(f"{base_url}/chat/completions", json=body,
                                     headers={"Authorization": "Bearer sk-local-no-key"})
            resp.raise_for_status()
            resp.json()

        async def bare():
            await litellm.acompletion(model=f"openai/{model_id}", messages=MESSAGES, api_base=base_url,
                                      api_key="sk-local-no-key", max_retries=0, num_retries=0, **extra)

        async def layer():
            await model.complete(MESSAGES)

        results: dict[str, list[float]] = {"raw": [], "litellm": [], "layer": []}
        rounds = 5
        for _ in range(rounds):  # interleave the three so background load hits them alike
            for name, fn in (("raw", raw), ("litellm", bare), ("layer", layer)):
                results[name] += await _timed(fn, max(1, calls // rounds), warmup=2)
    med = {k: statistics.median(v) for k, v in results.items()}
    return {"calls_each": len(results["raw"]), "raw_ms": round(med["raw"], 3), "litellm_ms": round(med["litellm"], 3),
            "layer_ms": round(med["layer"], 3),
            "layer_overhead_vs_raw_ms": round(med["layer"] - med["raw"], 3),
            "own_overhead_vs_litellm_ms": round(med["layer"] - med["litellm"], 3)}


async def bundled_speed(runs: int = 3, max_tokens: int = 128) -> dict:
    from rlm_studio.models.local_server import bundled_server
    from rlm_studio.models.registry import ModelSettings, resolve_model

    server = bundled_server()
    started = time.perf_counter()
    base = server.start()
    start_s = time.perf_counter() - started
    model = resolve_model("bundled", ModelSettings(bundled_max_output_tokens=max_tokens, temperature=0.8))
    prompt = [{"role": "user", "content": "Write a short story about a lighthouse keeper and a storm."}]
    rates, outs = [], []
    await model.complete(prompt)  # warm-up
    for _ in range(runs):
        response = await model.complete(prompt)
        rates.append(response.usage.output_tokens / (response.latency_ms / 1000.0))
        outs.append(response.usage.output_tokens)
    return {"server_start_s": round(start_s, 2), "tokens_per_s": round(statistics.median(rates), 1),
            "output_tokens": outs, "n_threads": server.n_threads, "base_url": base}


async def main_async(args: argparse.Namespace) -> dict:
    report: dict = {"cpu_count": os.cpu_count()}
    with FakeOpenAIServer() as srv:
        report["fake_server"] = await overhead(srv.base_url, "fake-model", args.calls)
    if not args.skip_bundled:
        report["bundled"] = await bundled_speed()
        report["bundled_overhead"] = await overhead(report["bundled"]["base_url"], "smollm2-135m-instruct",
                                                    max(10, args.calls // 10), max_tokens=1)
        from rlm_studio.models.local_server import stop
        stop()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--calls", type=int, default=200, help="calls per variant against the fake server")
    parser.add_argument("--skip-bundled", action="store_true", help="do not start the bundled model")
    args = parser.parse_args()
    report = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(report))
        return
    fake = report["fake_server"]
    print(f"fake OpenAI server, {fake['calls_each']} calls each (median ms/call):")
    print(f"  raw httpx {fake['raw_ms']:.2f} | litellm.acompletion {fake['litellm_ms']:.2f} | "
          f"LiteLLMModel.complete {fake['layer_ms']:.2f}")
    print(f"  layer overhead vs raw HTTP: {fake['layer_overhead_vs_raw_ms']:.2f} ms "
          f"(of which our own code over litellm: {fake['own_overhead_vs_litellm_ms']:.2f} ms); target < 2 ms")
    if "bundled" in report:
        b, o = report["bundled"], report["bundled_overhead"]
        print(f"bundled SmolLM2-135M: server start {b['server_start_s']} s, {b['tokens_per_s']} output tokens/s "
              f"({b['n_threads']} threads, outputs {b['output_tokens']} tokens)")
        print(f"  1-token calls, {o['calls_each']} each: raw {o['raw_ms']:.1f} | litellm {o['litellm_ms']:.1f} | "
              f"layer {o['layer_ms']:.1f} ms; layer overhead vs raw {o['layer_overhead_vs_raw_ms']:.2f} ms")


if __name__ == "__main__":
    main()

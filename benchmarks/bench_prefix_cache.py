"""Root calls that reuse their prefix, with the bundled model (llama.cpp) on this machine.

Usage: .venv/bin/python benchmarks/bench_prefix_cache.py [--iterations 20] [--at 10] [--json]

A scripted-history run: the root conversation of an RLM (the engine's own History, system prompt, first
message and compaction) grows by one scripted response and one REPL output per iteration, and between two
root calls a sub-call (`llm_query`, a different prompt) goes to the same server, as it does in a run whose
sub-model is the bundled one. Each root call goes through the app's model layer (LiteLLMModel, streamed,
as the engine sends it). Two servers are compared:

- `off`: llama.cpp's server as started before this change: its one KV cache holds the last prompt only,
  so the sub-call in between evicts the root conversation and every root call evaluates it again;
- `on`: the server with its prompt cache (`--cache True`, RAM): the root conversation's state is kept and
  restored, so only the new messages are evaluated.

Printed: the root call's time at iteration `--at` in both, and over the whole run the prompt tokens
evaluated ("billed at full price": the server's own log says how many of each prompt it reused), plus how
many root calls shared their whole previous prompt as prefix (compaction breaks that; see engine/history).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rlm_studio.engine.history import COMPACTION_TARGET, History, Turn, shared_prefix_messages  # noqa: E402
from rlm_studio.engine.prompts import BUNDLED_SYSTEM_PROMPT, context_metadata, first_user_message  # noqa: E402
from rlm_studio.models import local_server  # noqa: E402
from rlm_studio.models.litellm_client import LiteLLMModel  # noqa: E402

PREFIX_HIT = re.compile(r"Llama\.generate: (\d+) prefix-match hit, remaining (\d+) prompt tokens to eval")
FULL_HIT = re.compile(r"Llama\.generate: full prompt already cached")
CONTEXT = "\n".join(f"Record {i}: shipment {i * 7919 % 100000:05d} left dock {i % 12} on day {i % 365}."
                    for i in range(20000))


def scripted_turn(i: int) -> Turn:
    """A plausible root response (one repl block) and a REPL output of a few hundred tokens."""
    code = f"hits = [l for l in context.splitlines() if 'dock {i % 12}' in l]\nprint(len(hits), hits[{i}:{i + 5}])"
    response = f"Iteration {i}: I look at dock {i % 12}.\n```repl\n{code}\n```"
    lines = [f"Record {j}: shipment {j * 7919 % 100000:05d} left dock {i % 12} on day {j % 365}."
             for j in range(i * 5, i * 5 + 5)]
    feedback = f"Output of block 1 (iteration {i}):\n{len(lines) * 40} {lines}\nContinue, or answer with FINAL(answer)."
    return Turn(i, response, feedback)


class Server:
    """The bundled llama.cpp server, verbose, so its log says how much of each prompt it reused."""

    def __init__(self, cache: bool, threads: int):
        self.port = local_server._free_port()
        cmd = [sys.executable, "-m", "rlm_studio.models.bundled_server_main", "--model",
               str(local_server.find_bundled_gguf()), "--model_alias", "bench", "--host", "127.0.0.1",
               "--port", str(self.port), "--n_ctx", str(local_server.BUNDLED_N_CTX), "--n_threads", str(threads),
               "--verbose", "True"]
        adapter = local_server.find_adapter()
        if adapter is not None:
            cmd += ["--lora_path", str(adapter)]
        if cache:
            cmd += ["--cache", "True", "--cache_type", "ram"]
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("the bundled server stopped while starting:\n" + "\n".join(self.lines[-20:]))
            try:
                if httpx.get(f"{self.base_url}/models", timeout=1.0, trust_env=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("the bundled server did not start in 120 s")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._lock:
                self.lines.append(line.rstrip())

    def mark(self) -> int:
        with self._lock:
            return len(self.lines)

    def since(self, mark: int) -> list[str]:
        with self._lock:
            return self.lines[mark:]

    def count_tokens(self, messages: list[dict[str, str]]) -> int:
        import httpx

        text = "\n".join(m["content"] for m in messages)
        resp = httpx.post(f"{self.base_url[:-3]}/extras/tokenize/count", json={"input": text}, timeout=30,
                          trust_env=False)
        return int(resp.json()["count"]) + local_server.TEMPLATE_TOKENS + 5 * len(messages)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def evaluated(lines: list[str], prompt_tokens: int) -> int:
    """Prompt tokens the server evaluated for one call (the rest came from its cache)."""
    for line in lines:
        if FULL_HIT.search(line):
            return 0
        hit = PREFIX_HIT.search(line)
        if hit:
            return int(hit.group(2))
    return prompt_tokens


def compaction_effect(iterations: int, window: int) -> dict[str, int]:
    """Root calls (of `iterations`) whose prompt extends the previous one, with compaction folding just under
    the budget (as before) and down to COMPACTION_TARGET of it (now); counted with the engine's estimate."""
    from rlm_studio.models.types import estimate_message_tokens

    out: dict[str, int] = {}
    for name, target in (("fold to the budget (before)", 1.0), (f"fold to {COMPACTION_TARGET:.0%} (now)", None)):
        history = History(system=BUNDLED_SYSTEM_PROMPT, first_user=first_user_message(
            "Which dock?", context_metadata(CONTEXT), iterations))
        budget = int(window * 0.75)
        previous: list[dict[str, str]] = []
        extended = 0
        for i in range(1, iterations + 1):
            history.compact(estimate_message_tokens, budget,
                            None if target is None else int(budget * target))
            messages = history.messages()
            if previous and shared_prefix_messages(previous, messages) == len(previous):
                extended += 1
            previous = messages
            history.turns.append(scripted_turn(i))
        out[name] = extended
    return out


async def one_run(cache: bool, iterations: int, at: int, threads: int) -> dict[str, Any]:
    server = Server(cache, threads)
    try:
        root = LiteLLMModel("openai/bench", api_base=server.base_url, is_local=True, context_window=None,
                            max_output_tokens=8, temperature=0.0, max_retries=0, timeout_s=600)
        sub = LiteLLMModel("openai/bench", api_base=server.base_url, is_local=True, context_window=None,
                           max_output_tokens=8, temperature=0.0, max_retries=0, timeout_s=600)
        history = History(system=BUNDLED_SYSTEM_PROMPT,
                          first_user=first_user_message("Which dock did shipment 04242 leave from?",
                                                        context_metadata(CONTEXT), iterations))
        budget = int(local_server.BUNDLED_N_CTX * 0.75) - 8
        calls: list[dict[str, Any]] = []
        previous: list[dict[str, str]] = []
        for i in range(1, iterations + 1):
            folded = history.compact(server.count_tokens, budget)
            messages = history.messages()
            prompt_tokens = server.count_tokens(messages)
            mark = server.mark()
            started = time.perf_counter()
            pieces: list[str] = []
            await root.complete(messages, stream=pieces.append)
            seconds = time.perf_counter() - started
            lines = server.since(mark)
            calls.append({"iteration": i, "seconds": seconds, "prompt_tokens": prompt_tokens,
                          "evaluated": min(prompt_tokens, evaluated(lines, prompt_tokens)),
                          "compacted": bool(folded),
                          "append_only": shared_prefix_messages(previous, messages) == len(previous)})
            previous = messages
            await sub.complete([{"role": "user", "content": f"Summarise record {i * 31}: shipment left dock."}])
            history.turns.append(scripted_turn(i))
        return {"cache": cache, "calls": calls, "at": calls[at - 1],
                "prompt_tokens": sum(c["prompt_tokens"] for c in calls),
                "evaluated": sum(c["evaluated"] for c in calls),
                "append_only": sum(c["append_only"] for c in calls[1:]), "compactions": sum(c["compacted"] for c in calls)}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--at", type=int, default=10, help="the iteration whose root call is timed")
    parser.add_argument("--off-iterations", type=int, default=None,
                        help="stop the cache-off run after this many iterations (default: --at; each of its "
                             "calls evaluates the whole prompt, which takes minutes on 2 busy cores)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not local_server.bundled_available():
        raise SystemExit("the bundled model is not installed: " + local_server.INSTALL_HINT)
    at = min(args.at, args.iterations)
    off_iterations = max(at, min(args.off_iterations or at, args.iterations))
    compaction = compaction_effect(100, 8192)
    off = asyncio.run(one_run(False, off_iterations, at, args.threads))
    on = asyncio.run(one_run(True, args.iterations, at, args.threads))
    if args.json:
        print(json.dumps({"off": off, "on": on, "compaction": compaction}, indent=2))
        return
    on_head = on["calls"][:off_iterations]
    on_head_evaluated = sum(c["evaluated"] for c in on_head)
    print(f"bundled model, scripted history, a sub-call between root calls ({args.threads} threads)")
    print(f"{'':36}{'cache off':>12}{'cache on':>12}")
    print(f"{'root call at iteration ' + str(at) + ' (s)':36}{off['at']['seconds']:>12.2f}"
          f"{on['at']['seconds']:>12.2f}   {off['at']['seconds'] / max(on['at']['seconds'], 1e-9):.1f}x faster")
    print(f"{'  its prompt tokens, evaluated':36}{off['at']['evaluated']:>12,}{on['at']['evaluated']:>12,}"
          f"   of {on['at']['prompt_tokens']:,}")
    print(f"{'tokens evaluated, iterations 1-' + str(off_iterations):36}{off['evaluated']:>12,}"
          f"{on_head_evaluated:>12,}   of {off['prompt_tokens']:,} prompt tokens")
    print(f"{'full-price tokens, ' + str(args.iterations) + ' iterations':36}{on['prompt_tokens']:>12,}"
          f"{on['evaluated']:>12,}   {on['prompt_tokens'] / max(on['evaluated'], 1):.1f}x fewer"
          + ("" if off_iterations == args.iterations else
             f" (off: every prompt whole, as measured for 1-{off_iterations})"))
    print("root calls that extend the previous prompt, 100 iterations, 8K window: "
          + ", ".join(f"{k}: {v}" for k, v in compaction.items()))
    print("per call (on): " + ", ".join(f"{c['iteration']}:{c['seconds']:.1f}s/{c['evaluated']}"
                                         for c in on["calls"]))


if __name__ == "__main__":
    main()

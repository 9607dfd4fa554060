"""Find model servers already running on this machine (Ollama, LM Studio, llama.cpp, vLLM) with short probes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ServerProbe:
    name: str
    port: int
    kind: str  # "ollama" (probe /api/tags) or "openai" (probe /v1/models)


DEFAULT_PROBES: tuple[ServerProbe, ...] = (
    ServerProbe("Ollama", 11434, "ollama"),
    ServerProbe("LM Studio", 1234, "openai"),
    ServerProbe("llama.cpp server", 8080, "openai"),
    ServerProbe("vLLM", 8000, "openai"),
)


@dataclass
class LocalServer:
    name: str
    base_url: str          # what litellm's api_base should be
    models: list[str] = field(default_factory=list)
    provider: str = "openai"  # litellm provider prefix to use with base_url

    def model_spec(self, model: str) -> str:
        """The litellm model string for one of this server's models (pair it with `base_url` as api_base)."""
        return f"{self.provider}/{model}"


async def _probe(client: Any, host: str, probe: ServerProbe) -> LocalServer | None:
    root = f"http://{host}:{probe.port}"
    try:
        if probe.kind == "ollama":
            resp = await client.get(f"{root}/api/tags")
            resp.raise_for_status()
            models = [m.get("name") or m.get("model") for m in resp.json().get("models", [])]
            return LocalServer(probe.name, root, [m for m in models if m], provider="ollama_chat")
        resp = await client.get(f"{root}/v1/models")
        resp.raise_for_status()
        models = [m.get("id") for m in resp.json().get("data", [])]
        return LocalServer(probe.name, f"{root}/v1", [m for m in models if m], provider="openai")
    except Exception:  # nothing there, not this kind of server, or an unreadable answer
        return None


async def discover_local_servers(timeout: float = 0.3, *, host: str = "127.0.0.1",
                                 probes: Sequence[ServerProbe] = DEFAULT_PROBES) -> list[LocalServer]:
    """Probe every known port at once; returns the servers that answered, in probe order (empty if none)."""
    import httpx

    limits = httpx.Timeout(timeout)
    async with httpx.AsyncClient(timeout=limits, trust_env=False) as client:
        found = await asyncio.gather(*(_probe(client, host, p) for p in probes))
    return [server for server in found if server is not None]


def probe_context_window(base_url: str, model: str, timeout: float = 0.5) -> int | None:
    """Ask an OpenAI-compatible local server for its context length (vLLM, llama.cpp, LM Studio); None if it won't say."""
    import httpx

    root = base_url.rstrip("/")
    if root.endswith("/v1"):
        root = root[:-3]
    bare = model.split("/", 1)[-1]
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            probes: tuple[tuple[str, Callable[[Any], Any]], ...] = (
                (f"{root}/v1/models", lambda d: next((m.get("max_model_len") for m in d.get("data", [])
                                                      if m.get("id") == bare), None)),
                (f"{root}/props", lambda d: (d.get("default_generation_settings") or {}).get("n_ctx")),
                (f"{root}/api/v0/models/{bare}", lambda d: d.get("loaded_context_length")
                 or d.get("max_context_length")),
            )
            for url, pick in probes:
                try:
                    resp = client.get(url)
                    if resp.status_code == 200:
                        value = pick(resp.json())
                        if isinstance(value, int) and value > 0:
                            return value
                except (httpx.HTTPError, ValueError, AttributeError):
                    continue
    except httpx.HTTPError:
        return None
    return None

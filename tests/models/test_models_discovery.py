"""Local server discovery: fast and empty when nothing runs, finds real servers on injected ports."""

from __future__ import annotations

import asyncio
import socket

from rlm_studio.models.discovery import LocalServer, ServerProbe, discover_local_servers, probe_context_window
from tests.models.fake_openai_server import FakeOpenAIServer


def _closed_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def bounded(coro, limit_s: float = 60.0):
    """Run `coro`; a probe that ignored its timeout would hang, and is failed here instead (speed itself is
    the benchmarks' business: this bound is far above any honest run, even on a loaded machine)."""
    return asyncio.run(asyncio.wait_for(coro, limit_s))


def test_nothing_running_returns_empty():
    probes = [ServerProbe(f"p{i}", port, kind) for i, (port, kind)
              in enumerate(zip(_closed_ports(4), ["ollama", "openai", "openai", "openai"]))]
    assert bounded(discover_local_servers(timeout=0.3, probes=probes)) == []


def test_unresponsive_port_is_bounded_by_the_timeout():
    with socket.socket() as listener:  # accepts connections but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        probes = [ServerProbe("silent", listener.getsockname()[1], "openai")]
        assert bounded(discover_local_servers(timeout=0.3, probes=probes)) == []   # never answered: timed out


def test_default_probes_finish():
    found = bounded(discover_local_servers(timeout=0.3))
    assert isinstance(found, list) and all(isinstance(s, LocalServer) for s in found)


def test_finds_openai_compatible_and_ollama_servers():
    with FakeOpenAIServer(model_ids=("qwen2.5-7b", "llama-3.2-3b")) as srv:
        probes = [ServerProbe("LM Studio", srv.port, "openai"), ServerProbe("Ollama", srv.port, "ollama"),
                  ServerProbe("nothing", _closed_ports(1)[0], "openai")]
        found = asyncio.run(discover_local_servers(probes=probes))
    assert [s.name for s in found] == ["LM Studio", "Ollama"]
    lm, ollama = found
    assert lm.base_url == srv.base_url and lm.models == ["qwen2.5-7b", "llama-3.2-3b"]
    assert lm.model_spec("qwen2.5-7b") == "openai/qwen2.5-7b"
    assert ollama.base_url == f"http://127.0.0.1:{srv.port}" and ollama.model_spec("llama-3.2-3b") == \
        "ollama_chat/llama-3.2-3b"


def test_probe_context_window():
    with FakeOpenAIServer(model_ids=("m",), max_model_len=32768) as srv:
        assert probe_context_window(srv.base_url, "openai/m") == 32768
    with FakeOpenAIServer(model_ids=("m",)) as srv:
        assert probe_context_window(srv.base_url, "openai/m") is None

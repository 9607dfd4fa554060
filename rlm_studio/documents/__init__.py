"""Documents to text: files, folders and pasted text become the RLM's `context`.

No Qt here: the desktop app calls these from a worker thread with plain
progress(done, total) and cancel() callables.
"""

from .context import as_context, describe, run_context
from .document import Document, FolderLoad, Skipped, estimate_tokens, from_pasted_text
from .errors import DocumentError, LoadCancelled
from .file_backed import LARGE_DOCUMENT_BYTES, STREAMABLE_KINDS, FileBackedDocument, large_document_bytes
from .folder import DEFAULT_EXCLUDED_DIRS, DEFAULT_EXCLUDED_FILES, load_folder, load_paths
from .kinds import KINDS
from .load_report import encoding_lines, skipped_lines
from .loader import load_document

__all__ = [
    "DEFAULT_EXCLUDED_DIRS",
    "DEFAULT_EXCLUDED_FILES",
    "KINDS",
    "LARGE_DOCUMENT_BYTES",
    "STREAMABLE_KINDS",
    "Document",
    "FileBackedDocument",
    "DocumentError",
    "FolderLoad",
    "LoadCancelled",
    "Skipped",
    "as_context",
    "describe",
    "encoding_lines",
    "estimate_tokens",
    "from_pasted_text",
    "load_document",
    "large_document_bytes",
    "load_folder",
    "load_paths",
    "run_context",
    "skipped_lines",
]

"""Every run in SQLite: the event stream, the derived tree, blobs by hash, full-text search."""

from .errors import StorageError
from .paths import default_db_path
from .schema import LATEST_VERSION
from .store import Store
from .writer import EventWriter

__all__ = ["Store", "StorageError", "EventWriter", "default_db_path", "LATEST_VERSION"]

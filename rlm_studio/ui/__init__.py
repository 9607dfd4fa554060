"""The desktop app (PySide6 + qasync). The only package allowed to import Qt."""

from .qt_compat import protect_bools as _protect_bools

_protect_bools()  # before any signal is emitted: see qt_compat

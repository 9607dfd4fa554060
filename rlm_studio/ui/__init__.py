"""The desktop app (PySide6 + qasync). The only package allowed to import Qt."""

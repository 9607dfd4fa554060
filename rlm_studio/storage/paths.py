"""Where the database lives: --db, else $RLM_STUDIO_HOME/rlm_studio.db, else the user data directory."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "rlm-studio"
DB_FILE_NAME = "rlm_studio.db"


def data_dir() -> Path:
    """$RLM_STUDIO_HOME, else the user data directory: the database and the error log live here."""
    home = os.environ.get("RLM_STUDIO_HOME")
    if home:
        return Path(home).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / DB_FILE_NAME


def error_log_path() -> Path:
    """Where a command's unexpected error is written with its traceback (the terminal gets one line)."""
    return data_dir() / "logs" / "errors.log"


def resolve_db_path(path: str | os.PathLike[str] | None) -> Path:
    return Path(path).expanduser() if path else default_db_path()

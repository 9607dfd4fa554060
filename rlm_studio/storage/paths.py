"""Where the database lives: --db, else $RLM_STUDIO_HOME/rlm_studio.db, else the user data directory."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "rlm-studio"
DB_FILE_NAME = "rlm_studio.db"


def default_db_path() -> Path:
    home = os.environ.get("RLM_STUDIO_HOME")
    if home:
        return Path(home).expanduser() / DB_FILE_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / DB_FILE_NAME


def resolve_db_path(path: str | os.PathLike[str] | None) -> Path:
    return Path(path).expanduser() if path else default_db_path()

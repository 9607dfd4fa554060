"""The app's own settings, kept as JSON in the user config dir (never API keys: those live in the OS keyring)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

SETTINGS_FILE = "settings.json"
# Field names that must never reach the settings file, whatever a caller puts in `extra`.
_SECRET_WORDS = ("key", "secret", "token_value", "password")


def config_dir() -> Path:
    """$RLM_STUDIO_HOME when set, else the platform's user config dir for rlm-studio."""
    home = os.environ.get("RLM_STUDIO_HOME")
    if home:
        return Path(home).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("rlm-studio", appauthor=False))


@dataclass
class AppSettings:
    root_model: str = "bundled"
    sub_model: str = ""                 # empty: the same model as the root
    max_depth: int = 1
    max_iterations: int = 20
    cell_timeout_s: float = 120.0
    output_limit_chars: int = 20000
    batch_concurrency: int = 16
    isolation: str = "auto"             # "auto" | "bwrap" | "process"
    db_path: str = ""                   # empty: the storage default
    price_overrides: dict[str, dict[str, float]] = field(default_factory=dict)  # model -> {input, output} $/1M tok
    api_bases: dict[str, str] = field(default_factory=dict)  # model spec -> api_base (local servers)
    example_offered: bool = False
    failure_thresholds: dict[str, float] = field(default_factory=dict)  # analysis.detectors.Thresholds fields

    def thresholds(self) -> Any:
        """The failure-mode detectors' Thresholds (defaults for the fields not set)."""
        from rlm_studio.analysis.detectors import Thresholds

        return Thresholds.from_dict(self.failure_thresholds)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AppSettings:
        known = {f.name for f in fields(cls)}
        settings = cls(**{k: v for k, v in data.items() if k in known})
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ValueError naming the first bad value."""
        if not isinstance(self.root_model, str) or not self.root_model.strip():
            raise ValueError("the default root model is empty")
        for name in ("max_depth", "max_iterations", "output_limit_chars", "batch_concurrency"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (0 if name == "max_depth" else 1):
                raise ValueError(f"{name} must be a whole number, got {value!r}")
        if not isinstance(self.cell_timeout_s, (int, float)) or self.cell_timeout_s <= 0:
            raise ValueError(f"cell_timeout_s must be a positive number, got {self.cell_timeout_s!r}")
        if self.isolation not in ("auto", "bwrap", "process"):
            raise ValueError(f"isolation must be auto, bwrap or process, got {self.isolation!r}")
        if not isinstance(self.failure_thresholds, dict):
            raise ValueError("failure_thresholds must be an object of threshold names and numbers")
        self.thresholds()  # ValueError names an unknown or bad threshold
        for model, price in self.price_overrides.items():
            if not isinstance(price, dict) or not all(
                    isinstance(price.get(k), (int, float)) and price[k] >= 0 for k in ("input", "output")):
                raise ValueError(f"the price override for {model!r} needs numbers 'input' and 'output' >= 0")


def settings_path(directory: Path | None = None) -> Path:
    return (directory or config_dir()) / SETTINGS_FILE


def load_settings(path: Path | None = None) -> tuple[AppSettings, str | None]:
    """The saved settings (defaults when there are none) and a warning when the file could not be read."""
    path = path or settings_path()
    if not path.exists():
        return AppSettings(), None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return AppSettings.from_json(data), None
    except (OSError, ValueError, TypeError) as exc:
        return AppSettings(), f"Could not read the settings file {path} ({exc}); using the defaults."


def save_settings(settings: AppSettings, path: Path | None = None) -> Path:
    """Write atomically; raise OSError (e.g. disk full) for the caller to report."""
    settings.validate()
    data = settings.to_json()
    for name in list(data):
        if any(word in name.lower() for word in _SECRET_WORDS):
            raise ValueError(f"refusing to write {name!r} to a plain-text settings file")
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
    return path

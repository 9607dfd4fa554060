"""Send readings over the satellite modem, retrying with a doubling wait."""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from pathlib import Path

DEFAULT_MAX_RETRIES = 3
DEFAULT_FIRST_WAIT_S = 2.0


def load_uplink_settings(config_path: Path) -> tuple[int, float]:
    """(max_retries, first_wait_s) from the station config, falling back to the defaults."""
    with open(config_path, "rb") as handle:
        uplink = tomllib.load(handle).get("uplink", {})
    return (
        int(uplink.get("max_retries", DEFAULT_MAX_RETRIES)),
        float(uplink.get("first_wait_s", DEFAULT_FIRST_WAIT_S)),
    )


def send_with_retries(send: Callable[[bytes], bool], message: bytes, config_path: Path) -> bool:
    """True once the modem acknowledges `message`; False after the last retry."""
    max_retries, wait = load_uplink_settings(config_path)
    for attempt in range(1 + max_retries):
        if send(message):
            return True
        if attempt < max_retries:
            time.sleep(wait)
            wait *= 2
    return False

"""Older event versions, upgraded on read to the current schema (never refused for being old).

One function per step, `vN -> vN+1`, on the event's dict as it was stored or exported. Golden files of
each older version live in tests/fixtures/runs/.

v1 -> v2: `run_finished.totals` now holds the run tree's Totals (see the README's glossary). The counts
a v1 engine wrote there meant other things (a failed sub-call was not counted, a child run was, in some
places, a sub-call), so they are dropped; every reader recounts from the tree. The run's duration and
sandbox level, which the tree cannot know, are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]

_KEPT_V1_TOTALS = ("duration_ms", "isolation")


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("kind") == "run_finished" and isinstance(data.get("totals"), dict):
        data = {**data, "totals": {k: data["totals"][k] for k in _KEPT_V1_TOTALS if k in data["totals"]}}
    return data


#: from version N: the step to N + 1
UPGRADES: dict[int, Upgrade] = {1: _v1_to_v2}


def upgrade(data: dict[str, Any], version: int, target: int) -> dict[str, Any]:
    """The event dict as version `target` has it."""
    while version < target:
        data = UPGRADES[version](data)
        version += 1
    return {**data, "v": target}

"""A step-through cursor over a stored run's events: step, back, seek, and playback timing.

Position p means the first p events are applied (0 = nothing yet, len = the whole run).
Moving forward applies events to the current tree in place; moving back restores the nearest
checkpoint at or before the target (a copy of the tree taken while passing it) and applies the
few events after it, so any position is reached in at most `checkpoint_every` event applications.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rlm_studio.engine.events import Event

from ._events import as_events
from .tree import RunTree, TreeChange

DEFAULT_MAX_DELAY_S = 2.0


@dataclass(frozen=True)
class ReplayStep:
    index: int                  # the event's index in the replayed list
    event: Event
    change: TreeChange | None   # what it did to the tree (None: nothing visible)


class Replay:
    def __init__(self, events: Iterable[Event | dict[str, Any]], *, checkpoint_every: int | None = None):
        stored = [e for e in as_events(events) if not e.ephemeral]
        if any(b.seq < a.seq for a, b in zip(stored, stored[1:])):
            stored.sort(key=lambda e: e.seq)
        self.events: list[Event] = stored
        self.checkpoint_every = max(1, checkpoint_every or max(200, len(stored) // 16))
        self.tree = RunTree()
        self.position = 0
        self._checkpoints: dict[int, RunTree] = {0: RunTree()}

    def __len__(self) -> int:
        return len(self.events)

    @property
    def at_start(self) -> bool:
        return self.position == 0

    @property
    def at_end(self) -> bool:
        return self.position >= len(self.events)

    @property
    def current_event(self) -> Event | None:
        """The event applied last (the one the player shows as "now")."""
        return self.events[self.position - 1] if self.position else None

    # -- moving ---------------------------------------------------------------------------
    def step(self) -> ReplayStep | None:
        """Apply the next event to `.tree` in place; None at the end."""
        if self.at_end:
            return None
        index = self.position
        event = self.events[index]
        change = self.tree.apply(event)
        self.position += 1
        if self.position % self.checkpoint_every == 0 and self.position not in self._checkpoints:
            self._checkpoints[self.position] = self.tree.copy()
        return ReplayStep(index, event, change)

    def back(self) -> bool:
        """Go back one event. Returns False at the start; `.tree` is then a new object."""
        if self.at_start:
            return False
        self.seek(self.position - 1)
        return True

    def seek(self, position: int) -> list[TreeChange] | None:
        """Move to `position` (0..len). A short move forward advances the tree in place and returns
        the changes in order. Backward (or a long jump forward past a checkpoint), `.tree` is replaced
        by a rebuilt tree and None is returned: a view should then reset itself from the new tree."""
        if not isinstance(position, int) or isinstance(position, bool):
            raise TypeError(f"a replay position is a whole number, not {type(position).__name__}")
        if not 0 <= position <= len(self.events):
            raise ValueError(f"replay position {position} is outside 0..{len(self.events)}")
        base = max(p for p in self._checkpoints if p <= position)
        if position >= self.position and base - self.position <= self.checkpoint_every:
            changes = []
            while self.position < position:
                step = self.step()
                assert step is not None   # position < target <= len: never at the end here
                if step.change is not None:
                    changes.append(step.change)
            return changes
        self.tree = self._checkpoints[base].copy()
        self.position = base
        while self.position < position:
            self.step()
        return None

    def reset(self) -> None:
        self.seek(0)

    # -- timing ---------------------------------------------------------------------------
    def time_at(self, position: int | None = None) -> float:
        """Seconds from the first event to the event applied last at `position` (default: now)."""
        position = self.position if position is None else position
        if position <= 0 or not self.events:
            return 0.0
        return max(0.0, self.events[min(position, len(self.events)) - 1].ts - self.events[0].ts)

    @property
    def duration_s(self) -> float:
        return self.time_at(len(self.events))

    def delay_before(self, index: int, *, speed: float = 1.0, max_delay_s: float = DEFAULT_MAX_DELAY_S) -> float:
        """How long a player waits before showing event `index`: the original gap from the event
        before it, divided by `speed`, never negative, at most `max_delay_s` (applied after speed)."""
        if speed <= 0:
            raise ValueError(f"playback speed must be above 0, not {speed}")
        if index <= 0 or index >= len(self.events):
            return 0.0
        gap = max(0.0, self.events[index].ts - self.events[index - 1].ts)
        return min(gap / speed, max_delay_s)

    def next_delay(self, *, speed: float = 1.0, max_delay_s: float = DEFAULT_MAX_DELAY_S) -> float | None:
        """The wait before the next `step()`, or None at the end."""
        if self.at_end:
            return None
        return self.delay_before(self.position, speed=speed, max_delay_s=max_delay_s)

    def position_at_time(self, seconds: float) -> int:
        """The scrubber position whose time is the last one not after `seconds` from the start."""
        if not self.events:
            return 0
        limit = self.events[0].ts + seconds
        lo, hi = 0, len(self.events)
        while lo < hi:  # events are in seq order; their times are normally ascending
            mid = (lo + hi) // 2
            if self.events[mid].ts <= limit:
                lo = mid + 1
            else:
                hi = mid
        return lo

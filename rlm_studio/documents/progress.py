"""Progress/cancel plumbing shared by the loaders (no Qt: plain callables)."""

from __future__ import annotations

from collections.abc import Callable

from .errors import LoadCancelled

ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]


class Reporter:
    """Reports (done, total) without going backwards or past total, and checks cancel.

    `offset` lets a folder load map one file's byte progress into the whole
    folder's byte range.
    """

    def __init__(
        self,
        total: int,
        progress: ProgressCallback | None,
        cancel: CancelCallback | None,
        *,
        offset: int = 0,
        parent: Reporter | None = None,
    ) -> None:
        self.total = max(0, total)
        self._progress = progress
        self._cancel = cancel
        self._offset = offset
        self._parent = parent
        self._last = -1

    def check_cancel(self) -> None:
        if self._cancel is not None and self._cancel():
            raise LoadCancelled("Loading was cancelled.")
        if self._parent is not None:
            self._parent.check_cancel()

    def report(self, done: int) -> None:
        done = min(max(0, done), self.total)
        if done <= self._last:
            return
        self._last = done
        if self._parent is not None:
            self._parent.report(self._offset + done)
        elif self._progress is not None:
            self._progress(done, self.total)

    def finish(self) -> None:
        self.report(self.total)

    def child(self, offset: int, size: int) -> Reporter:
        """A reporter for one part (bytes offset..offset+size) of this one's range."""
        return Reporter(size, None, None, offset=offset, parent=self)

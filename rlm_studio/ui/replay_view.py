"""The replay player: a stored run's events shown again in order, the tree growing as it did live.

A `Replay` cursor (analysis) decides order, timing and seeking; the embedded `RunView` shows the
tree, header and detail pane. Moving forward feeds the run view event by event (as a live run
does); moving back or jumping far rebuilds it once from the cursor's checkpointed tree.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from rlm_studio.analysis.replay import Replay
from rlm_studio.analysis.tree import RunTree

from .replay_text import describe_event, differences_html
from .run_view import RunView

SPEEDS: tuple[tuple[str, float | None], ...] = (
    ("0.5×", 0.5), ("1×", 1.0), ("2×", 2.0), ("5×", 5.0), ("10×", 10.0), ("As fast as possible", None),
)
DEFAULT_SPEED_INDEX = 1
FAST_BATCH_S = 0.015      # "as fast as possible" applies events for this long, then lets the UI draw
FAR_JUMP_EVENTS = 400     # a forward jump longer than this rebuilds the view once instead of feeding it


class ReplayView(QWidget):
    """Step through a stored run. Call `load(events)`."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.replay: Replay | None = None
        self.speed: float | None = 1.0
        self.playing = False
        self.reexecution_task: asyncio.Task[list[dict[str, Any]] | None] | None = None
        self.last_differences: list[dict[str, Any]] | None = None

        self.title = QLabel("<i>No run loaded for replay.</i>")
        self.start_button = QPushButton("|◀ Start")
        self.start_button.setToolTip("Back to the start (Ctrl+Home)")
        self.back_button = QPushButton("◀ Step")
        self.back_button.setToolTip("One event back (Ctrl+Left)")
        self.play_button = QPushButton("▶ Play")
        self.play_button.setToolTip("Play / pause (Ctrl+Space)")
        self.forward_button = QPushButton("Step ▶")
        self.forward_button.setToolTip("One event forward (Ctrl+Right)")
        self.end_button = QPushButton("End ▶|")
        self.end_button.setToolTip("To the end (Ctrl+End)")
        self.speed_box = QComboBox()
        for text, _ in SPEEDS:
            self.speed_box.addItem(text)
        self.speed_box.setCurrentIndex(DEFAULT_SPEED_INDEX)
        self.speed_box.setToolTip("Playback speed against the time the run really took")
        self.reexecute_button = QPushButton("Re-execute")
        self.reexecute_button.setToolTip("Run the recorded code again in a fresh sandbox with the recorded model "
                                         "answers, and show the cells whose output differs")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimum(0)
        self.slider.setTracking(True)
        self.event_label = QLabel()
        self.event_label.setTextFormat(Qt.TextFormat.RichText)
        self.run_view = RunView()
        self.run_view.replaying = True
        self.result = QTextBrowser()
        self.result.setOpenLinks(False)
        self.result.setPlaceholderText("Re-execute runs the recorded code again and lists the cells whose "
                                       "output differs from the recording.")

        controls = QHBoxLayout()
        for widget in (self.start_button, self.back_button, self.play_button, self.forward_button, self.end_button):
            controls.addWidget(widget)
        controls.addWidget(QLabel("Speed"))
        controls.addWidget(self.speed_box)
        controls.addStretch(1)
        controls.addWidget(self.reexecute_button)
        self.splitter = splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.run_view)
        splitter.addWidget(self.result)
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(controls)
        layout.addWidget(self.slider)
        layout.addWidget(self.event_label)
        layout.addWidget(splitter, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self.start_button.clicked.connect(lambda: self.seek(0))
        self.back_button.clicked.connect(self.step_back)
        self.play_button.clicked.connect(self.toggle_play)
        self.forward_button.clicked.connect(self.step_forward)
        self.end_button.clicked.connect(lambda: self.seek(len(self.replay) if self.replay else 0))
        self.speed_box.currentIndexChanged.connect(lambda i: self.set_speed(SPEEDS[i][1]))
        self.slider.valueChanged.connect(self._slider_moved)
        self.reexecute_button.clicked.connect(self.start_reexecution)
        self.result.anchorClicked.connect(self._result_link)
        self._shortcuts()
        self._update_controls()

    # -- loading ----------------------------------------------------------------------------
    def load(self, events: Iterable[Any], *, title: str = "", position: int = 0) -> None:
        """Replay these stored events (typed events or their dicts), starting at `position` (0: empty tree)."""
        self.pause()
        replay = Replay(events)
        if not replay.events or replay.events[0].kind != "run_started":
            raise ValueError("this recording does not start with a run: there is nothing to replay")
        self.replay = replay
        self.last_differences = None
        self.result.clear()
        question = getattr(replay.events[0], "question", "")
        heading = title or f"Replay: {question[:120]}"
        self.title.setText(f"<b>{html.escape(heading)}</b> — {len(replay)} events, "
                           f"{replay.duration_s:.1f} s recorded")
        self.slider.blockSignals(True)
        self.slider.setMaximum(len(replay))
        self.slider.setPageStep(max(1, len(replay) // 20))
        self.slider.blockSignals(False)
        self._rebuild()
        if position:
            self.seek(position)
        self._update_controls()

    @property
    def events(self) -> list[Any]:
        return self.replay.events if self.replay else []

    @property
    def position(self) -> int:
        return self.replay.position if self.replay else 0

    @property
    def _loaded(self) -> Replay:
        """The cursor, for the helpers that run only once a run is loaded."""
        assert self.replay is not None
        return self.replay

    @property
    def tree(self) -> RunTree:
        """The tree the view shows (it equals the cursor's tree at the current position)."""
        return self.run_view.model.tree

    # -- moving -----------------------------------------------------------------------------
    def step_forward(self) -> bool:
        if self.replay is None or self.replay.at_end:
            return False
        self._advance(1)
        self._after_move(select=not self.playing)
        return True

    def step_back(self) -> bool:
        if self.replay is None or self.replay.at_start:
            return False
        self.seek(self.replay.position - 1)
        return True

    def seek(self, position: int) -> None:
        """Show the run as it was after its first `position` events."""
        if self.replay is None:
            return
        position = max(0, min(int(position), len(self.replay)))
        ahead = position - self.replay.position
        if ahead == 0:
            self._after_move(select=False)
            return
        if 0 < ahead <= FAR_JUMP_EVENTS:
            self._advance(ahead)
        else:
            self.replay.seek(position)
            self._rebuild()
        self._after_move(select=not self.playing)

    def _advance(self, count: int) -> None:
        """Apply the next `count` events to the cursor and feed them to the run view, as live."""
        view, replay = self.run_view, self._loaded
        for _ in range(count):
            step = replay.step()
            if step is None:
                break
            view.add_event(step.event)
            if step.event.kind == "run_finished" and not step.event.parent_id:
                view.running = False

    def _rebuild(self) -> None:
        """Reset the run view to the cursor's position in one go, keeping the selected node if it exists."""
        view, replay = self.run_view, self._loaded
        selected = view.selected_node
        view.show_events(replay.events[: replay.position])
        view.running = view.index.root_finished is None
        if selected is not None and selected in view.model.tree:
            view.select_node(selected)

    def _after_move(self, *, select: bool) -> None:
        replay = self._loaded
        view = self.run_view
        view.refresh_header()
        self.slider.blockSignals(True)
        self.slider.setValue(replay.position)
        self.slider.blockSignals(False)
        event = replay.current_event
        if event is None:
            self.event_label.setText(f"Event 0 of {len(replay)} — the run has not started yet")
        else:
            self.event_label.setText(
                f"Event <b>{replay.position}</b> of {len(replay)} &nbsp; <b>+{replay.time_at():.2f} s</b>"
                f" &nbsp; {html.escape(describe_event(event, view.model.tree))}")
            if select and event.node_id in view.model.tree:
                view.select_node(event.node_id)
        self._update_controls()

    def _slider_moved(self, value: int) -> None:
        if self.replay is not None and value != self.replay.position:
            self.seek(value)

    # -- playback ---------------------------------------------------------------------------
    def set_speed(self, speed: float | None) -> None:
        """Playback speed against real time; None plays as fast as possible."""
        if speed is not None and speed <= 0:
            raise ValueError(f"playback speed must be above 0, not {speed}")
        self.speed = speed
        index = next((i for i, (_, s) in enumerate(SPEEDS) if s == speed), None)
        if index is not None and self.speed_box.currentIndex() != index:
            self.speed_box.blockSignals(True)
            self.speed_box.setCurrentIndex(index)
            self.speed_box.blockSignals(False)
        if self.playing:
            self._schedule()

    def play(self) -> None:
        if self.replay is None or not self.replay.events:
            return
        if self.replay.at_end:
            self.seek(0)
        self.playing = True
        self._update_controls()
        self._schedule()

    def pause(self) -> None:
        self.playing = False
        self._timer.stop()
        if self.replay is not None:
            self._update_controls()

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def _schedule(self) -> None:
        if not self.playing or self.replay is None:
            return
        delay = 0.0 if self.speed is None else self.replay.next_delay(speed=self.speed)
        if delay is None:
            self.pause()
            return
        self._timer.start(int(delay * 1000))

    def _tick(self) -> None:
        if not self.playing or self.replay is None:
            return
        if self.speed is None:
            deadline = time.perf_counter() + FAST_BATCH_S
            while not self.replay.at_end and time.perf_counter() < deadline:
                self._advance(1)
        else:
            self._advance(1)
        self._after_move(select=False)
        if self.replay.at_end:
            self.pause()
        else:
            self._schedule()

    def _update_controls(self) -> None:
        replay = self.replay if self.replay is not None and self.replay.events else None
        loaded = replay is not None
        at_start = replay is None or replay.at_start
        at_end = replay is None or replay.at_end
        self.start_button.setEnabled(not at_start)
        self.back_button.setEnabled(not at_start)
        self.forward_button.setEnabled(not at_end)
        self.end_button.setEnabled(not at_end)
        self.play_button.setEnabled(loaded)
        self.play_button.setText("⏸ Pause" if self.playing else "▶ Play")
        self.slider.setEnabled(loaded)
        running = self.reexecution_task is not None and not self.reexecution_task.done()
        self.reexecute_button.setEnabled(loaded and not running)

    def _shortcuts(self) -> None:
        """Player keys that work wherever focus is inside the view (plain arrows stay with the tree)."""
        keys = {"Ctrl+Space": self.toggle_play, "Ctrl+Right": self.step_forward, "Ctrl+Left": self.step_back,
                "Ctrl+Home": lambda: self.seek(0), "Ctrl+End": lambda: self.seek(len(self.events))}
        for key, action in keys.items():
            QShortcut(QKeySequence(key), self, action, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # -- re-execution -----------------------------------------------------------------------
    def start_reexecution(self) -> asyncio.Task[list[dict[str, Any]] | None] | None:
        """Start re-executing the run on the running (qasync) event loop; returns the task."""
        if self.replay is None or (self.reexecution_task is not None and not self.reexecution_task.done()):
            return None
        self.reexecution_task = asyncio.get_event_loop().create_task(self.reexecute())
        self._update_controls()
        return self.reexecution_task

    async def reexecute(self) -> list[dict[str, Any]] | None:
        """Run the recorded code again with the recorded answers; show and return the cell differences
        (None when the re-execution itself could not run; the reason is shown)."""
        from rlm_studio.analysis.reexecute import cell_differences, reexecute

        if self.replay is None:
            return None
        replay = self.replay
        recorded = list(replay.events)
        self.result.setHtml("<i>Re-executing the recorded code in a fresh sandbox…</i>")
        self.reexecute_button.setEnabled(False)
        started = time.perf_counter()
        try:
            from rlm_studio.engine.recorded import recorded_context

            from .file_backed_runs import restore_context

            store = getattr(self.window(), "store", None)   # a file-backed run's document comes from the database
            context = await asyncio.get_running_loop().run_in_executor(
                None, restore_context, store, recorded_context(recorded))
            _, new_events = await reexecute(recorded, context=context)
            differences = cell_differences(recorded, new_events)
        except Exception as exc:  # shown to the user: re-execution is a check, not a crash
            self.result.setHtml(f"<b style='color:#c62828'>Re-execution could not run:</b> "
                                f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}")
            self.last_differences = None
            return None
        finally:
            self.reexecution_task = None
            self._update_controls()
        seconds = time.perf_counter() - started
        if self.replay is not replay:
            return differences  # another run was loaded meanwhile: this result is not about it
        self.last_differences = differences
        self.result.setHtml(differences_html(differences, seconds))
        total = sum(self.splitter.sizes())
        if differences and self.splitter.sizes()[1] < total // 4:
            self.splitter.setSizes([total - total // 3, total // 3])  # room to read the diffs
        return differences

    def _result_link(self, url: QUrl) -> None:
        action, _, node_id = url.toString().partition(":")
        if action == "node" and self.replay is not None:
            if node_id not in self.run_view.model.tree:
                self.seek(len(self.replay))
            self.run_view.select_node(node_id)

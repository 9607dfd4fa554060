"""The main window: wiring. The history sidebar, the tabs (registered in `_build_tabs`), menus and shortcuts,
around one OpenRun (analysis.open_run) that the run view, analysis tab, header and status bar observe."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from rlm_studio.analysis.findings import detect_and_save_findings
from rlm_studio.analysis.open_run import OpenRun, RunLink
from rlm_studio.analysis.run_summary import summarize

from . import follow_up_flow
from . import formatting as fmt
from .app_settings import load_settings, save_settings
from .header_text import status_line
from .history_panel import HistoryPanel
from .new_run_panel import NewRunPanel
from .run_controller import RunController, test_connection
from .run_view import RunView
from .stored_run import StoredRun, load_stored_run, recorded_response
from .user_errors import describe_error

W = TypeVar("W", bound=QWidget)

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    _store_opened = Signal(object, object)  # store or None, problem or None (from the opening thread)

    def __init__(self, db_path: str | None = None, *, discover_models: bool = True, preload_models: bool = True):
        super().__init__()
        self.setWindowTitle("RLM Studio")
        self.resize(1280, 820)
        self.app_settings, settings_warning = load_settings()
        self.store: Any | None = None
        self.store_problem: str | None = None
        self.controller = RunController(self)
        self.current_run_id: str | None = None
        self.run_model = OpenRun()   # the run shown in the Run and Analysis tabs, header and status bar
        self._last_result: Any | None = None
        self._storage_message: str | None = None
        self._close_after_run = False
        self._opening: str | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self.open_fork_dialog: Any | None = None  # the Fork dialog while it is open

        self._build_tabs()
        self.tabs.currentChanged.connect(self._tab_changed)
        self.setCentralWidget(self.tabs)
        self.history = HistoryPanel()
        dock = QDockWidget("History", self)
        dock.setObjectName("history")
        dock.setWidget(self.history)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.resizeDocks([dock], [330], Qt.Orientation.Horizontal)
        self.history_dock = dock

        self.run_status = QLabel()
        self.statusBar().addPermanentWidget(self.run_status)
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(250)
        self._status_timer.timeout.connect(self._update_run_status)

        self._build_menus()
        self.new_run.run_requested.connect(self.start_run)
        self.new_run.stop_requested.connect(self.stop_run)
        self.new_run.test_connection_requested.connect(self.test_model)
        self.history.run_opened.connect(self.open_run_in_background)
        self.history.replay_requested.connect(self.replay_run)
        self.history.compare_requested.connect(self.compare_runs)
        self.history.run_deleted.connect(self._run_deleted)
        self.run_view.run_signals.changed.connect(self._update_run_status)
        self.run_view.fork_requested.connect(self.fork_from_node)
        follow_up_flow.wire(self)  # the follow-up box under a finished run's answer
        self.run_view.header.run_link_activated.connect(self.open_run_in_background)
        self.controller.storage_problem.connect(self._storage_problem)
        self.controller.failed.connect(self._run_failed)

        from rlm_studio.engine.prompts import DEFAULT_SYSTEM_PROMPT
        from rlm_studio.models.local_server import BUNDLED_MODEL_NOTE

        self.new_run.apply_defaults(self.app_settings, DEFAULT_SYSTEM_PROMPT, BUNDLED_MODEL_NOTE)
        self._store_opening = False
        self._store_opened.connect(self._set_store)
        self.open_store(db_path or self.app_settings.db_path or None)
        if not self.app_settings.example_offered or self.app_settings.root_model == "bundled":
            self.new_run.offer_example()
        if settings_warning:
            self.statusBar().showMessage(settings_warning, 15000)
        from .warmup import Warmup

        self.warmup = Warmup()
        QTimer.singleShot(200, self.warmup.start)
        if discover_models:
            QTimer.singleShot(300, self._discover_models)
        if preload_models:
            QTimer.singleShot(1500, self._preload_models)

    # -- tabs ---------------------------------------------------------------------------------
    def _build_tabs(self) -> None:
        """Every tab of the window, in order: a new tab is one `add_tab` call here."""
        from .analysis_tab import AnalysisTab
        from .compare_view import CompareView
        from .replay_view import ReplayView

        self.tabs = QTabWidget()
        self.new_run = NewRunPanel()
        scroll = QScrollArea()
        scroll.setWidget(self.new_run)
        scroll.setWidgetResizable(True)
        new_run_page = QWidget()
        page_layout = QVBoxLayout(new_run_page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(scroll, 1)
        page_layout.addWidget(self.new_run.action_bar)
        self.add_tab(new_run_page, "New run")
        self.run_view = self.add_tab(RunView(self.run_model), "Run")
        self.analysis = self.add_tab(AnalysisTab(self.run_model, self.run_view.run_signals), "Analysis")
        self.replay_view = self.add_tab(ReplayView(), "Replay")
        self.compare_view = self.add_tab(CompareView(), "Compare")
        self.analysis.node_activated.connect(self.show_node)
        self.compare_view.node_activated.connect(self._compare_node)
        from .bench_view import BenchView

        self.bench_view = self.add_tab(BenchView(self), "Bench")
        self.bench_view.run_opened.connect(self.open_run_in_background)   # a bench task's run, as the history opens one

    def add_tab(self, widget: W, title: str) -> W:
        """Add a tab (after the existing ones) and return its widget."""
        self.tabs.addTab(widget, title)
        return widget

    # -- menus and shortcuts ----------------------------------------------------------------
    def _action(self, menu: QMenu, text: str, slot: Callable[..., object],
                *shortcuts: str | QKeySequence.StandardKey) -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "Open documents…", self._open_documents, QKeySequence.StandardKey.Open)
        self._action(file_menu, "Add folder…", self.new_run.choose_folder, "Ctrl+Shift+O")
        self._action(file_menu, "Paste text as a document…", self.new_run.paste_text, "Ctrl+Shift+V")
        file_menu.addSeparator()
        self._action(file_menu, "Settings…", self.open_settings, QKeySequence.StandardKey.Preferences)
        file_menu.addSeparator()
        self._action(file_menu, "Quit", self.close, QKeySequence.StandardKey.Quit)
        run_menu = bar.addMenu("&Run")
        self.run_action = self._action(run_menu, "Run", self.start_run, "Ctrl+Return", "Ctrl+Enter")
        self.stop_action = self._action(run_menu, "Stop", self.stop_run, "Escape", "Ctrl+.")
        self.stop_action.setEnabled(False)
        self.fork_action = self._action(run_menu, "Fork from here…", self.fork_selected, "Ctrl+Shift+F")
        self.fork_action.setToolTip("Fork the open run at the selected iteration (or its model call or cells)")
        run_menu.addSeparator()
        self._action(run_menu, "New run", lambda: self.tabs.setCurrentIndex(0), QKeySequence.StandardKey.New)
        view_menu = bar.addMenu("&View")
        self._action(view_menu, "Find node", self._find, QKeySequence.StandardKey.Find)
        self._action(view_menu, "Next node", self._next_node, "F8")
        self._action(view_menu, "Previous node", self._previous_node, "Shift+F8")
        self._action(view_menu, "Expand all", self.run_view.tree_view.expandAll, "Ctrl+Shift+E")
        self._action(view_menu, "Collapse all", self.run_view.tree_view.collapseAll, "Ctrl+Shift+C")
        self._action(view_menu, "Show history", self.history_dock.show, "Ctrl+H")
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "About RLM Studio", self._about)

    def _open_documents(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.new_run.choose_files()

    def _find(self) -> None:
        self.tabs.setCurrentWidget(self.run_view)
        self.run_view.focus_filter()

    def _next_node(self) -> None:
        self.tabs.setCurrentWidget(self.run_view)
        self.run_view.next_node()

    def _previous_node(self) -> None:
        self.tabs.setCurrentWidget(self.run_view)
        self.run_view.previous_node()

    def _about(self) -> None:
        from rlm_studio import __version__

        QMessageBox.about(self, "RLM Studio", f"RLM Studio {__version__}\nRun and inspect Recursive Language "
                                              "Models (arXiv 2512.24601).")

    # -- storage ------------------------------------------------------------------------------
    def open_store(self, path: str | None) -> None:
        """Open the database on a worker thread: a locked or slow file must not freeze the window."""
        import threading

        self._store_opening = True
        self.history.message.setText("Opening the database…")
        threading.Thread(target=self._open_store_thread, args=(path,), daemon=True,
                         name="rlm-studio-open-db").start()

    def _open_store_thread(self, path: str | None) -> None:
        from rlm_studio.storage import Store

        store = None
        try:
            store = Store.open(path)
            store.mark_interrupted()
        except Exception as exc:
            if store is not None:
                try:
                    store.close()
                except Exception:
                    pass
            self._store_opened.emit(None, describe_error(exc, "opening the database")
                                    + " History is unavailable and runs will not be saved.")
            return
        self._store_opened.emit(store, None)

    def _set_store(self, store: Any | None, problem: str | None) -> None:
        self._store_opening = False
        self.store = store
        self.store_problem = problem
        self.history.set_store(store, problem)
        if problem:
            self.statusBar().showMessage(problem, 30000)

    @property
    def store_ready(self) -> bool:
        return not self._store_opening

    def _storage_problem(self, message: str) -> None:
        text = message + " The run goes on; its events stay in this window."
        self._storage_message = message
        self.statusBar().showMessage(text, 30000)
        self.run_model.add_warning(text)   # kept in the header after refreshes and after the run ends

    def _run_deleted(self, run_id: str) -> None:
        if run_id == self.current_run_id and not self.controller.running:
            self.current_run_id = None
            self.run_view.show_run(OpenRun())

    # -- models -------------------------------------------------------------------------------
    def _discover_models(self) -> None:
        task = asyncio.ensure_future(self._fill_model_choices())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fill_model_choices(self) -> None:
        from rlm_studio.models.registry import list_models

        try:
            choices = await list_models(self.model_settings())
        except Exception:
            log.warning("listing models failed", exc_info=True)
            return
        pairs = [(c.spec, c.note or c.label) for c in choices]
        for choice in choices:
            if choice.api_base:
                self.app_settings.api_bases.setdefault(choice.spec, choice.api_base)
        self.new_run.root_model.set_choices(pairs)
        self.new_run.sub_model.set_choices(pairs)

    def _preload_models(self) -> None:
        """The chosen model needs litellm: load it now, while the user reads the window, not when Run is pressed."""
        from .lazy_litellm import preload_in_background
        from .run_controller import needs_litellm

        if needs_litellm(self.new_run.root_model.spec(), self.new_run.sub_model.spec()) \
                and not self.controller.running:
            preload_in_background()

    def model_settings(self) -> Any:
        from rlm_studio.models.registry import ModelSettings

        return ModelSettings(price_overrides=dict(self.app_settings.price_overrides),
                             api_bases=dict(self.app_settings.api_bases))

    @asyncSlot(str)  # type: ignore[untyped-decorator]  # qasync ships no type hints
    async def test_model(self, spec: str) -> None:
        self.new_run.test_button.setEnabled(False)
        self.new_run.model_note.setText(f"Testing {spec}…")
        try:
            ok, message = await test_connection(spec, self.model_settings())
        finally:
            self.new_run.test_button.setEnabled(True)
        self.new_run.model_note.setStyleSheet("color:#2e7d32" if ok else "color:#c62828")
        self.new_run.model_note.setText(message)

    # -- running --------------------------------------------------------------------------------
    @asyncSlot()  # type: ignore[untyped-decorator]  # qasync ships no type hints
    async def start_run(self) -> None:
        await self.run_once()

    async def run_once(self) -> Any | None:
        """Collect the panel, run, and return the RunResult (None if it could not start)."""
        if self.controller.running:
            return None
        panel = self.new_run
        panel.run_message.setText("")
        try:
            question, context, kwargs = panel.collect()
        except Exception as exc:
            panel.run_message.setText(describe_error(exc, "preparing the run"))
            self.tabs.setCurrentIndex(0)
            return None
        s = self.app_settings
        kwargs.update(cell_timeout_s=s.cell_timeout_s, output_limit_chars=s.output_limit_chars,
                      batch_concurrency=s.batch_concurrency, isolation=s.isolation)
        self._remember_defaults(kwargs)
        return await self._run_live(lambda: self.controller.run(
            question, context, kwargs, model_settings=self.model_settings(), store=self.store,
            on_event=self.run_view.add_live_event))

    async def _run_live(self, start: Callable[[], Awaitable[Any]], lineage: tuple[str, str, int] | None = None) -> Any | None:
        """Show a run live while `start()` (a RunController coroutine) runs it; then analyse and list it."""
        panel = self.new_run
        while self._store_opening:  # the database is still opening: wait so the run gets stored
            await asyncio.sleep(0.05)
        self.warmup.start()
        if not self.warmup.done:  # never import the same modules on two threads at once
            await asyncio.get_running_loop().run_in_executor(None, self.warmup.wait)
        self.run_view.begin_live()
        self.run_model.set_links(RunLink(*lineage) if lineage is not None else None)
        self.tabs.setCurrentWidget(self.run_view)
        panel.set_running(True)
        self.stop_action.setEnabled(True)
        self.run_action.setEnabled(False)
        self.fork_action.setEnabled(False)
        self._status_timer.start()
        self.statusBar().showMessage("Starting the run…")
        self._last_result = None
        self._storage_message = None
        self.controller.started.connect(self._run_started)
        try:
            result = await start()
        except BaseException:
            if self._close_after_run:
                QTimer.singleShot(0, self.close)
            raise
        finally:
            self.controller.started.disconnect(self._run_started)
            self._status_timer.stop()
            self.run_view.end_live()
            panel.set_running(False)
            self.stop_action.setEnabled(False)
            self.run_action.setEnabled(True)
            self.fork_action.setEnabled(True)
        self._last_result = result
        if result is not None and result.isolation:
            self.run_model.set_isolation(result.isolation)
        if result is not None:
            await self._save_findings(result.run_id)
        if result is not None:
            done = f"Run {fmt.status(result.status)}."
            if self._storage_message:
                self.statusBar().showMessage(f"{done} {self._storage_message}", 60000)
            else:
                self.statusBar().showMessage(done, 10000)
            self._update_run_status()
        self.history.refresh()
        if self.current_run_id:
            self.history.select_run(self.current_run_id)
        if self._close_after_run:  # closing waited for the run to end and be stored with its findings
            QTimer.singleShot(0, self.close)
        return result

    async def _save_findings(self, run_id: str) -> None:
        """Detect the finished run's findings (off the UI thread), save them, show them on the open run."""
        events, store, thresholds = list(self.run_model.events), self.store, self._thresholds()
        try:
            findings = await asyncio.get_running_loop().run_in_executor(
                None, detect_and_save_findings, store, run_id, events, thresholds)
        except Exception as exc:
            log.warning("failure-mode detection for %s failed", run_id, exc_info=True)
            self.statusBar().showMessage(describe_error(exc, "checking the run for failure modes"), 15000)
            return
        if self.current_run_id == run_id:
            self.run_model.set_findings(findings)

    def _thresholds(self) -> Any:
        try:
            return self.app_settings.thresholds()
        except ValueError as exc:
            self.statusBar().showMessage(f"{exc}; using the default failure-mode thresholds.", 15000)
            return None

    # -- forking --------------------------------------------------------------------------------
    def fork_selected(self) -> None:
        """The menu action / Ctrl+Shift+F: fork from the selected node of the open run."""
        node_id = self.run_view.selected_node
        if node_id is None or self.run_view.fork_iteration(node_id) is None:
            self.statusBar().showMessage("Select an iteration of the open run (or its model call or one of its "
                                         "cells) to fork from it.", 10000)
            return
        self.fork_from_node(node_id)

    def fork_from_node(self, node_id: str) -> None:
        """Open the Fork dialog (window-modal, without a nested event loop); OK runs the fork."""
        if self.open_fork_dialog is not None:
            self.open_fork_dialog.raise_()
            return
        dialog = self.fork_dialog(node_id)
        if dialog is None:
            return
        self.open_fork_dialog = dialog
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda: self._start_fork(dialog))
        dialog.finished.connect(lambda _result: setattr(self, "open_fork_dialog", None))
        dialog.open()

    def _start_fork(self, dialog: Any) -> None:
        task = asyncio.ensure_future(self.run_fork(dialog))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def fork_dialog(self, node_id: str) -> Any | None:
        """The Fork dialog for a node of the open run, prefilled; None (and a message) when it cannot fork."""
        from rlm_studio.engine.fork import ForkError, plan_fork

        from .fork_dialog import ForkDialog

        if self.controller.running:
            self.statusBar().showMessage("A run is going: wait for it or stop it before forking.", 8000)
            return None
        iteration = self.run_view.fork_iteration(node_id)
        parent_id = self.current_run_id
        if iteration is None or parent_id is None:
            self.statusBar().showMessage("Only an iteration of the open run (or its model call or cells) can be "
                                         "forked.", 10000)
            return None
        events = self._load_events(parent_id) if self.store is not None else None
        if events is None:
            events = list(self.run_model.events)
        try:
            plan = plan_fork(events, iteration)
        except ForkError as exc:
            self.statusBar().showMessage(f"Cannot fork here: {exc}", 20000)
            return None
        dialog = ForkDialog(self._run_title(parent_id, plan.question), iteration, plan.settings,
                            recorded_response(events, plan.fork_node_id), self)
        dialog.parent_events, dialog.parent_run_id, dialog.at_iteration = events, parent_id, iteration
        dialog.parent_title = self._run_title(parent_id, plan.question)
        return dialog

    async def run_fork(self, dialog: Any) -> Any | None:
        """Run the fork the dialog describes, live, like a new run; returns its RunResult."""
        from rlm_studio.engine.fork import ForkError, plan_fork

        if self.controller.running:
            return None
        try:
            kwargs = dialog.settings_kwargs()
            plan = plan_fork(dialog.parent_events, dialog.at_iteration, edited_response=dialog.edited_response())
        except (ForkError, ValueError) as exc:
            self.statusBar().showMessage(f"Cannot fork here: {exc}", 20000)
            return None
        lineage = (dialog.parent_run_id, dialog.parent_title, dialog.at_iteration)
        return await self._run_live(lambda: self.controller.fork(
            plan, kwargs, model_settings=self.model_settings(), store=self.store,
            on_event=self.run_view.add_live_event), lineage)

    def _run_title(self, run_id: str, fallback: str = "") -> str:
        try:
            info = self.store.get_run(run_id) if self.store is not None else {}
        except Exception:
            info = {}
        return info.get("name") or info.get("question") or fallback or run_id[:8]

    def _run_started(self, run_id: str) -> None:
        self.current_run_id = run_id
        self.statusBar().clearMessage()

    def _run_failed(self, message: str) -> None:
        self.new_run.run_message.setText(message)
        if self.run_model.root_started is None:  # nothing ran: go back to the panel
            self.tabs.setCurrentIndex(0)
        self.statusBar().showMessage(message, 30000)

    def stop_run(self) -> None:
        if self.controller.running:
            self.controller.stop()
            self.statusBar().showMessage("Stopping… what ran so far is kept.", 5000)

    def _update_run_status(self, _change: str = "") -> None:
        self.run_status.setText(status_line(summarize(self.run_model), running=self.controller.running))
        if not _change and self.controller.running:  # the timer's tick: the header's Time keeps up with the status bar
            self.run_view.header.show_elapsed(self.run_model)

    # -- history --------------------------------------------------------------------------------
    def open_run(self, run_id: str) -> bool:
        """Open a stored run on the UI thread (the history uses `open_run_in_background`)."""
        if not self._can_open():
            return False
        try:
            loaded = load_stored_run(self.store, run_id, self._thresholds())
        except Exception as exc:
            self.statusBar().showMessage(describe_error(exc, "opening the run"), 20000)
            return False
        self._show_run(run_id, loaded)
        return True

    @asyncSlot(str)  # type: ignore[untyped-decorator]  # qasync ships no type hints
    async def open_run_in_background(self, run_id: str) -> bool:
        """Read and build the run on a worker thread; the window keeps responding meanwhile."""
        if not self._can_open():
            return False
        self.statusBar().showMessage("Opening the run…")
        self._opening = run_id
        store, thresholds = self.store, self._thresholds()
        try:
            loaded = await asyncio.get_running_loop().run_in_executor(
                None, load_stored_run, store, run_id, thresholds)
        except Exception as exc:
            self.statusBar().showMessage(describe_error(exc, "opening the run"), 20000)
            return False
        if self._opening != run_id or self.controller.running:  # another run was picked, or one started
            return False
        self.statusBar().clearMessage()
        self._show_run(run_id, loaded)
        return True

    def _can_open(self) -> bool:
        if self.store is None:
            return False
        if self.controller.running:
            self.statusBar().showMessage("A run is going: stop it or wait before opening another one.", 8000)
            return False
        return True

    def _show_run(self, run_id: str, loaded: StoredRun) -> None:
        self.current_run_id = run_id
        follow_up_flow.show_box_for(self, run_id)
        self.run_view.show_run(loaded.run)
        self.tabs.setCurrentWidget(self.run_view)
        self._update_run_status()
        if loaded.findings_saved:  # first look at an older or imported run: its badges are new
            self.history.refresh()
            self.history.select_run(run_id)

    # -- analysis, replay, compare ------------------------------------------------------------
    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.analysis:
            self.analysis.refresh()

    def show_node(self, node_id: str) -> None:
        """Point at a node of the open run (from a failure badge or a chart)."""
        if self.run_view.select_node(node_id):
            self.tabs.setCurrentWidget(self.run_view)

    def _load_events(self, run_id: str) -> list[Any] | None:
        if self.store is None:
            return None
        try:
            events: list[Any] = self.store.load_events(run_id)
            return events
        except Exception as exc:
            self.statusBar().showMessage(describe_error(exc, "reading the run"), 20000)
            return None

    def replay_run(self, run_id: str) -> bool:
        events = self._load_events(run_id)
        if events is None:
            return False
        try:
            self.replay_view.load(events)
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 15000)
            return False
        self.tabs.setCurrentWidget(self.replay_view)
        return True

    def compare_runs(self, run_ids: list[str]) -> bool:
        if len(run_ids) < 2:
            self.statusBar().showMessage("Select two or more runs in the history to compare them "
                                         "(Ctrl+click).", 10000)
            return False
        runs = [events for run_id in run_ids if (events := self._load_events(run_id)) is not None]
        if len(runs) < len(run_ids):
            return False
        assert self.store is not None   # the events were read from it
        names = []
        for run_id in run_ids:
            try:
                info = self.store.get_run(run_id)
                name = info.get("name") or info.get("root_model") or run_id[:8]
                if name.startswith("script:"):  # the file's name is enough for a column label
                    name = "script:" + Path(name[len("script:"):]).name
                names.append(name)
            except Exception:
                names.append(run_id[:8])
        labels = []
        for n, (run_id, name) in enumerate(zip(run_ids, names, strict=True)):
            if names.count(name) > 1:  # two runs of the same model: tell them apart by id
                name = f"{name} · {run_id}"
            labels.append(f"{chr(65 + n) if n < 26 else n + 1}: {name}" + (" (baseline)" if n == 0 else ""))
        try:
            self.compare_view.set_runs(runs, labels)
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 15000)
            return False
        self.tabs.setCurrentWidget(self.compare_view)
        return True

    def _compare_node(self, run_id: str, node_id: str) -> None:
        """A step of a compared run: open that run and select the node."""
        if self.open_run(run_id):
            self.show_node(node_id)

    # -- settings -------------------------------------------------------------------------------
    def _remember_defaults(self, kwargs: dict[str, Any]) -> None:
        s = self.app_settings
        s.root_model, s.sub_model = kwargs["root_model"], kwargs["sub_model"] or ""
        s.max_depth, s.max_iterations = kwargs["max_depth"], kwargs["max_iterations"]
        s.example_offered = True
        self._save_settings()

    def _save_settings(self) -> None:
        try:
            save_settings(self.app_settings)
        except (OSError, ValueError) as exc:
            self.statusBar().showMessage(describe_error(exc, "saving the settings"), 15000)

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.app_settings, self)
        if dialog.exec():
            old_db = self.app_settings.db_path
            self.app_settings = dialog.settings
            self._save_settings()
            self.new_run.apply_defaults(self.app_settings, self.new_run.default_system_prompt,
                                        getattr(self.new_run, "bundled_note", ""))
            if self.app_settings.db_path != old_db:
                self.statusBar().showMessage("The new database location applies after a restart.", 10000)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.controller.running:  # stop first, so the run is finished and stored, then close
            self._close_after_run = True
            self.controller.stop()
            self.statusBar().showMessage("Stopping the run before closing…")
            event.ignore()
            return
        if self.store is not None:
            try:
                self.store.close()
            except Exception:
                pass
            self.store = None
        from rlm_studio.sandbox import prewarm

        prewarm.discard()   # a sandbox worker started for the loaded document (new_run_panel._prewarm)
        super().closeEvent(event)

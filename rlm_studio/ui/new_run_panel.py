"""The "New run" panel: documents (files, folder, drop, paste), question, models, limits, system prompt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from . import formatting as fmt
from .document_loader import DocumentLoadJob
from .examples import find_example
from .model_window import WindowLookup
from .run_extras import RunExtras

if TYPE_CHECKING:
    from rlm_studio.documents import FolderLoad

SAME_AS_ROOT = "(same as root model)"


class ModelPicker(QComboBox):
    """An editable combo: known models as items, any litellm model string typed in."""

    def __init__(self, parent: QWidget | None = None, *, allow_same: bool = False):
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMinimumContentsLength(28)
        line = self.lineEdit()
        assert line is not None   # an editable combo box has its line edit
        line.setPlaceholderText("bundled, script:PATH, or a litellm model string")
        self._allow_same = allow_same
        self.set_choices([])

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        """(spec, tooltip) pairs; the typed text is kept."""
        current = self.spec()
        self.blockSignals(True)
        self.clear()
        if self._allow_same:
            self.addItem(SAME_AS_ROOT)
        seen = set()
        for spec, tip in [("bundled", "The bundled offline model (tiny)"), *choices]:
            if spec in seen:
                continue
            seen.add(spec)
            self.addItem(spec)
            self.setItemData(self.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.blockSignals(False)
        self.set_spec(current)

    def spec(self) -> str:
        text = self.currentText().strip()
        return "" if text == SAME_AS_ROOT else text

    def set_spec(self, spec: str) -> None:
        if not spec and self._allow_same:
            self.setCurrentIndex(0)
            return
        found = self.findText(spec)
        if found >= 0:
            self.setCurrentIndex(found)
        else:
            self.setEditText(spec)


def _limit_spin(maximum: int, suffix: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(0, maximum)
    spin.setSpecialValueText("no limit")
    spin.setSuffix(suffix)
    return spin


class NewRunPanel(QWidget):
    run_requested = Signal()
    stop_requested = Signal()
    test_connection_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.documents: list[Any] = []   # rlm_studio.documents.Document
        self._app_settings: Any = None
        self.job: DocumentLoadJob | None = None
        self.default_system_prompt = ""
        self._shown_default_prompt = ""  # the default the prompt box shows: the root model's own (see _model_prompt)
        self.windows = WindowLookup(self)
        self.windows.found.connect(lambda spec, _w: self._update_total() if spec == self.root_model.spec() else None)

        # documents
        self.doc_table = QTableWidget(0, 4)
        self.doc_table.setHorizontalHeaderLabels(["Document", "Kind", "Characters", "≈ Tokens"])
        self.doc_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.doc_table.verticalHeader().setVisible(False)
        self.doc_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.doc_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.doc_table.setMinimumHeight(90)
        self.doc_table.setMaximumHeight(180)
        self.add_files_button = QPushButton("Add files…")
        self.add_folder_button = QPushButton("Add folder…")
        self.paste_button = QPushButton("Paste text…")
        self.remove_button = QPushButton("Remove")
        self.clear_button = QPushButton("Clear")
        self.include = QLineEdit()
        self.include.setPlaceholderText("include, e.g. *.md, docs/**")
        self.exclude = QLineEdit()
        self.exclude.setPlaceholderText("exclude, e.g. *.log, build/**")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress_label = QLabel()
        self.cancel_load_button = QPushButton("Cancel loading")
        self.total_label = QLabel()
        self.total_label.setWordWrap(True)
        self.load_message = QLabel()
        self.load_message.setWordWrap(True)
        self.load_message.setStyleSheet("color:#c62828")
        self.example_button = QPushButton()
        self.example_button.setStyleSheet("text-align:left; padding:4px 8px;")
        self.example = find_example()
        self.example_button.setVisible(False)

        buttons = QHBoxLayout()
        for b in (self.add_files_button, self.add_folder_button, self.paste_button, self.remove_button,
                  self.clear_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        # a load's progress sits at the end of the buttons' row, where there is room already
        buttons.addWidget(self.progress, 2)
        buttons.addWidget(self.progress_label)
        buttons.addWidget(self.cancel_load_button)
        patterns = QHBoxLayout()
        patterns.addWidget(QLabel("Folder filters:"))
        patterns.addWidget(self.include)
        patterns.addWidget(self.exclude)
        self._loading_widgets = (self.progress, self.progress_label, self.cancel_load_button)
        for widget in self._loading_widgets:   # their row keeps its place: showing it moves nothing (no relayout
            policy = widget.sizePolicy()       # and repaint of the whole window as a load starts and ends)
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)
        docs_box = QGroupBox("Documents (the context; drop files or folders here)")
        docs_layout = QVBoxLayout(docs_box)
        docs_layout.addWidget(self.example_button)
        docs_layout.addLayout(buttons)
        docs_layout.addLayout(patterns)
        docs_layout.addWidget(self.doc_table)
        docs_layout.addWidget(self.load_message)
        docs_layout.addWidget(self.total_label)

        # question
        self.question = QPlainTextEdit()
        self.question.setPlaceholderText("Ask a question about the documents…")
        self.question.setMaximumHeight(90)
        question_box = QGroupBox("Question")
        QVBoxLayout(question_box).addWidget(self.question)

        # models and limits
        self.root_model: ModelPicker = ModelPicker()   # typed here: a lambda above reads it
        self.sub_model = ModelPicker(allow_same=True)
        self.test_button = QPushButton("Test connection")
        self.model_note = QLabel()
        self.model_note.setWordWrap(True)
        self.model_note.setStyleSheet("color:#6d4c41")
        self.max_depth = QSpinBox()
        self.max_depth.setRange(0, 5)
        self.max_depth.setToolTip("How deep rlm_query may recurse (1 as in the paper: sub-calls are plain model calls)")
        self.iterations = QSpinBox()
        self.iterations.setRange(1, 1000)
        self.max_subcalls = _limit_spin(1_000_000)
        self.max_cost = QDoubleSpinBox()
        self.max_cost.setRange(0, 10_000)
        self.max_cost.setDecimals(2)
        self.max_cost.setPrefix("$")
        self.max_cost.setSpecialValueText("no limit")
        self.max_tokens = _limit_spin(2_000_000_000)
        self.max_wall = _limit_spin(86_400, " s")
        model_box = QGroupBox("Models and limits")
        grid = QGridLayout(model_box)
        grid.addWidget(QLabel("Root model"), 0, 0)
        grid.addWidget(self.root_model, 0, 1)
        grid.addWidget(self.test_button, 0, 2)
        grid.addWidget(QLabel("Sub-model"), 1, 0)
        grid.addWidget(self.sub_model, 1, 1)
        grid.addWidget(self.model_note, 2, 0, 1, 3)
        limits = QFormLayout()
        limits.addRow("Max depth", self.max_depth)
        limits.addRow("Max iterations", self.iterations)
        limits.addRow("Max sub-calls", self.max_subcalls)
        limits2 = QFormLayout()
        limits2.addRow("Max cost", self.max_cost)
        limits2.addRow("Max tokens", self.max_tokens)
        limits2.addRow("Max time", self.max_wall)
        row = QHBoxLayout()
        row.addLayout(limits)
        row.addLayout(limits2)
        grid.addLayout(row, 3, 0, 1, 3)

        # system prompt
        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setMinimumHeight(140)
        self.restore_prompt_button = QPushButton("Restore default")
        self.prompt_box = QGroupBox("System prompt (saved with the run)")
        self.prompt_box.setCheckable(True)
        self.prompt_box.setChecked(True)
        prompt_layout = QVBoxLayout(self.prompt_box)
        prompt_layout.addWidget(self.system_prompt)
        prompt_layout.addWidget(self.restore_prompt_button, 0, Qt.AlignmentFlag.AlignRight)
        self.prompt_box.toggled.connect(self.system_prompt.setVisible)
        self.prompt_box.toggled.connect(self.restore_prompt_button.setVisible)

        self.extras = RunExtras()  # user tools and the answer protocol

        # run / stop
        self.run_button = QPushButton("Run  (Ctrl+Return)")
        self.run_button.setDefault(True)
        self.run_button.setStyleSheet("font-weight:bold; padding:6px 18px;")
        self.stop_button = QPushButton("Stop  (Esc)")
        self.stop_button.setEnabled(False)
        self.run_message = QLabel()
        self.run_message.setWordWrap(True)
        self.run_message.setStyleSheet("color:#c62828")
        self.action_bar = QWidget()  # the main window keeps it visible below the scrolling panel
        actions = QHBoxLayout(self.action_bar)
        actions.setContentsMargins(8, 4, 8, 4)
        actions.addWidget(self.run_message, 1)
        actions.addWidget(self.stop_button)
        actions.addWidget(self.run_button)

        layout = QVBoxLayout(self)
        layout.addWidget(docs_box, 1)
        layout.addWidget(question_box)
        layout.addWidget(model_box)
        layout.addWidget(self.extras)
        layout.addWidget(self.prompt_box)
        layout.addStretch(1)

        self.add_files_button.clicked.connect(self.choose_files)
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.paste_button.clicked.connect(self.paste_text)
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button.clicked.connect(self.clear_documents)
        self.cancel_load_button.clicked.connect(self.cancel_loading)
        self.restore_prompt_button.clicked.connect(self.restore_default_prompt)
        self.run_button.clicked.connect(self.run_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.test_button.clicked.connect(lambda: self.test_connection_requested.emit(self.root_model.spec()))
        self.root_model.currentTextChanged.connect(self._root_model_changed)
        self.example_button.clicked.connect(self.load_example)
        self._set_loading(False)
        self._update_total()

    # -- settings in and out ----------------------------------------------------------------
    def apply_defaults(self, settings: Any, default_prompt: str, bundled_note: str) -> None:
        self._app_settings = settings   # its sandbox settings: what a worker started before Run is started with
        self.default_system_prompt = default_prompt
        self.bundled_note = bundled_note
        self.root_model.set_spec(settings.root_model)
        self.sub_model.set_spec(settings.sub_model)
        self.max_depth.setValue(settings.max_depth)
        self.iterations.setValue(settings.max_iterations)
        if not self.system_prompt.toPlainText().strip():
            self.system_prompt.setPlainText(default_prompt)
            self._shown_default_prompt = default_prompt
        self._root_model_changed(self.root_model.currentText())

    def offer_example(self) -> None:
        if self.example is not None and not self.documents:
            path, _question = self.example
            self.example_button.setText(f"New here? Load the example document “{path.name}” and its question, "
                                        f"then press Run.")
            self.example_button.setVisible(True)

    def load_example(self) -> None:
        if self.example is None:
            return
        path, question = self.example
        self.example_button.setVisible(False)
        if not self.question.toPlainText().strip():
            self.question.setPlainText(question)
        self.load_paths([path])

    def restore_default_prompt(self) -> None:
        self._shown_default_prompt = self._model_prompt()
        self.system_prompt.setPlainText(self._shown_default_prompt)

    def _model_prompt(self) -> str:
        """The prompt the root model gets when the box is left as it is: the bundled model with its adapter
        has the short one it was trained with (engine.prompts.system_prompt_for), every other the default."""
        from rlm_studio.engine.prompts import BUNDLED_SYSTEM_PROMPT
        from rlm_studio.models.local_server import find_adapter

        if self.root_model.currentText().strip() == "bundled" and find_adapter() is not None:
            return BUNDLED_SYSTEM_PROMPT
        return self.default_system_prompt

    def system_prompt_value(self) -> str | None:
        """None when the prompt is a default left as it is (so the run records the model's own prompt)."""
        text = self.system_prompt.toPlainText().strip()
        defaults = (self.default_system_prompt.strip(), self._shown_default_prompt.strip())
        return None if not text or text in defaults else self.system_prompt.toPlainText()

    def _root_model_changed(self, text: str) -> None:
        spec = text.strip()
        if self.default_system_prompt:  # an untouched prompt box follows the model (the bundled one has its own)
            shown = self.system_prompt.toPlainText().strip()
            if not shown or shown == self._shown_default_prompt.strip():
                self._shown_default_prompt = self._model_prompt()
                self.system_prompt.setPlainText(self._shown_default_prompt)
        if spec == "bundled":
            self.model_note.setText(getattr(self, "bundled_note", "The bundled model is tiny: for trying the app, "
                                                                  "not for good answers."))
        elif spec == "bundled-base":
            from rlm_studio.models.local_server import BASE_MODEL_NOTE
            self.model_note.setText(BASE_MODEL_NOTE)
        elif spec.startswith("script:"):
            self.model_note.setText("A scripted model: prepared responses from a JSON file (for tests and demos).")
        else:
            self.model_note.setText("")
        self._update_total()

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        if not running:
            self._prewarm()   # the next question about the same document

    def _prewarm(self) -> None:
        """A lone document kept in a context file: start its sandbox worker now (it decodes the whole text into
        `context`, about half a second of CPU a GB), so Run finds it ready; else close any such worker."""
        import asyncio

        docs = self.documents
        context = getattr(docs[0], "context", None) if len(docs) == 1 else None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return   # no event loop (a panel on its own): nothing to start a worker with
        from rlm_studio.sandbox import prewarm

        if context is None:
            prewarm.discard()
            return
        from rlm_studio.engine.settings import RunSettings
        from rlm_studio.sandbox import SandboxLimits

        settings = self._app_settings
        limits = SandboxLimits(memory_mb=RunSettings.sandbox_memory_mb,
                               cell_timeout_s=getattr(settings, "cell_timeout_s", RunSettings.cell_timeout_s))
        prewarm.prewarm(context.path, limits, getattr(settings, "isolation", RunSettings.isolation))

    # -- documents --------------------------------------------------------------------------
    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add documents")
        if paths:
            self.load_paths([Path(p) for p in paths])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder")
        if folder:
            self.load_folder(Path(folder))

    def paste_text(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self, "Paste text", "Text to use as a document:")
        if ok:
            self.add_pasted(text)

    def add_pasted(self, text: str, name: str | None = None) -> bool:
        from rlm_studio.documents import DocumentError, from_pasted_text

        count = sum(1 for d in self.documents if d.path is None) + 1
        try:
            document = from_pasted_text(text, name or f"pasted text {count}")
        except DocumentError as exc:
            self.load_message.setText(str(exc))
            return False
        self._add_documents([document], [])
        return True

    def _patterns(self, edit: QLineEdit) -> list[str]:
        return [p.strip() for p in edit.text().split(",") if p.strip()]

    def load_paths(self, paths: list[Path]) -> None:
        from rlm_studio.documents import load_paths

        from .file_backed_loader import stream_large_file

        include, exclude = self._patterns(self.include), self._patterns(self.exclude)
        names = ", ".join(p.name for p in paths[:3]) + (" …" if len(paths) > 3 else "")
        self._start_job(lambda progress, cancel: load_paths(paths, include=include, exclude=exclude,
                                                            progress=progress, cancel=cancel,
                                                            large=stream_large_file), names)

    def load_folder(self, folder: Path) -> None:
        from rlm_studio.documents import load_folder

        from .file_backed_loader import stream_large_file

        include, exclude = self._patterns(self.include), self._patterns(self.exclude)
        self._start_job(lambda progress, cancel: load_folder(folder, include=include, exclude=exclude,
                                                             progress=progress, cancel=cancel,
                                                             large=stream_large_file), folder.name)

    def _start_job(self, load: Callable[..., FolderLoad], description: str) -> None:
        if self.loading:
            self.load_message.setText("Wait for the current load to finish, or cancel it.")
            return
        self.load_message.setText("")
        job = DocumentLoadJob(load, description, self)
        job.progress.connect(self._progress)
        job.loaded.connect(lambda result: self._job_done(job, result))
        job.failed.connect(lambda message: self._job_failed(job, message))
        job.cancelled.connect(lambda: self._job_cancelled(job))
        self.job = job
        self.progress.setValue(0)
        self.progress_label.setText(f"Loading {description}…")
        self._set_loading(True)
        job.start()

    def cancel_loading(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.progress_label.setText("Cancelling…")

    def _progress(self, done: int, total: int) -> None:
        bar = self.progress
        bar.setUpdatesEnabled(False)   # setValue would repaint the bar (and what is behind it) there and then:
        bar.setValue(int(1000 * done / total) if total else 0)
        bar.setUpdatesEnabled(True)    # this schedules the paint instead, with the window's next one
        if total:
            self.progress_label.setText(f"{fmt.chars(done)}B of {fmt.chars(total)}B")

    def _job_done(self, job: DocumentLoadJob, result: FolderLoad) -> None:
        self._set_loading(False)
        self._add_documents(list(result.documents), list(result.skipped))

    def _job_failed(self, job: DocumentLoadJob, message: str) -> None:
        self._set_loading(False)
        self.load_message.setText(message)

    def _job_cancelled(self, job: DocumentLoadJob) -> None:
        self._set_loading(False)
        self.load_message.setText("Loading was cancelled; nothing was added.")

    def _set_loading(self, loading: bool) -> None:
        if not loading:
            self.job = None
        for widget in self._loading_widgets:
            widget.setVisible(loading)
        for button in (self.add_files_button, self.add_folder_button, self.paste_button):
            button.setEnabled(not loading)

    @property
    def loading(self) -> bool:
        """A load is going on (until its result has been handled here)."""
        return self.job is not None

    def _add_documents(self, documents: list[Any], skipped: list[Any]) -> None:
        self.documents.extend(documents)
        self.example_button.setVisible(False)
        from rlm_studio.documents import encoding_lines, skipped_lines

        notes = [f"note: {line}" for line in encoding_lines(documents)]
        if skipped or notes:   # a list of what was left out and why, and of texts read as a guessed encoding
            self.load_message.setText("\n".join(skipped_lines(skipped, limit=8) + notes))
            self.load_message.setToolTip("\n".join(skipped_lines(skipped, limit=len(skipped)) + notes))
        self._refresh_table()

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.doc_table.selectedIndexes()}, reverse=True)
        for row in rows:
            del self.documents[row]
        self._refresh_table()

    def clear_documents(self) -> None:
        self.documents.clear()
        self.load_message.setText("")
        self._refresh_table()

    def _refresh_table(self) -> None:
        self.doc_table.setRowCount(len(self.documents))
        for row, doc in enumerate(self.documents):
            note = getattr(doc, "encoding_note", None)
            kind = f"{doc.kind} ({doc.encoding})" if note else doc.kind
            if hasattr(doc, "context"):   # a FileBackedDocument: its text is in a context file, not in memory
                kind = f"{doc.kind} (in a file)"
                note = (f"{doc.size_bytes / 1e6:,.0f} MB kept in a context file that the sandbox maps, not in "
                        f"the app's memory. It starts: {doc.prefix[:200]!r}")
            values = (doc.name, kind, f"{doc.chars:,}", f"{doc.est_tokens:,}")
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if note:
                    item.setToolTip(note)
                if col >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.doc_table.setItem(row, col, item)
        self._update_total()
        self._prewarm()

    def _update_total(self) -> None:
        chars = sum(d.chars for d in self.documents)
        tokens = sum(d.est_tokens for d in self.documents)
        spec = self.root_model.spec()
        window = self.windows.lookup(spec) if spec else None
        text = f"<b>Total:</b> {len(self.documents)} document(s), {chars:,} characters ≈ {tokens:,} tokens (estimate)."
        if window:
            ratio = tokens / window
            if ratio > 1:
                text += (f" That is <b>{ratio:,.1f}×</b> the root model's window ({window:,} tokens): it cannot "
                         f"be read at once, which is what the RLM is for (it reads it through the REPL).")
            else:
                text += f" The root model's window is {window:,} tokens ({ratio:.0%} of it)."
        elif spec:
            text += " The root model's window is not known."
        self.total_label.setText(text)

    # -- drag and drop ----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasText():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if paths:
            self.load_paths(paths)
        elif mime.hasText():
            self.add_pasted(mime.text(), "dropped text")
        event.acceptProposedAction()

    # -- the run ----------------------------------------------------------------------------
    def collect(self) -> tuple[str, Any, dict[str, Any]]:
        """(question, context, RunSettings keyword arguments); ValueError with a user message when not ready."""
        from rlm_studio.documents import DocumentError, run_context

        if self.loading:
            raise ValueError("Documents are still loading: wait for them or cancel the load.")
        question = self.question.toPlainText().strip()
        if not question:
            raise ValueError("Write a question first: what should the model find out from the documents?")
        if not self.documents:
            raise ValueError("Add at least one document (files, a folder, or pasted text) to use as the context.")
        root = self.root_model.spec()
        if not root:
            raise ValueError("Choose a root model.")
        settings = {
            "root_model": root,
            "sub_model": self.sub_model.spec() or None,
            "max_depth": self.max_depth.value(),
            "max_iterations": self.iterations.value(),
            "max_subcalls": self.max_subcalls.value() or None,
            "max_cost_usd": self.max_cost.value() or None,
            "max_tokens": self.max_tokens.value() or None,
            "max_wall_s": float(self.max_wall.value()) or None,
            "system_prompt": self.system_prompt_value(),
            **self.extras.settings(),
        }
        from .file_backed_runs import MixedDocuments

        try:   # a large document with others: copied into one context file when the run starts (RunController)
            context = run_context(self.documents, mixed=MixedDocuments)
        except DocumentError as exc:
            raise ValueError(str(exc)) from None
        return question, context, settings

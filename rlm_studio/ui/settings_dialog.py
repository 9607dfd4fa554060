"""Settings: API keys (OS keyring only), price overrides, default models, sandbox limits, database location."""

from __future__ import annotations

import copy

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .app_settings import AppSettings


def keyring_status() -> tuple[bool, str]:
    """(usable, description) of the OS keyring backend."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False, "the keyring package is not installed"
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or type(backend).__name__ in ("Keyring",) and "fail" in type(backend).__module__:
        return False, "no OS keyring backend is available on this system"
    return True, f"keys are stored in {type(backend).__module__.split('.')[-1]} ({type(backend).__name__})"


def _number_in(cell: QTableWidgetItem | None) -> float:
    """The number a table cell holds; ValueError when it is not one (or the cell was never filled)."""
    if cell is None:
        raise ValueError("an empty cell")
    return float(cell.text())


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.resize(640, 460)
        self.settings = copy.deepcopy(settings)
        tabs = QTabWidget()
        tabs.addTab(self._keys_tab(), "Providers and API keys")
        tabs.addTab(self._prices_tab(), "Prices")
        tabs.addTab(self._models_tab(), "Default models")
        tabs.addTab(self._sandbox_tab(), "Sandbox")
        tabs.addTab(self._db_tab(), "Database")
        tabs.addTab(self._failure_tab(), "Findings")
        self.error = QLabel()
        self.error.setStyleSheet("color:#c62828")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    # -- keys ---------------------------------------------------------------------------------
    def _keys_tab(self) -> QWidget:
        from rlm_studio.models import credentials

        page = QWidget()
        layout = QVBoxLayout(page)
        usable, description = keyring_status()
        banner = QLabel()
        banner.setWordWrap(True)
        if usable:
            banner.setText(f"API keys are saved in the OS keyring: {description}. They are never written to a file.")
        else:
            banner.setText(f"<b>No OS keyring here</b> ({description}). RLM Studio cannot save API keys; it reads "
                           "them from environment variables instead (e.g. <code>OPENAI_API_KEY</code>). "
                           "Set them before starting the app. Keys are never written to plain-text files.")
            banner.setStyleSheet("background:#fff3e0; padding:6px; border:1px solid #ef6c00;")
        layout.addWidget(banner)
        providers = list(dict.fromkeys(credentials.PROVIDER_ENV_VARS))
        self.key_table = QTableWidget(len(providers), 3)
        self.key_table.setHorizontalHeaderLabels(["Provider", "Environment variable", "Key found"])
        self.key_table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.key_table.verticalHeader().setVisible(False)
        self.key_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, provider in enumerate(providers):
            source = credentials.key_source(provider)
            where = "no key" if source is None else (
                f"yes, from {source[4:]}" if source.startswith("env:") else "yes, in the keyring")
            for col, text in enumerate((provider, credentials.env_var_for(provider) or "", where)):
                self.key_table.setItem(row, col, QTableWidgetItem(text))
        layout.addWidget(self.key_table)
        form = QHBoxLayout()
        self.key_provider = QComboBox()
        self.key_provider.addItems(providers)
        self.key_value = QLineEdit()
        self.key_value.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_value.setPlaceholderText("paste an API key")
        self.save_key_button = QPushButton("Save in keyring")
        self.save_key_button.clicked.connect(self.save_key)
        form.addWidget(self.key_provider)
        form.addWidget(self.key_value, 1)
        form.addWidget(self.save_key_button)
        layout.addLayout(form)
        self.key_message = QLabel()
        self.key_message.setWordWrap(True)
        layout.addWidget(self.key_message)
        return page

    def save_key(self) -> None:
        from rlm_studio.models import credentials

        provider = self.key_provider.currentText()
        try:
            credentials.set_api_key(provider, self.key_value.text())
        except (credentials.KeyringUnavailable, ValueError) as exc:
            self.key_message.setStyleSheet("color:#c62828")
            self.key_message.setText(str(exc))
            return
        finally:
            self.key_value.clear()
        self.key_message.setStyleSheet("color:#2e7d32")
        self.key_message.setText(f"Saved the {provider} key ({credentials.mask_key(credentials.get_api_key(provider))})"
                                 " in the keyring.")

    # -- prices -------------------------------------------------------------------------------
    def _prices_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("Your own prices, in dollars per million tokens; they win over litellm's price table."))
        self.price_table = QTableWidget(0, 3)
        self.price_table.setHorizontalHeaderLabels(["Model", "Input $/1M", "Output $/1M"])
        self.price_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for model, price in self.settings.price_overrides.items():
            self._add_price_row(model, price.get("input", 0), price.get("output", 0))
        add = QPushButton("Add")
        add.clicked.connect(lambda: self._add_price_row("", 0, 0))
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self.price_table.removeRow(self.price_table.currentRow()))
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addWidget(self.price_table)
        layout.addLayout(row)
        return page

    def _add_price_row(self, model: str, input_price: float, output_price: float) -> None:
        row = self.price_table.rowCount()
        self.price_table.insertRow(row)
        for col, value in enumerate((model, str(input_price), str(output_price))):
            self.price_table.setItem(row, col, QTableWidgetItem(value))

    # -- models, sandbox, database --------------------------------------------------------------
    def _models_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.root_model = QLineEdit(self.settings.root_model)
        self.sub_model = QLineEdit(self.settings.sub_model)
        self.sub_model.setPlaceholderText("same as the root model")
        self.max_depth = QSpinBox()
        self.max_depth.setRange(0, 5)
        self.max_depth.setValue(self.settings.max_depth)
        self.iterations = QSpinBox()
        self.iterations.setRange(1, 1000)
        self.iterations.setValue(self.settings.max_iterations)
        form.addRow("Root model", self.root_model)
        form.addRow("Sub-model", self.sub_model)
        form.addRow("Max depth", self.max_depth)
        form.addRow("Max iterations", self.iterations)
        return page

    def _sandbox_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.cell_timeout = QDoubleSpinBox()
        self.cell_timeout.setRange(1, 86_400)
        self.cell_timeout.setSuffix(" s")
        self.cell_timeout.setValue(self.settings.cell_timeout_s)
        self.output_limit = QSpinBox()
        self.output_limit.setRange(100, 10_000_000)
        self.output_limit.setValue(self.settings.output_limit_chars)
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 256)
        self.concurrency.setValue(self.settings.batch_concurrency)
        self.isolation = QComboBox()
        self.isolation.addItems(["auto", "bwrap", "process"])
        self.isolation.setCurrentText(self.settings.isolation)
        form.addRow("Time limit per cell", self.cell_timeout)
        form.addRow("Output fed back per cell (characters)", self.output_limit)
        form.addRow("Parallel sub-calls", self.concurrency)
        form.addRow("Isolation", self.isolation)
        return page

    def _db_tab(self) -> QWidget:
        from rlm_studio.storage.paths import default_db_path

        page = QWidget()
        layout = QVBoxLayout(page)
        self.db_path = QLineEdit(self.settings.db_path)
        self.db_path.setPlaceholderText(str(default_db_path()))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_db)
        row = QHBoxLayout()
        row.addWidget(self.db_path, 1)
        row.addWidget(browse)
        layout.addWidget(QLabel("The database file with every run (applies after a restart; --db wins):"))
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    # labels of analysis.detectors.Thresholds fields (a new field shows with its own name)
    THRESHOLD_LABELS = {
        "max_subcalls_per_iteration": "Over-subcalling: sub-calls in one iteration",
        "max_subcalls_per_1k_chars": "Over-subcalling: sub-calls per 1,000 context characters",
        "min_subcalls_for_rate": "Over-subcalling: ignore the rate below this many sub-calls",
        "repeated_prompt_count": "Over-subcalling: the same sub-call prompt this many times",
        "context_pressure_ratio": "Context pressure: root prompt share of the context window",
        "repeated_error_count": "Repeated errors: the same error in this many cells in a row",
    }

    def _failure_tab(self) -> QWidget:
        from dataclasses import fields

        from rlm_studio.analysis.detectors import Thresholds

        page = QWidget()
        form = QFormLayout(page)
        note = QLabel("When a run gets a finding of a failure mode (badges in the history and the Analysis tab). "
                      "Applies to runs that end or are opened for the first time from now on.")
        note.setWordWrap(True)
        form.addRow(note)
        try:
            current = self.settings.thresholds()
        except ValueError:
            current = Thresholds()
        self.threshold_fields: dict[str, QSpinBox | QDoubleSpinBox] = {}
        for f in fields(Thresholds):
            value = getattr(current, f.name)
            spin: QSpinBox | QDoubleSpinBox
            if isinstance(f.default, int):
                spin = QSpinBox()
                spin.setRange(1, 1_000_000)
            else:
                spin = QDoubleSpinBox()
                spin.setDecimals(2)
                spin.setSingleStep(0.05 if f.name == "context_pressure_ratio" else 0.5)
                spin.setRange(0.01, 1.0 if f.name == "context_pressure_ratio" else 1_000_000)
            spin.setValue(value)
            self.threshold_fields[f.name] = spin
            form.addRow(self.THRESHOLD_LABELS.get(f.name, f.name), spin)
        reset = QPushButton("Reset to defaults")
        reset.clicked.connect(lambda: [self.threshold_fields[n].setValue(getattr(Thresholds(), n))
                                       for n in self.threshold_fields])
        form.addRow(reset)
        return page

    def _choose_db(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Database file", self.db_path.text() or "rlm_studio.db",
                                              "SQLite database (*.db)")
        if path:
            self.db_path.setText(path)

    # -- result -------------------------------------------------------------------------------
    def result_settings(self) -> AppSettings:
        """The edited settings; ValueError names the first bad value."""
        s = copy.deepcopy(self.settings)
        s.root_model = self.root_model.text().strip()
        s.sub_model = self.sub_model.text().strip()
        s.max_depth = self.max_depth.value()
        s.max_iterations = self.iterations.value()
        s.cell_timeout_s = self.cell_timeout.value()
        s.output_limit_chars = self.output_limit.value()
        s.batch_concurrency = self.concurrency.value()
        s.isolation = self.isolation.currentText()
        s.db_path = self.db_path.text().strip()
        prices = {}
        for row in range(self.price_table.rowCount()):
            cells = [self.price_table.item(row, c) for c in range(3)]
            first = cells[0]
            model = first.text().strip() if first else ""
            if not model:
                continue
            try:
                prices[model] = {"input": _number_in(cells[1]), "output": _number_in(cells[2])}
            except ValueError:
                raise ValueError(f"The price of {model!r} must be two numbers (dollars per million tokens).") from None
        s.price_overrides = prices
        from rlm_studio.analysis.detectors import Thresholds

        defaults = Thresholds()
        s.failure_thresholds = {name: spin.value() for name, spin in self.threshold_fields.items()
                                if spin.value() != getattr(defaults, name)}
        s.validate()
        return s

    def accept(self) -> None:
        try:
            self.settings = self.result_settings()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        super().accept()

"""The Bench tab's set-up form: suite, sizes, tasks per size, methods, models, concurrency; it builds a BenchPlan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from rlm_studio.bench.methods import METHOD_NAMES
from rlm_studio.bench.suites import FAMILIES, SUITES
from rlm_studio.bench.tokens import format_size, parse_sizes

from .new_run_panel import ModelPicker

if TYPE_CHECKING:
    from rlm_studio.bench.runner import BenchPlan


class BenchForm(QWidget):
    """What to run. `plan()` raises ValueError with a one-line reason for bad input."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        self.suite = QComboBox()
        for name in [*FAMILIES, *SUITES]:
            about = FAMILIES[name][1] if name in FAMILIES else "families: " + ", ".join(SUITES[name])
            self.suite.addItem(name)
            self.suite.setItemData(self.suite.count() - 1, about, 3)   # Qt.ToolTipRole
        self.suite.currentTextChanged.connect(self._suite_changed)
        form.addRow("Suite", self.suite)
        self.sizes = QLineEdit()
        self.sizes.setPlaceholderText("the family's default sizes, e.g. 8k,32k,128k")
        form.addRow("Sizes", self.sizes)
        self.tasks = QSpinBox()
        self.tasks.setRange(1, 1000)
        self.tasks.setValue(5)
        self.tasks.setSuffix(" per size")
        form.addRow("Tasks", self.tasks)
        methods = QWidget()
        grid = QGridLayout(methods)
        grid.setContentsMargins(0, 0, 0, 0)
        self.methods: dict[str, QCheckBox] = {}
        for n, name in enumerate(METHOD_NAMES):
            box = QCheckBox(name)
            box.setChecked(name in ("rlm", "base"))
            self.methods[name] = box
            grid.addWidget(box, n // 3, n % 3)
        form.addRow("Methods", methods)
        self.root_model = ModelPicker()
        self.sub_model = ModelPicker(allow_same=True)
        for picker in (self.root_model, self.sub_model):
            picker.setMinimumContentsLength(16)
        form.addRow("Root model", self.root_model)
        form.addRow("Sub-model", self.sub_model)
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(2)
        self.concurrency.setSuffix(" tasks at once")
        form.addRow("Concurrency", self.concurrency)
        self.executor = QComboBox()
        self.executor.addItems(["local", "ray"])
        self.executor.setToolTip("local: tasks run in this app; ray: as Ray tasks on a cluster (needs the [ray] extra)")
        self.address = QLineEdit()
        self.address.setPlaceholderText("Ray cluster: auto, ray://HOST:10001, or empty for a local Ray instance")
        self.address.setEnabled(False)
        self.executor.currentTextChanged.connect(lambda name: self.address.setEnabled(name == "ray"))
        form.addRow("Executor", self.executor)
        form.addRow("Ray address", self.address)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2 ** 31 - 1)
        form.addRow("Seed", self.seed)
        self.name = QLineEdit()
        self.name.setPlaceholderText("optional, e.g. the model's name")
        form.addRow("Name", self.name)
        self._suite_changed(self.suite.currentText())

    def _suite_changed(self, suite: str) -> None:
        if suite in FAMILIES:
            self.sizes.setPlaceholderText("default " + ",".join(format_size(s) for s in FAMILIES[suite][0]))
        else:
            self.sizes.setPlaceholderText("each family's default sizes")

    def set_models(self, root: str, sub: str = "") -> None:
        self.root_model.set_spec(root)
        self.sub_model.set_spec(sub)

    def set_methods(self, names: list[str]) -> None:
        for name, box in self.methods.items():
            box.setChecked(name in names)

    def executor_choice(self) -> tuple[str, str | None]:
        """(executor name, Ray address or None)."""
        name = self.executor.currentText()
        return name, (self.address.text().strip() or None) if name == "ray" else None

    def plan(self, model_settings: dict[str, Any] | None = None) -> BenchPlan:
        from rlm_studio.bench.runner import BenchPlan  # not at window start: it pulls in the storage layer

        sizes = parse_sizes(self.sizes.text()) if self.sizes.text().strip() else None
        methods = [name for name, box in self.methods.items() if box.isChecked()]
        if not methods:
            raise ValueError("choose at least one method")
        root = self.root_model.spec()
        if not root:
            raise ValueError("choose a root model")
        settings = {"root_model": root, "sub_model": self.sub_model.spec() or None}
        return BenchPlan(suite=self.suite.currentText(), sizes=sizes, tasks=self.tasks.value(), methods=methods,
                         seed=self.seed.value(), settings=settings, model_settings=dict(model_settings or {}),
                         name=self.name.text().strip(), concurrency=self.concurrency.value())

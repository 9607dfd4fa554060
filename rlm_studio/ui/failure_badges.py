"""Failure-mode findings as a list of coloured badges with their reason; clicking one points at its nodes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

# Kind -> (title shown on the badge, badge colour). Unknown kinds get a grey badge with their raw name.
KIND_STYLES: dict[str, tuple[str, str]] = {
    "over_subcalling": ("Over-subcalling", "#c62828"),
    "final_confusion": ("FINAL confusion", "#6a1b9a"),
    "answer_discarded": ("Answer discarded", "#ad1457"),
    "context_pressure": ("Context pressure", "#ef6c00"),
    "repeated_errors": ("Repeated errors", "#d84315"),
    "iteration_limit": ("Iteration limit", "#5d4037"),
    "no_code": ("No code", "#1565c0"),
}
_UNKNOWN_COLOUR = "#616161"


def kind_title(kind: str) -> str:
    return KIND_STYLES.get(kind, (kind.replace("_", " ").capitalize(), ""))[0]


def kind_colour(kind: str) -> str:
    return KIND_STYLES.get(kind, ("", _UNKNOWN_COLOUR))[1]


def _read(finding: Any) -> tuple[str, str, list[str]]:
    """(kind, reason, node ids) of a Finding or of its stored dict."""
    if isinstance(finding, dict):
        kind, reason, nodes = finding.get("kind"), finding.get("reason"), finding.get("nodes")
    else:
        kind, reason, nodes = (getattr(finding, "kind", None), getattr(finding, "reason", None),
                               getattr(finding, "nodes", None))
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"a failure-mode finding needs a kind, got {finding!r}")
    return kind, str(reason or ""), [str(n) for n in (nodes or [])]


class FindingRow(QFrame):
    """One finding: badge, reason and how many nodes it concerns. Click or Enter activates it."""

    activated = Signal()

    def __init__(self, kind: str, reason: str, nodes: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.kind, self.reason, self.nodes = kind, reason, nodes
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor if nodes else Qt.CursorShape.ArrowCursor)
        self.badge = QLabel(kind_title(kind))
        self.badge.setObjectName("badge")
        self.badge.setStyleSheet(f"QLabel#badge {{ background: {kind_colour(kind)}; color: white; font-weight: bold;"
                                 " border-radius: 8px; padding: 2px 8px; }")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reason_label = QLabel(reason)
        self.reason_label.setWordWrap(True)
        self.where = QLabel()
        self.where.setStyleSheet("color: #666;")
        self.set_position(0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.reason_label, 1)
        layout.addWidget(self.where, 0, Qt.AlignmentFlag.AlignTop)
        self.setToolTip("Click to select the node this concerns in the tree" if len(nodes) == 1 else
                        "Click to select the nodes this concerns, one after the other" if nodes else
                        "This finding concerns the run as a whole")

    def set_position(self, shown: int) -> None:
        """`shown`: how many of the nodes have been pointed at so far (for "2 of 5")."""
        n = len(self.nodes)
        if n <= 1:
            self.where.setText("1 node" if n == 1 else "")
        else:
            self.where.setText(f"{n} nodes" if shown == 0 else f"node {shown} of {n}")

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep the wrapped reason fully visible: its height depends on the width it gets."""
        super().resizeEvent(event)
        needed = self.reason_label.heightForWidth(self.reason_label.width())
        if needed > 0 and needed != self.reason_label.minimumHeight():
            self.reason_label.setMinimumHeight(needed)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.activated.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit()
            return
        super().keyPressEvent(event)


class FindingsList(QWidget):
    """Shows a run's findings (detected failure modes). Activating a finding emits `node_activated` with
    one of its node ids (the next one on each click, so a finding about many nodes walks through them)."""

    node_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[FindingRow] = []
        self._next: dict[int, int] = {}
        self.title = QLabel()
        self.empty = QLabel("No findings: none of the known failure modes showed up in this run.")
        self.empty.setStyleSheet("color: #2e7d32;")
        self._box = QWidget()
        self._rows_layout = QVBoxLayout(self._box)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(4)
        self._rows_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.empty)
        layout.addWidget(scroll, 1)
        self.set_findings([])

    def set_findings(self, findings: Iterable[Any]) -> None:
        """Show these findings (Finding objects or their dicts), replacing the ones shown."""
        read = [_read(f) for f in findings]
        for row in self.rows:
            self._rows_layout.removeWidget(row)
            row.deleteLater()
        self.rows = []
        self._next = {}
        for kind, reason, nodes in read:
            row = FindingRow(kind, reason, nodes)
            number = len(self.rows)
            row.activated.connect(lambda n=number: self.activate(n))
            self._rows_layout.insertWidget(self._rows_layout.count() - 1, row)
            self.rows.append(row)
        self.empty.setVisible(not read)
        self.title.setText(f"<b>Findings</b> ({len(read)} possible failure modes)" if read else "<b>Findings</b>")

    @property
    def findings(self) -> list[tuple[str, str, list[str]]]:
        """(kind, reason, nodes) of every finding shown, in order."""
        return [(r.kind, r.reason, list(r.nodes)) for r in self.rows]

    def activate(self, number: int) -> str | None:
        """Activate finding `number` (0-based); returns the node id it pointed at, if it has nodes."""
        row = self.rows[number]
        if not row.nodes:
            return None
        position = self._next.get(number, 0) % len(row.nodes)
        self._next[number] = position + 1
        row.set_position(position + 1)
        node_id = row.nodes[position]
        self.node_activated.emit(node_id)
        return node_id

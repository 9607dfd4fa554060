"""The history shows a conversation as one entry: its first question, with the later turns under it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem


def _top_level(tree: QTreeWidget, row: int) -> QTreeWidgetItem:
    item = tree.topLevelItem(row)
    assert item is not None   # row < topLevelItemCount()
    return item


def all_items(tree: QTreeWidget) -> Iterator[QTreeWidgetItem]:
    """Every run item, turns under their conversation included, in the order shown."""
    # walked by index: PySide's QTreeWidgetItemIterator hands out items it then frees (a double delete later)
    for row in range(tree.topLevelItemCount()):
        item = _top_level(tree, row)
        yield item
        for child in range(item.childCount()):
            turn = item.child(child)
            assert turn is not None   # child < childCount()
            yield turn


def item_order(tree: QTreeWidget, item: QTreeWidgetItem) -> tuple[int, int]:
    """Where an item is shown: (its top-level row, its row under that one; -1 for the entry itself)."""
    parent = item.parent()
    if parent is None:
        return tree.indexOfTopLevelItem(item), -1
    return tree.indexOfTopLevelItem(parent), parent.indexOfChild(item)


def group_conversations(tree: QTreeWidget, store: Any) -> int:
    """Move each conversation's later turns under its first turn; return how many entries were grouped."""
    if store is None:
        return 0
    from rlm_studio.storage.conversations import turns_of

    items = {_top_level(tree, i).data(0, Qt.ItemDataRole.UserRole): _top_level(tree, i)
             for i in range(tree.topLevelItemCount())}
    try:
        turns = turns_of(store, [run_id for run_id in items if run_id])
    except Exception:   # an older database without the table: nothing to group
        return 0
    groups: dict[str, list[tuple[int, str]]] = {}
    for run_id, (conversation_id, turn) in turns.items():
        if turn > 1:
            groups.setdefault(conversation_id, []).append((turn, run_id))
    grouped = 0
    for conversation_id, later in groups.items():
        first = items.get(conversation_id)
        for turn, run_id in sorted(later):
            item = items[run_id]
            item.setText(0, f"Turn {turn}: {item.text(0)}")
            if first is not None:
                tree.takeTopLevelItem(tree.indexOfTopLevelItem(item))
                first.addChild(item)
        if first is not None:
            first.setText(0, f"{first.text(0)}  ({len(later) + 1} turns)")
            first.setExpanded(True)
            grouped += 1
    if grouped:
        tree.setRootIsDecorated(True)
    return grouped

"""Take the README screenshots from a real run of the app (offscreen, scripted models, the example logbook).

    .venv/bin/python docs/screenshots/make_screenshots.py
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "PySide6")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # run from a checkout without installing
ROOT_RESPONSES = [
    "Let me look at the shape of the log first.\n```repl\nlines = context.split('\\n')\n"
    "print(len(context), 'characters,', len(lines), 'lines')\nprint('\\n'.join(lines[:4]))\n```",
    "I will ask a sub-model about each chunk of the log.\n```repl\n"
    "chunks = ['\\n'.join(lines[i:i + 400]) for i in range(0, len(lines), 400)]\n"
    "notes = llm_query_batched([f'Is anything found that is not on a manifest? Quote it.\\n{c}' for c in chunks])\n"
    "for i, note in enumerate(notes):\n    print(i, note)\n```",
    "Chunk answers point at one entry. Let me read it exactly.\n```repl\n"
    "hits = [l for l in lines if 'KX-4471' in l]\nfor h in hits:\n    print(h)\n"
    "answer = hits[0] if hits else 'not found'\n```",
    "```repl\nFINAL_VAR('answer')\n```",
]


def write_scripts(folder: Path) -> tuple[str, str]:
    root = folder / "root.json"
    root.write_text(json.dumps({"responses": ROOT_RESPONSES, "delay_ms": 120}))
    sub = folder / "sub.json"
    sub.write_text(json.dumps({"rules": [{"match": "KX-4471", "delay_ms": 200,
                                          "content": "Yes: an unlabelled steel crate, serial KX-4471-M, behind fuel "
                                                     "depot B (2023-08-09, Sean O'Malley)."}],
                               "default": "Nothing off-manifest in this part; routine entries only.",
                               "delay_ms": 150}))
    return f"script:{root}", f"script:{sub}"


async def main() -> int:
    from PySide6.QtWidgets import QApplication

    from rlm_studio.ui.examples import find_example
    from rlm_studio.ui.main_window import MainWindow

    app = QApplication.instance()
    work = Path(tempfile.mkdtemp(prefix="rlm-shots-"))
    os.environ["RLM_STUDIO_HOME"] = str(work)
    window = MainWindow(str(work / "runs.db"), discover_models=False, preload_models=False)
    window.resize(1440, 1000)  # tall enough for the new-run panel down to "The run ends with"
    window.show()
    while not window.store_ready:
        await asyncio.sleep(0.05)
    panel = window.new_run
    example = find_example()
    assert example is not None, "resources/examples has no example document"
    panel.load_example()
    while panel.loading or not panel.documents:
        await asyncio.sleep(0.05)
    root, sub = write_scripts(work)
    panel.root_model.set_spec("bundled")
    await asyncio.sleep(0.2)
    window.grab().save(str(HERE / "new_run_panel.png"))
    panel.root_model.set_spec(root)
    panel.sub_model.set_spec(sub)
    result = await window.run_once()
    print("run:", result.status, result.answer)
    view = window.run_view
    view.tree_view.expandAll()
    for node_id in view.model.tree.walk():
        node = view.model.tree.node(node_id)
        if node.kind == "cell" and "llm_query_batched" in node.summary + "".join(
                e.code for e in view.index.for_node(node_id) if e.kind == "cell_started"):
            view.select_node(node_id)
            break
    await asyncio.sleep(0.3)
    window.grab().save(str(HERE / "run_view_code_cell.png"))

    # the Analysis tab: findings above the charts, the pointer over a sub-call of the batch (its read-out)
    window.tabs.setCurrentWidget(window.analysis)
    await asyncio.sleep(0.5)
    waterfall = window.analysis.charts.timeline_chart
    sub = next(b for b in waterfall.waterfall.bars if b["kind"] == "subcall" and b["lane"] == 1)
    from PySide6.QtTest import QTest

    QTest.mouseMove(waterfall.viewport(), waterfall.call_point(sub["node_id"]))
    await asyncio.sleep(0.3)
    window.grab().save(str(HERE / "charts.png"))
    window.analysis.charts.export_to(work / "charts.svg")   # the same figures through matplotlib
    window.tabs.setCurrentWidget(view)

    # fork at the third iteration with an edited response: the dialog, then the fork with its link
    tree = view.model.tree
    third = [c for c in tree.children(tree.root_id) if tree.node(c).kind == "iteration"][2]
    view.select_node(third)
    window.fork_from_node(third)
    dialog = window.open_fork_dialog
    dialog.edit_response.setChecked(True)
    dialog.response.setPlainText("Count every entry that mentions the serial, then answer.\n```repl\n"
                                 "hits = [l for l in lines if 'KX-4471' in l]\n"
                                 "answer = f'{len(hits)} entries: ' + ' | '.join(hits)\nFINAL_VAR('answer')\n```")
    await asyncio.sleep(0.2)
    dialog.grab().save(str(HERE / "fork_dialog.png"))
    dialog.accept()
    while window._last_result is None or window._last_result.run_id == result.run_id or window.controller.running:
        await asyncio.sleep(0.05)
    print("fork:", window._last_result.status, window._last_result.answer)
    await asyncio.sleep(0.3)
    window.grab().save(str(HERE / "fork_run.png"))

    # the Replay tab, stopped two thirds of the way through the run
    fork_id = window._last_result.run_id
    window.replay_run(result.run_id)
    replay = window.replay_view
    replay.seek(len(replay.events) * 2 // 3)
    await asyncio.sleep(0.3)
    window.grab().save(str(HERE / "replay.png"))

    # the Compare tab: the run and its fork side by side
    window.compare_runs([result.run_id, fork_id])
    await asyncio.sleep(0.5)
    window.grab().save(str(HERE / "compare.png"))
    window.close()
    app.quit()
    return 0


if __name__ == "__main__":
    import qasync
    from PySide6.QtWidgets import QApplication

    QApplication(sys.argv[:1])
    sys.exit(qasync.run(main()))

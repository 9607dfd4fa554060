"""Desktop app figures: time to first window, opening a stored run (at each of `--sizes` nodes), the longest
UI-thread stall during a live run with 1,000 sub-calls (QTimer heartbeat), and memory with those runs open.

    .venv/bin/python benchmarks/bench_ui.py [--json] [--sizes 1000,10000,100000]

A stored run of N nodes is 20 iterations, each a root call and one cell of batched sub-calls (at 100,000
nodes: 20 x 5,000), the shape of a large RLM run; the default sizes keep a run short. The app opens it from
its node rows (a usable tree: the top levels expanded and painted), reads a node's details when it is
selected, and the figures are given in wall seconds and in CPU seconds of this process (what load on the
machine does not distort: the load average is printed with them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "PySide6")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_WINDOW_CODE = """
import sys, time
t0 = time.perf_counter()
from rlm_studio.ui.app import build_window
app, window = build_window(sys.argv[1])
app.processEvents()
shown = time.perf_counter() - t0
print(shown, "litellm" in sys.modules, flush=True)
"""


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def time_to_first_window(home: Path) -> dict:
    """Spawn a fresh interpreter, build and show the main window; wall time from spawn to shown."""
    env = dict(os.environ, RLM_STUDIO_HOME=str(home), PYTHONPATH=str(ROOT))
    times, in_process = [], []
    for _ in range(3):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", FIRST_WINDOW_CODE, str(home / "first.db")], env=env,
                             capture_output=True, text=True, timeout=60)
        total = time.perf_counter() - start
        fields = out.stdout.split()
        if out.returncode != 0 or len(fields) < 2:
            raise RuntimeError(f"the window did not open: {out.stderr[-2000:]}")
        if fields[1] == "True":
            raise RuntimeError("litellm was imported at startup")
        times.append(total)
        in_process.append(float(fields[0]))
    return {"first_window_s": round(min(times), 3), "first_window_s_runs": [round(t, 3) for t in times],
            "first_window_in_process_s": round(min(in_process), 3), "litellm_imported_at_start": False}


def synthetic_events(iterations: int = 40, cells: int = 2, subcalls: int = 123, run_id: str = "bench10k"):
    """A realistic 10,002-node stream: per iteration a model call and cells with many sub-calls."""
    from rlm_studio.engine.emitter import EventEmitter
    from rlm_studio.engine.events import (
        CellFinished,
        CellStarted,
        FinalAnswer,
        IterationFinished,
        IterationStarted,
        ModelCallFinished,
        ModelCallStarted,
        RunFinished,
        RunStarted,
        SubcallFinished,
        SubcallStarted,
    )

    events: list = []
    t = [time.time() - 3600]

    def tick() -> float:
        t[0] += 0.01
        return t[0]

    emitter = EventEmitter(run_id, [events.append], clock=tick)   # numbered and stamped like a real run
    emit, node = emitter.emit, emitter.new_node_id

    root = node()
    emit(RunStarted(node_id=root, question="Summarise every chunk of the corpus", root_model="bench-root",
                    sub_model="bench-sub", isolation="process", system_prompt="You are an RLM."))
    for i in range(1, iterations + 1):
        it = node()
        emit(IterationStarted(node_id=it, parent_id=root, index=i))
        mc = node()
        emit(ModelCallStarted(node_id=mc, parent_id=it, model="bench-root", iteration=i,
                              messages=[{"role": "user", "content": f"iteration {i} " + "x" * 400}]))
        emit(ModelCallFinished(node_id=mc, parent_id=it, model="bench-root", response="```repl\nx = 1\n```",
                               usage={"input_tokens": 900 + i, "output_tokens": 60}, cost_usd=0.002,
                               latency_ms=800.0))
        for c in range(1, cells + 1):
            cell = node()
            emit(CellStarted(node_id=cell, parent_id=it, iteration=i, index=c,
                             code="answers = llm_query_batched(prompts)\nprint(len(answers))"))
            for k in range(subcalls):
                sc = node()
                emit(SubcallStarted(node_id=sc, parent_id=cell, model="bench-sub", prompt=f"chunk {k}: " + "y" * 300,
                                    batch_id=f"b{i}.{c}", batch_index=k, batch_size=subcalls, via="llm_query_batched"))
                emit(SubcallFinished(node_id=sc, parent_id=cell, model="bench-sub", response=f"summary {k}",
                                     usage={"input_tokens": 120, "output_tokens": 12}, cost_usd=0.0001,
                                     latency_ms=300.0))
            emit(CellFinished(node_id=cell, parent_id=it, stdout=f"{subcalls}\n", stdout_chars=4, duration_ms=900.0))
        emit(IterationFinished(node_id=it, parent_id=root, index=i, code_blocks=cells))
    final = node()
    emit(FinalAnswer(node_id=final, parent_id=root, answer="done"))
    emit(RunFinished(node_id=root, status="completed", answer="done"))
    return events



def heartbeat(interval_ms: int = 5, busy: list | None = None):
    """(gaps, timer): a QTimer recording the time between its ticks; a long gap is a UI stall. `busy` gets
    the UI thread's own CPU time between ticks (a gap the machine's load made, not the app, has little)."""
    from PySide6.QtCore import QTimer

    gaps, last, last_cpu = [], [time.perf_counter()], [time.thread_time()]

    def beat():
        now, cpu = time.perf_counter(), time.thread_time()
        gaps.append(now - last[0])
        if busy is not None:
            busy.append(cpu - last_cpu[0])
        last[0], last_cpu[0] = now, cpu

    timer = QTimer()
    timer.setInterval(interval_ms)
    timer.timeout.connect(beat)
    timer.start()
    return gaps, timer


def events_of_size(nodes: int, run_id: str) -> list:
    """About `nodes` nodes as 20 iterations of one cell with batched sub-calls each."""
    iterations = 20 if nodes >= 1000 else max(1, nodes // 50)
    per_cell = max(1, (nodes - 2) // iterations - 3)
    return synthetic_events(iterations=iterations, cells=1, subcalls=per_cell, run_id=run_id)


def store_runs(db: Path, sizes: list[int]) -> dict[int, int]:
    """Record the stored runs (as the app or the CLI would, with their findings) in another process, so the
    app's memory is the app's, not this script's event lists; returns size -> nodes."""
    out = subprocess.run([sys.executable, __file__, "--store-runs", str(db), ",".join(map(str, sizes))],
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"storing the runs failed: {out.stderr[-2000:]}")
    return {int(k): v for k, v in json.loads(out.stdout.splitlines()[-1]).items()}


def _store_runs_here(db: str, sizes: list[int]) -> None:
    from rlm_studio.analysis.failure_modes import detect_failure_modes
    from rlm_studio.storage.store import Store

    nodes = {}
    with Store.open(db) as store:
        for size in sizes:
            run_id = f"bench{size}"
            events = events_of_size(size, run_id)
            store.ingest_events(events)
            # as a run recorded by the app or the CLI has them (an imported run computes them on first open)
            store.save_findings(run_id, [f.to_dict() for f in detect_failure_modes(events)])
            nodes[size] = len({e.node_id for e in events})
    print(json.dumps(nodes))


async def open_stored_run(window, nodes_wanted: int, nodes: int) -> dict:
    from PySide6.QtWidgets import QApplication

    run_id = f"bench{nodes_wanted}"
    window.history.refresh()
    start, cpu = time.perf_counter(), time.process_time()
    assert window.open_run(run_id)
    QApplication.processEvents()  # layout and first paint of the tree: usable from here
    window.run_view.tree_view.viewport().repaint()
    opened, opened_cpu = time.perf_counter() - start, time.process_time() - cpu
    # as the history sidebar does it: read and build on a worker thread, the UI thread keeps ticking
    window.run_view.show_events([])
    busy: list[float] = []
    gaps, timer = heartbeat(busy=busy)
    start = time.perf_counter()
    assert await window.open_run_in_background(run_id)
    QApplication.processEvents()
    window.run_view.tree_view.viewport().repaint()
    opened_bg = time.perf_counter() - start
    timer.stop()
    view = window.run_view
    assert len(view.model.tree) == nodes
    tree = view.run.tree
    deep = tree.find("subcall")[-1]   # the last sub-call of the last iteration: its details on selection
    start, cpu = time.perf_counter(), time.process_time()
    assert view.select_node(deep)
    QApplication.processEvents()
    details, details_cpu = time.perf_counter() - start, time.process_time() - cpu
    if "Response (assistant)" not in view.detail.toPlainText():
        raise RuntimeError("the selected sub-call's details were not shown")
    view.tree_view.collapseAll()
    start, cpu = time.perf_counter(), time.process_time()
    view.tree_view.expandAll()
    QApplication.processEvents()
    expand_all, expand_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    view.set_filter("chunk 77")
    QApplication.processEvents()
    filtered, filter_cpu = time.perf_counter() - start, time.process_time() - cpu
    view.set_filter("")
    return {"stored_run_nodes": nodes, "open_stored_run_s": round(opened, 3),
            "open_stored_run_cpu_s": round(opened_cpu, 3),
            "open_stored_run_background_s": round(opened_bg, 3),
            "open_background_longest_stall_ms": round(max(gaps) * 1000, 1) if gaps else None,
            "open_background_longest_ui_busy_ms": round(max(busy) * 1000, 1) if busy else None,
            "node_details_s": round(details, 3), "node_details_cpu_s": round(details_cpu, 3),
            "expand_all_s": round(expand_all, 3), "expand_all_cpu_s": round(expand_cpu, 3),
            "filter_s": round(filtered, 3), "filter_cpu_s": round(filter_cpu, 3),
            "rss_mb_with_run_open": round(rss_mb(), 1), "load_average": round(os.getloadavg()[0], 1)}


async def live_run_stall(window, work: Path, subcalls: int = 1000) -> dict:
    context = "\n".join(f"Line {i}: item" for i in range(subcalls))
    sub = work / "sub.json"
    sub.write_text(json.dumps({"rules": [], "default": "ok", "delay_ms": 5}))
    root = work / "root.json"
    root.write_text(json.dumps({"responses": [
        "```repl\nlines = context.split('\\n')\nanswers = llm_query_batched([f'Check {l}' for l in lines])\n"
        "print(len(answers))\n```",
        "```repl\nFINAL(str(len(answers)))\n```"]}))
    panel = window.new_run
    panel.clear_documents()
    panel.add_pasted(context)
    panel.question.setPlainText("How many lines are checked?")
    panel.root_model.set_spec(f"script:{root}")
    panel.sub_model.set_spec(f"script:{sub}")
    window.app_settings.batch_concurrency = 16
    gaps, timer = heartbeat()
    start = time.perf_counter()
    result = await window.run_once()
    elapsed = time.perf_counter() - start
    timer.stop()
    if result is None or result.status != "completed":
        raise RuntimeError(f"the live run did not complete: {window.new_run.run_message.text()}")
    done = sum(1 for e in window.run_view.index.events if e.kind == "subcall_finished")
    gaps.sort()
    return {"live_subcalls": done, "live_run_s": round(elapsed, 2), "heartbeats": len(gaps),
            "longest_stall_ms": round(gaps[-1] * 1000, 1),
            "p99_stall_ms": round(gaps[int(len(gaps) * 0.99)] * 1000, 1),
            "rss_mb_with_live_run_open": round(rss_mb(), 1)}


async def in_app(work: Path, sizes: list[int], stored: dict[int, int]) -> dict:
    from rlm_studio.ui.main_window import MainWindow

    window = MainWindow(str(work / "bench.db"), discover_models=False, preload_models=False)
    window.resize(1400, 900)
    window.show()
    while not window.store_ready or not window.warmup.done:  # as a user would: the window has been up a moment
        await asyncio.sleep(0.02)
    figures = {"rss_mb_empty_window": round(rss_mb(), 1)}
    figures.update(await live_run_stall(window, work))
    figures["stored_runs"] = [await open_stored_run(window, n, stored[n]) for n in sizes]
    window.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--sizes", default="1000,10000", help="stored-run sizes in nodes (the issue's: "
                        "1000,10000,100000)")
    parser.add_argument("--store-runs", nargs=2, metavar=("DB", "SIZES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.store_runs:
        _store_runs_here(args.store_runs[0], [int(n) for n in args.store_runs[1].split(",")])
        return 0
    sizes = [int(p[:-1]) * 1000 if p.endswith("k") else int(p) for p in args.sizes.split(",") if p]
    work = Path(tempfile.mkdtemp(prefix="rlm-bench-ui-"))
    os.environ["RLM_STUDIO_HOME"] = str(work)
    figures = time_to_first_window(work)
    stored = store_runs(work / "bench.db", sizes)

    import qasync
    from PySide6.QtWidgets import QApplication

    from rlm_studio.ui.ui_thread_gc import collect_on_ui_thread

    collect_on_ui_thread(QApplication(sys.argv[:1]))   # as the app does (ui/app.py): no automatic GC
    figures.update(qasync.run(in_app(work, sizes, stored)))
    figures["targets"] = {"first_window_s": 1.5, "open_stored_run_s": "0.5 at 10k, 1.5 at 100k", "longest_stall_ms": 50,
                          "expand_all_and_filter_s_at_100k": 1.0, "rss_mb_at_100k": 600}
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            if name != "stored_runs":
                print(f"{name:32} {value}")
        print("stored runs: wall s (CPU s of this process)")
        print(f"{'nodes':>8} {'open':>14} {'open bg':>8} {'bg stall ms (UI CPU)':>21} {'details':>14} {'expand all':>14} "
              f"{'filter':>14} {'RSS MB':>7} {'load':>5}")
        def both(r: dict, name: str) -> str:
            return f"{r[name + '_s']} ({r[name + '_cpu_s']})"

        for r in figures["stored_runs"]:
            print(f"{r['stored_run_nodes']:>8,} {both(r, 'open_stored_run'):>14} {r['open_stored_run_background_s']:>8} "
                  f"{str(r['open_background_longest_stall_ms']) + ' (' + str(r['open_background_longest_ui_busy_ms']) + ')':>21} "
                  f"{both(r, 'node_details'):>14} {both(r, 'expand_all'):>14} "
                  f"{both(r, 'filter'):>14} {r['rss_mb_with_run_open']:>7} {r['load_average']:>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

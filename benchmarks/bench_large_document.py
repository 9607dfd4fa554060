"""Large documents end to end: load, time to the first cell, host memory, at three sizes.

Usage: .venv/bin/python benchmarks/bench_large_document.py [--sizes 10,100,1000] [--json]

For each size (MB of UTF-8 text, generated once under /tmp) two ways in a fresh process each, so the peak
memory is that process's own:

- `file`: the document streamed into a file-backed context (sandbox.FileContext), as `rlm-studio run`
  does for text files of 64 MB or more; the engine hands the file to the sandbox worker;
- `str`: the ordinary loader (documents.load_document -> one str), then the engine writes its context file;
- `app`: the desktop app itself (offscreen): the New run panel loads the file (a file-backed context from 64 MB,
  written into the data folder by the load thread, with progress), then Run; a 5 ms QTimer heartbeat measures
  the UI thread's longest gap while loading and while the run starts (and, before loading, with nothing to
  do: the machine's own share of it), from Run to the first cell ("run start") and over the whole run (to the
  document kept in the database), and the UI thread's own CPU time within its longest-working gap (what
  it did itself, which a loaded machine does not inflate). `--think S` waits S seconds between the load's end
  and Run, as a user writing the question does: the app starts the document's sandbox worker when the load
  ends (sandbox/prewarm.py), so with a pause the first cell no longer waits for the 1 GB decode. Also printed for it: the time to keep
  the document in the database after the run (sha256 + zlib, streamed) and to restore it from there into a
  context file (what a fork or follow-up in a later session does first).

Printed: load time, time from the run's start to the first cell's result (a scripted root whose cell
prints len(context); the sandbox worker maps the whole file), peak RSS of the app process above its
baseline as a multiple of the document, and the sandbox worker's own peak RSS (VmHWM, read by the cell:
its `context` is one str by design, 2 bytes a character once the text has a non-Latin-1 one).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LINE = "Record {i:09d}: the shipment left dock {d} on day {day}; signed by inspector {name}.\n"
NAMES = ("Aino", "Bram", "Chloé", "Dmitri", "Eun-ji", "Farah", "Goran", "Hiroshi")


def make_document(mb: int) -> Path:
    path = Path(f"/tmp/rlm-bench-doc-{mb}mb.txt")
    target = mb * 1_000_000
    if path.exists() and path.stat().st_size >= target:
        return path
    with open(path, "w", encoding="utf-8") as out:
        written, i = 0, 0
        while written < target:
            block = "".join(LINE.format(i=j, d=j % 17, day=j % 365, name=NAMES[j % 8]) for j in range(i, i + 10000))
            out.write(block)
            written += len(block.encode())
            i += 10000
    return path


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def children_cpu() -> float:
    """CPU seconds of this process's ended (waited-for) children: the app's loader child, say."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path, how: str) -> dict[str, float]:
    """Run in a child process: load `path` the `how` way, then run to the first cell."""
    import asyncio
    import tempfile

    from rlm_studio.engine.session import RlmSession
    from rlm_studio.engine.settings import RunSettings

    baseline = rss_mb()
    folder = Path(tempfile.mkdtemp(prefix="rlm-bench-large-"))
    script = folder / "root.json"
    cell = ("hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
            "print(len(context), hwm)")
    script.write_text(json.dumps({"responses": [f"```repl\n{cell}\n```", "FINAL(done)"]}))
    started = time.perf_counter()
    if how == "file":
        from rlm_studio.sandbox import FileContext

        context: object = FileContext.from_text_files([(path.name, path)], folder / "context.bin")
    else:
        from rlm_studio.documents import as_context, load_document

        context = as_context(load_document(path))
    load_s = time.perf_counter() - started
    first_cell: list[float] = []
    printed: list[str] = []

    def sink(event: object) -> None:
        if getattr(event, "kind", "") == "cell_finished" and not first_cell:
            first_cell.append(time.perf_counter())
            printed.append(getattr(event, "stdout", "").strip())

    async def go() -> float:
        session = RlmSession("How many characters?", context, RunSettings(root_model=f"script:{script}",
                                                                          max_iterations=2), sinks=[sink])
        run_started = time.perf_counter()
        result = await session.run()
        assert result.status == "completed", result
        return run_started

    run_started = asyncio.run(go())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    length, worker_kb = printed[0].split()
    doc_mb = path.stat().st_size / 1e6
    return {"load_s": load_s, "first_cell_s": first_cell[0] - run_started, "len": int(length),
            "host_ratio": (peak - baseline) / doc_mb, "host_peak_mb": peak, "worker_peak_mb": int(worker_kb) / 1024}


class GapTracer:
    """RLM_BENCH_TRACE_GAPS=MS: a thread samples every thread's Python stack each millisecond; the heartbeat's
    gaps over MS are printed to stderr at the end with what each thread was doing in them (where the UI
    thread's time went: its own work, or waiting while another thread held the GIL)."""

    def __init__(self) -> None:
        import threading

        self.limit = float(os.environ.get("RLM_BENCH_TRACE_GAPS", "40")) / 1000
        self.samples: list[tuple[float, dict[int, str]]] = []
        self.long: list[tuple[float, float, float]] = []
        self.t0 = time.perf_counter()     # the gaps' times are printed from here (the load's start: mark())
        self.main = threading.main_thread().ident
        self.names = {t.ident: t.name for t in threading.enumerate()}
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        import traceback

        while True:
            now = time.perf_counter()
            frames = sys._current_frames()
            self.samples.append((now, {tid: " < ".join(f"{Path(fs.filename).name}:{fs.lineno} {fs.name}"
                                                        for fs in reversed(traceback.extract_stack(frame)[-14:]))
                                       for tid, frame in frames.items()}))
            time.sleep(0.001)

    def mark(self, label: str) -> None:
        print(f"-- {label} at {time.perf_counter() - self.t0:.3f} s", file=sys.stderr, flush=True)

    def gap(self, start: float, end: float, cpu: float) -> None:
        if end - start > self.limit:
            self.long.append((start, end, cpu))

    def report(self) -> None:
        import collections
        import threading

        self.names.update({t.ident: t.name for t in threading.enumerate()})
        for start, end, cpu in sorted(self.long, key=lambda g: g[0] - g[1])[:12]:
            inside = [s for t, s in self.samples if start <= t <= end]
            print(f"== gap {1000 * (end - start):.0f} ms (UI CPU {1000 * cpu:.0f} ms) at {start - self.t0:.3f} s, "
                  f"{len(inside)} samples",
                  file=sys.stderr)
            for tid in sorted({tid for s in inside for tid in s}, key=lambda t: t != self.main):
                counts = collections.Counter(s[tid] for s in inside if tid in s)
                label = "UI" if tid == self.main else self.names.get(tid, str(tid))
                for stack, n in counts.most_common(3):
                    print(f"   {label:>16} {n:3d}  {stack}", file=sys.stderr)


def measure_app(path: Path) -> dict[str, float]:
    """The app's path, in this (child) process: load in the New run panel, run, keep, restore."""
    import asyncio
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "PySide6")
    home = Path(tempfile.mkdtemp(prefix="rlm-bench-app-"))
    os.environ["RLM_STUDIO_HOME"] = str(home)
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from rlm_studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow(str(home / "runs.db"), discover_models=False, preload_models=False)
    window.show()
    while not window.store_ready:
        app.processEvents()
    window.warmup.start()      # as in use: the window has been up a while before a document is added
    window.warmup.wait()
    import rlm_studio.storage.file_contexts  # noqa: F401
    import rlm_studio.ui.file_backed_loader  # noqa: F401
    import rlm_studio.ui.file_backed_runs  # noqa: F401
    script = home / "root.json"
    cell = ("hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
            "print(len(context), hwm)")
    script.write_text(json.dumps({"responses": [f"```repl\n{cell}\n```", "FINAL(done)"]}))
    gaps: list[float] = []
    busy: list[float] = []     # the UI thread's own CPU time within each gap: its work, whatever the machine's load
    last = [time.perf_counter()]
    last_cpu = [time.thread_time()]

    tracer = GapTracer() if os.environ.get("RLM_BENCH_TRACE_GAPS") else None

    def beat() -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        gaps.append(now - last[0])
        busy.append(cpu - last_cpu[0])
        if tracer is not None:
            tracer.gap(last[0], now, cpu - last_cpu[0])
        last[0], last_cpu[0] = now, cpu

    timer = QTimer()
    timer.timeout.connect(beat)
    timer.start(5)
    baseline = rss_mb()
    panel = window.new_run

    async def go() -> dict[str, float]:
        last[0] = time.perf_counter()          # the control: the same heartbeat with nothing to do (the machine's
        await asyncio.sleep(1.5)               # own load shows here too)
        idle_stall = max(gaps, default=0.0)
        gaps.clear()
        busy.clear()
        started = time.perf_counter()
        cpu = time.process_time() + children_cpu()
        last[0] = started
        if tracer is not None:
            tracer.t0 = time.perf_counter()
        call_cpu = time.thread_time()
        panel.load_paths([path])
        call_cpu = time.thread_time() - call_cpu     # the UI thread's own part of starting the load
        while panel.loading:
            await asyncio.sleep(0.005)
        load_s = time.perf_counter() - started
        if tracer is not None:
            tracer.mark("loaded")
        load_cpu_s = time.process_time() + children_cpu() - cpu   # the app's and its loader child's
        stages = {"after_load": peak_mb()}
        load_stall = max(gaps, default=0.0)
        load_busy = max(busy, default=0.0)
        gaps.clear()
        busy.clear()
        backed = hasattr(panel.documents[0], "context")
        await asyncio.sleep(float(os.environ.get("RLM_BENCH_THINK_S", "0")))   # --think: the user writes the question
        think_stall = max(gaps, default=0.0)        # the window while the document's worker starts (if it does)
        gaps.clear()
        busy.clear()
        panel.question.setPlainText("How many characters?")
        panel.root_model.set_spec(f"script:{script}")
        run_started = time.perf_counter()
        if tracer is not None:
            tracer.mark("run started")
            before_modules = set(sys.modules)
        task = asyncio.ensure_future(window.run_once())
        first_cell = finished = None
        start_stall = start_busy = float("nan")
        finished_cpu = 0.0
        printed: list[str] = []
        while not task.done():
            events = window.run_model.events
            if first_cell is None and (cells := [e for e in events if e.kind == "cell_finished"]):
                first_cell = time.perf_counter() - run_started
                printed = cells[0].stdout.split()
                start_stall, start_busy = max(gaps, default=0.0), max(busy, default=0.0)   # Run to the first cell
                if tracer is not None:   # imported on some thread between Run and the first cell: not warmed up
                    print(f"-- imported after Run: {sorted(set(sys.modules) - before_modules)}", file=sys.stderr)
            if finished is None and any(e.kind == "run_finished" for e in events):
                finished = time.perf_counter()
                finished_cpu = time.process_time() + children_cpu()
                stages["after_run"] = peak_mb()
            await asyncio.sleep(0.002)
        result = task.result()
        assert result is not None and result.status == "completed", result
        kept_s = time.perf_counter() - (finished or time.perf_counter())
        keep_cpu_s = time.process_time() + children_cpu() - finished_cpu if finished else float("nan")
        stages["after_keep"] = peak_mb()
        run_stall = max(gaps, default=0.0)
        run_busy = max(busy, default=0.0)
        restore_s = restore_cpu_s = float("nan")
        if backed:
            from rlm_studio.engine.recorded import recorded_context
            from rlm_studio.sandbox import file_context
            from rlm_studio.storage.file_contexts import materialize

            file_context._KNOWN.clear()
            t = time.perf_counter()
            cpu = time.process_time() + children_cpu()
            stored = recorded_context(window.store.load_events(result.run_id))
            restored = await asyncio.get_running_loop().run_in_executor(None, materialize, window.store.path, stored,
                                                                        home / "restored")
            restore_s = time.perf_counter() - t
            restore_cpu_s = time.process_time() + children_cpu() - cpu
            await asyncio.get_running_loop().run_in_executor(None, restored.path.unlink)   # 1 GB: 60-90 ms
            stages["after_restore"] = peak_mb()
        return {"load_s": load_s, "load_stall_ms": load_stall * 1000, "think_stall_ms": think_stall * 1000, "idle_stall_ms": idle_stall * 1000,
                "load_ui_cpu_ms": load_busy * 1000, "load_call_cpu_ms": call_cpu * 1000, "run_ui_cpu_ms": run_busy * 1000, "first_cell_s": first_cell or float("nan"),
                "run_stall_ms": run_stall * 1000,
                "start_stall_ms": start_stall * 1000, "start_ui_cpu_ms": start_busy * 1000, "keep_s": kept_s, "restore_s": restore_s, "load_cpu_s": load_cpu_s,
                "keep_cpu_s": keep_cpu_s, "restore_cpu_s": restore_cpu_s,
                "len": int(printed[0]), "worker_peak_mb": int(printed[1]) / 1024, "file_backed": float(backed),
                **{f"peak_mb_{k}": v - baseline for k, v in stages.items()}}

    out = loop.run_until_complete(go())
    timer.stop()
    if tracer is not None:
        tracer.report()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    doc_mb = path.stat().st_size / 1e6
    out.update(host_ratio=(peak - baseline) / doc_mb, host_peak_mb=peak)
    window.close()
    import shutil

    shutil.rmtree(home, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,100", help="MB, comma-separated (the issue's three: 10,100,1000)")
    parser.add_argument("--ways", default="file,str,app")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--think", type=float, default=0.0,
                        help="app: seconds between the load's end and Run (a user writing the question; the app "
                             "starts the document's sandbox worker when the load ends)")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "HOW"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child = measure_app if args.child[1] == "app" else (lambda p: measure(p, args.child[1]))
        print(json.dumps(child(Path(args.child[0]))), flush=True)
        os._exit(0)   # Qt's worker threads would abort a normal interpreter exit
    os.environ["RLM_BENCH_THINK_S"] = str(args.think)
    rows = []
    for mb in [int(s) for s in args.sizes.split(",")]:
        path = make_document(mb)
        for how in args.ways.split(","):
            out = subprocess.run([sys.executable, __file__, "--child", str(path), how], capture_output=True,
                                 text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
            if out.returncode != 0:
                raise SystemExit(f"{mb} MB {how}: failed\n{out.stderr[-2000:]}")
            rows.append({"mb": mb, "how": how, **json.loads(out.stdout.strip().splitlines()[-1])})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'MB':>6} {'way':>5} {'load s':>8} {'first cell s':>13} {'host peak - base':>17} {'worker peak MB':>15}"
          f"  {'app: UI stall idle / load / run start / whole run ms':>52} {'(UI CPU ms)':>16} {'load CPU s':>10} "
          f"{'keep s (CPU)':>13} {'restore s (CPU)':>16}")
    for r in rows:
        app = (f"  {r['idle_stall_ms']:>20,.0f} / {r['load_stall_ms']:>6,.0f} / {r['start_stall_ms']:>6,.0f} / "
               f"{r['run_stall_ms']:>6,.0f} ({r['load_ui_cpu_ms']:.0f} / {r['start_ui_cpu_ms']:.0f} / "
               f"{r['run_ui_cpu_ms']:.0f}) "
               f"{r['load_cpu_s']:>10.2f} {r['keep_s']:>6.2f} ({r['keep_cpu_s']:.2f}) "
               f"{r['restore_s']:>8.2f} ({r['restore_cpu_s']:.2f})" if r["how"] == "app" else "")
        print(f"{r['mb']:>6} {r['how']:>5} {r['load_s']:>8.2f} {r['first_cell_s']:>13.2f} "
              f"{r['host_ratio']:>15.2f}x {r['worker_peak_mb']:>15,.0f}{app}")


if __name__ == "__main__":
    main()

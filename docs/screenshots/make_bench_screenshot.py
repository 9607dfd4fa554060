"""Screenshots of the Bench tab (docs/screenshots/bench.png, bench-charts.png): two scripted S-NIAH benches (an
oracle, and a policy that reads only the first 5,000 characters), the app under a real X display.

Usage: Xvfb :93 -screen 0 1600x950x24 &
       DISPLAY=:93 QT_QPA_PLATFORM=xcb .venv/bin/python docs/screenshots/make_bench_screenshot.py OUT.png [table|charts] [WORK_DIR]
"""
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
out = Path(sys.argv[1])
folder = Path(sys.argv[3] if len(sys.argv) > 3 else "/tmp/rlm-bench-shot")
folder.mkdir(parents=True, exist_ok=True)
db = folder / "runs.db"
ORACLE = ("```repl\nimport re\nfound = re.findall(r'special magic numbers for [\\w-]+ is: (\\d{7})', context)\n"
          "answer = found[0] if found else 'none'\nprint(answer)\n```\nFINAL_VAR(answer)")
SHORT = ORACLE.replace("context)", "context[:5000])")
if not db.exists():
    for name, code in (("oracle", ORACLE), ("first-5k-chars", SHORT)):
        path = folder / f"{name}.json"
        path.write_text(json.dumps({"rules": [{"match": "", "content": code}], "delay_ms": 20}))
        subprocess.run([sys.executable, "-m", "rlm_studio.cli.main", "bench", "run", "sniah", "--sizes", "4k,8k,16k,32k",
                        "--tasks", "4", "--methods", "rlm,rlm-no-subcalls,base", "--root-model", f"script:{path}",
                        "--db", str(db), "--name", name, "--concurrency", "2", "--quiet"], check=True, cwd=ROOT)

os.environ["QT_API"] = "PySide6"
import qasync  # noqa: E402

from rlm_studio.ui.app import build_window  # noqa: E402


async def main():
    app, window = build_window(str(db))
    window.resize(1600, 950)
    while not window.store_ready:
        await asyncio.sleep(0.1)
    window.tabs.setCurrentWidget(window.bench_view)
    view = window.bench_view
    for _ in range(100):
        await asyncio.sleep(0.1)
        if view.benches and view.rows:
            break
    second = [b for b in view.benches if b.get("name") == "first-5k-chars"][0]["id"]
    first = [b for b in view.benches if b.get("name") == "oracle"][0]["id"]
    view.show_bench(second)
    view.bench_picker.setCurrentIndex(view.bench_picker.findData(second))
    await asyncio.sleep(1.0)
    view.table.select_cell(1)
    view.compare_picker.setCurrentIndex(view.compare_picker.findData(first))
    view.form.set_models(str(folder / "oracle.json").join(["script:", ""]))
    view.form.sizes.setText("4k,8k,16k,32k")
    view.form.tasks.setValue(4)
    view.form.set_methods(["rlm", "rlm-no-subcalls", "base"])
    mode = sys.argv[2] if len(sys.argv) > 2 else "table"
    if mode == "charts":
        view.results.setCurrentWidget(view._charts_page)
    await asyncio.sleep(2.0)
    subprocess.run(["import", "-window", "root", str(out)], check=True)
    app.quit()
    os._exit(0)

qasync.run(main())

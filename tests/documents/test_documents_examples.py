"""The bundled example documents load, regenerate identically, and match their README answers."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from rlm_studio.documents import as_context, load_document, load_folder

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
LOGBOOK = EXAMPLES / "station_logbook.txt"
README = (EXAMPLES / "README.md").read_text(encoding="utf-8")
ENTRY = re.compile(r"^\[(\d{4}-\d\d-\d\d) (\d\d:\d\d)\] (.+?) \([^)]*\) — ([A-Z]+): (.*)$", re.M)


def test_generator_reproduces_the_committed_logbook(tmp_path: Path) -> None:
    out = tmp_path / "logbook.txt"
    subprocess.run(
        [sys.executable, str(EXAMPLES / "make_station_logbook.py"), "--out", str(out)],
        check=True, timeout=60,
    )
    assert out.read_bytes() == LOGBOOK.read_bytes()


def test_logbook_loads_as_one_long_text() -> None:
    doc = load_document(LOGBOOK)
    assert 100_000 <= doc.size_bytes <= 300_000
    assert (doc.kind, doc.encoding) == ("text", "utf-8")
    assert isinstance(as_context(doc), str)


def test_readme_answers_match_the_logbook() -> None:
    entries = ENTRY.findall(LOGBOOK.read_text(encoding="utf-8"))
    assert f"{len(entries):,} entries" in README

    crate = [e for e in entries if "not on any manifest" in e[4]]
    assert len(crate) == 1
    day, time, author, _, text = crate[0]
    assert "KX-4471-M" in text and "fuel depot B" in text
    assert f"**{day}** ({time}) by {author}" in README

    warnings = [e for e in entries if e[4].startswith("BLIZZARD WARNING")]
    assert f"**{len({e[0] for e in warnings})}** days ({len(warnings)} warnings" in README

    temps = [(float(m.group(1)), e[0], e[1]) for e in entries if (m := re.search(r"temp (-?\d+\.\d) °C", e[4]))]
    coldest = min(temps)
    assert sum(1 for t in temps if t[0] == coldest[0]) == 1
    assert f"**{coldest[0]} °C**, {coldest[2]} observation on **{coldest[1]}**" in README

    litres = [int(m.group(1).replace(",", "")) for e in entries if (m := re.search(r"delivered ([\d,]+) L diesel", e[4]))]
    assert f"**{sum(litres):,} L** in {len(litres)} convoys" in README

    outage = [e for e in entries if e[3] == "POWER" and ("tripped" in e[4] or "Power restored" in e[4])]
    assert [(e[0], e[1]) for e in outage] == [("2023-06-14", "03:14"), ("2023-06-14", "09:40")]
    assert "**6 h 26 min** on 2023-06-14 (03:14 to 09:40)" in README

    (top, top_count), (_, second_count) = Counter(e[2] for e in entries).most_common(2)
    assert top_count > second_count
    assert f"**{top}**, {top_count} entries" in README


def test_small_project_folder_and_its_answers() -> None:
    result = load_folder(EXAMPLES / "small_project")
    context = as_context(result)
    assert isinstance(context, dict)
    assert all(item.kind == "excluded" for item in result.skipped)
    assert set(context) == {
        "README.md", "docs/calibration.md", "docs/operations.md", "config/station.toml",
        "snowline/__init__.py", "snowline/sensors.py", "snowline/uplink.py",
    }
    assert "max_retries = 7" in context["config/station.toml"]
    assert "DEFAULT_MAX_RETRIES = 3" in context["snowline/uplink.py"]
    assert "(fahrenheit - 32) * 9 / 5" in context["snowline/sensors.py"]
    assert "(fahrenheit - 32) * 5 / 9" in context["docs/calibration.md"]
    assert "first_wait_s = 5" in context["config/station.toml"]


def test_small_project_retry_answer_by_running_its_code(tmp_path: Path) -> None:
    """The README's retry answers (7 retries, 10 s before the third attempt) hold when run."""
    script = (
        "import sys, time\n"
        f"sys.path.insert(0, {str(EXAMPLES / 'small_project')!r})\n"
        "from pathlib import Path\n"
        "import snowline.uplink as up\n"
        "waits = []\n"
        "up.time.sleep = waits.append\n"
        "calls = []\n"
        f"ok = up.send_with_retries(lambda m: calls.append(m) and False, b'x', "
        f"Path({str(EXAMPLES / 'small_project' / 'config' / 'station.toml')!r}))\n"
        "print(ok, len(calls) - 1, waits[1])\n"
    )
    result = subprocess.run(
        [sys.executable, "-B", "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["False", "7", "10.0"], result.stderr

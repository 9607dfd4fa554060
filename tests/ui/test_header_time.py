"""The header's Time keeps growing while a slow model call leaves the run without new events."""

import asyncio
import re

from tests.ui.ui_helpers import repl, run_coro, write_script


def _header_seconds(window) -> float:
    """The header's Time in seconds ('218 ms', '2.5 s', '1 min 05 s'); 0 until the header shows a time."""
    text = window.run_view.header.totals.text()
    found = re.search(r"Time</b> (?:(\d+) min (\d+) s|([\d.]+) s|(\d+) ms)", text)
    if not found:
        return 0.0
    minutes, min_seconds, seconds, ms = found.groups()
    if minutes is not None:
        return int(minutes) * 60 + int(min_seconds)
    return float(seconds) if seconds is not None else int(ms) / 1000.0


def test_header_time_grows_during_a_long_model_call(window, qloop, tmp_path):
    panel = window.new_run
    panel.add_pasted("Region 1: sale sale\n")
    # the root model answers only after 10 minutes: the run has no events while it waits
    root = write_script(tmp_path, "root", responses=[repl("FINAL('never')")], delay_ms=600_000)
    panel.question.setPlainText("How many sales?")
    panel.root_model.set_spec(root)

    async def wait_then_stop():
        task = asyncio.ensure_future(window.run_once())
        while not [e for e in window.run_view.index.events if e.kind == "model_call_started"]:
            await asyncio.sleep(0.05)
        # no event arrives from here on; the status bar ticks, and the header must follow it
        while _header_seconds(window) < 1.5:
            await asyncio.sleep(0.05)
        window.stop_action.trigger()
        return await task

    result = run_coro(qloop, wait_then_stop(), timeout=60)
    assert result.status == "cancelled"
    assert [e.kind for e in window.run_view.index.events].count("model_call_started") == 1

"""UI tests run offscreen; Qt must not be imported before the platform is chosen."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "PySide6")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import pytest  # noqa: E402


@pytest.fixture
def app_home(tmp_path, monkeypatch):
    """A private RLM_STUDIO_HOME (settings and database) for one test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("RLM_STUDIO_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _collect_on_the_ui_thread(qapp):
    """As the app does (ui/app.py): cyclic garbage collection on the UI thread only."""
    from rlm_studio.ui.ui_thread_gc import collect_on_ui_thread

    collect_on_ui_thread(qapp)


@pytest.fixture
def qloop(qapp):
    """A qasync event loop on the test QApplication, as the app runs it."""
    import asyncio
    import gc

    import qasync

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)
    del loop
    # qasync's timer and worker QObjects sit in reference cycles: free them here, between tests, and not
    # in a garbage collection that happens to run inside a later Qt timer callback (a segfault in Qt);
    # a sweep, so that cycles the UI collector froze meanwhile are freed too
    from rlm_studio.ui.ui_thread_gc import collect_on_ui_thread

    collect_on_ui_thread(qapp).sweep()
    gc.collect()


@pytest.fixture
def window(qtbot, app_home, qloop):
    from rlm_studio.ui.main_window import MainWindow

    win = MainWindow(str(app_home / "runs.db"), discover_models=False, preload_models=False)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitUntil(lambda: win.store_ready, timeout=10000)
    yield win
    win.close()


@pytest.fixture(autouse=True)
def _background_threads_finish():
    """A test's background imports/lookups (litellm, model windows) end before the next test starts."""
    yield
    import threading

    for thread in threading.enumerate():
        if thread.name in ("rlm-studio-window", "rlm-studio-litellm", "rlm-studio-warmup", "rlm-studio-load"):
            thread.join(60)

"""The pinned PySide6 must survive a long run of signal emits (6.12.0 on Python 3.11 aborts: bool_dealloc)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = """
import rlm_studio.ui
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
class Emitter(QObject):
    ping = Signal(int)
e = Emitter()
label = QLabel()
for i in range(20000):
    e.ping.emit(i)
    label.setText(str(i))
print("survived")
"""


def test_twenty_thousand_emits_and_void_calls_do_not_abort_the_process():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-1000:]
    assert "survived" in out.stdout
    assert "_dealloc" not in out.stderr
